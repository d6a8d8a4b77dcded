"""A source with general titles, end to end: list page → detail page → body-level verdict → alert with the
quoted passage to a title+body subscription, nothing to a title-only one.

The list page is the recorded gov.cn fixture; the two new rows and their detail pages are SYNTHETIC, written
for this test in the style of State Council documents (no such notices exist)."""

import csv
import io
import json

from sqlalchemy import select
from typer.testing import CliRunner

from monitor.app import open_store
from monitor.cli import app
from monitor.config.settings import Channel, Settings, Subscription
from monitor.store.models import Notice
from monitor.testing.localsite import Page
from tests.helpers import in_pipeline, local_source, quick_fetch, serve, site_page

ITEMS = [
    f"（{n}）完善第{i + 1}项配套政策。各地区各部门要加强组织领导，落实工作责任，确保各项任务落到实处。"
    for i, n in enumerate("一二三四五六七八九十")
]
CHAPTER = (
    "（十一）加快细胞和基因治疗产业发展。支持企业开展CAR-T、干细胞等细胞治疗产品研发，"
    "建设病毒载体公共生产平台。对获批上市的基因治疗产品给予奖励。"
)
PASSING = "（十一）培育新兴产业。推动基因治疗、细胞治疗、合成生物等前沿技术发展，加快布局未来产业。"


def detail_page(paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        '<html><head><meta name="firstpublishedtime" content="2026-09-25 10:00:00"></head><body>'
        '<div class="crumbs">首页 &gt; 政策 &gt; 细胞治疗专题</div>'  # navigation: not the body
        f'<div id="UCAP-CONTENT">{body}</div></body></html>'
    ).encode()


ROWS = [
    ("content_9900001", "国务院办公厅关于印发《生物医药产业高质量发展行动方案》的通知"),  # synthetic
    ("content_9900002", "国务院关于印发《现代化产业体系建设规划》的通知"),  # synthetic
]


def with_new_rows(page: bytes) -> bytes:
    """The recorded gov.cn policy list with the two synthetic rows on top, in the list's own markup."""
    rows = "".join(
        f'<li><a href="./202609/{key}.htm" target="_blank">{title}</a><span>2026-09-25</span></li>'
        for key, title in ROWS
    )
    list_start = page.index(b'<div class="list fl">')
    ul = page.index(b"<ul>", list_start) + len(b"<ul>")
    return page[:ul] + rows.encode() + page[ul:]


def settings(tmp_path, inbox) -> Settings:
    return Settings(
        data_dir=tmp_path,
        fetch=quick_fetch(),
        channels={
            "wide": Channel(urls=[inbox.apprise_url(to="wide@example.org")]),
            "narrow": Channel(urls=[inbox.apprise_url(to="narrow@example.org")]),
        },
        subscription=[
            Subscription(name="wide", channels=["wide"], relevance="title+body"),
            Subscription(name="narrow", channels=["narrow"], relevance="title"),
        ],
    )


def test_a_general_title_whose_text_treats_cgt_is_alerted_with_its_passage(tmp_path, site, inbox):
    configured = settings(tmp_path, inbox)
    database = open_store(configured)
    source = local_source(site, "govcn-zhengce")
    assert source.titles == "general" and source.follows  # the catalogue says so, no follow = true needed
    serve(site, source, site_page("govcn-zhengce.html"))
    in_pipeline(configured, database, lambda pipeline: pipeline.run_once([source]))  # baseline

    serve(site, source, with_new_rows(site_page("govcn-zhengce.html")))
    site.set("/zhengce/202609/content_9900001.htm", Page(detail_page([*ITEMS[:6], CHAPTER, *ITEMS[6:]])))
    site.set("/zhengce/202609/content_9900002.htm", Page(detail_page([*ITEMS * 30, PASSING])))
    _, dispatch = in_pipeline(configured, database, lambda pipeline: pipeline.run_once([source]))

    # only the two new notices were followed
    followed = {r.path for r in site.requests if "/zhengce/202609/" in r.path or "/zhengce/content/" in r.path}
    assert followed == {"/zhengce/202609/content_9900001.htm", "/zhengce/202609/content_9900002.htm"}
    with database.sessions() as session:
        chapter = session.scalars(select(Notice).where(Notice.key == "9900001")).one()
        passing = session.scalars(select(Notice).where(Notice.key == "9900002")).one()
        assert chapter.relevant and chapter.level == "body"
        assert chapter.passage is not None and chapter.passage.startswith("（十一）加快细胞和基因治疗产业发展。")
        assert not passing.relevant and passing.level == "none" and passing.passage is None
        assert "基因治疗" in passing.body  # it was read, and judged a passing mention

    assert dispatch.sent == 1
    (mail,) = inbox.mails
    assert mail.recipients == ("wide@example.org",)  # the title-only subscription got nothing
    text, html = mail.part("plain") or "", mail.part("html") or ""
    assert "Level: body (a general title; the text treats CGT)" in text
    assert "In the text: “（十一）加快细胞和基因治疗产业发展。支持企业开展CAR-T" in text
    assert "Level: body" in html and "<blockquote" in html and "加快细胞和基因治疗产业发展" in html

    # the log shows the level and the passage: JSON and CSV
    runner = CliRunner()
    logged = runner.invoke(app, ["--data-dir", str(tmp_path), "log", "--json"], env={"CGT_MONITOR_CONFIG": None})
    assert logged.exit_code == 0, logged.output
    rows = {row["url"].rsplit("/", 1)[1]: row for row in json.loads(logged.stdout)}
    assert rows["content_9900001.htm"]["level"] == "body"
    assert rows["content_9900001.htm"]["passage"] == chapter.passage
    assert rows["content_9900002.htm"]["level"] == "none"
    exported = runner.invoke(app, ["--data-dir", str(tmp_path), "log", "--csv"], env={"CGT_MONITOR_CONFIG": None})
    table = {row["url"].rsplit("/", 1)[1]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert table["content_9900001.htm"]["level"] == "body" and table["content_9900001.htm"]["passage"]
