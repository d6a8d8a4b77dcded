import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from monitor.app import open_store
from monitor.store.models import Change, Notice
from monitor.testing.localsite import Page
from tests.helpers import deployment, in_pipeline, local_source, run_cli, serve, site_page
from tests.pdfs import text_pdf


def older_page(n: int) -> bytes:
    rows = "".join(
        f'<li><a href="../../xxgk/ggtg/old/2025010100000{n}{i:03d}.html" title="旧公告 {n}-{i}">旧公告</a>'
        f"<span>(2025-01-{i + 1:02d})</span></li>"
        for i in range(20)
    )
    return f'<html><body><div class="list"><ul>{rows}</ul></div></body></html>'.encode()


@pytest.mark.slow
def test_backfill_reads_older_pages_politely_and_alerts_nothing(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    site.set("/xxgk/ggtg/index_1.html", Page(older_page(1)))
    site.set("/xxgk/ggtg/index_2.html", Page(older_page(2)))
    result = run_cli("backfill", "nmpa-ggtg", "--pages", "4", env=env)
    assert result.returncode == 0, result.stderr
    assert "pages read: 3, older notices seen: 40, newly stored: 40" in result.stdout
    assert "page 4" in result.stderr  # index_3.html does not exist: the back-fill says where it stopped
    assert inbox.mails == []
    assert json.loads(run_cli("log", "--json", env=env).stdout) == []
    # an old notice reappearing on page 1 later is known, not new
    rerun = run_cli("backfill", "nmpa-ggtg", "--pages", "3", env=env)
    assert "newly stored: 0" in rerun.stdout


@pytest.mark.slow
def test_backfill_refuses_a_source_without_paging(tmp_path, site, inbox):
    result = run_cli("--data-dir", str(tmp_path), "backfill", "govcn-zhengce", "--pages", "3")
    assert result.returncode == 2 and "page_url" in result.stderr


DETAIL = """<html><head><meta name="PubDate" content="2026-09-23 10:15"></head><body>
<div class="nav">首页 细胞治疗 专栏</div>
<div class="text"><p>为规范产品研发，现就有关事项通告如下。</p><p>本指导原则适用于嵌合抗原受体T细胞产品。</p>
<p>附件：<a href="./P020260923.pdf">1.技术要求.pdf</a> <a href="./note.docx">2.起草说明.docx</a></p></div>
</body></html>"""


def test_follow_fetches_detail_body_date_and_attachments(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg", follow=True)
    serve(site, source, site_page("nmpa-ggtg.html"))

    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert not [r for r in site.requests if "/xxgk/ggtg/a/" in r.path]  # no detail fetches for a baseline
    # an ambiguous title: only the detail page says it is about CAR-T
    row = (
        '<li><a href="../../xxgk/ggtg/a/20260923101512999.html" title="国家药监局关于发布一项技术指导原则的通告">…</a>'
        "<span>(2026-09-23)</span></li>"
    )
    marker = "<!-- 信息公开公告通知 -->".encode()
    serve(site, source, site_page("nmpa-ggtg.html").replace(marker, marker + row.encode(), 1))
    site.set("/xxgk/ggtg/a/20260923101512999.html", Page(DETAIL.encode()))
    site.set(
        "/xxgk/ggtg/a/P020260923.pdf",
        Page(text_pdf(["Annex: quality requirements for AAV vectors"]), content_type="application/pdf"),
    )
    site.set("/xxgk/ggtg/a/note.docx", Page(b"PK\x03\x04 docx", content_type="application/octet-stream"))
    _, dispatch = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))

    assert dispatch.sent == 1
    with database.sessions() as session:
        notice = session.scalars(select(Notice).where(Notice.key == "20260923101512999")).one()
        assert notice.relevant and "嵌合抗原受体" in notice.terms
        assert "首页" not in notice.body  # the body container, not the page's navigation
        assert notice.detail_published == dt.date(2026, 9, 23)
        names = [a["name"] for a in notice.attachments]
        assert names == ["1.技术要求.pdf", "2.起草说明.docx"]
        assert all(a["bytes"] > 0 for a in notice.attachments)
        pdf, broken = notice.attachments
        assert pdf["kind"] == "pdf" and pdf["chars"] > 0 and "AAV vectors" in notice.attachment_text
        assert broken["error"]  # not a real DOCX: reported, the check went on
        assert {"term": "AAV", "where": "attachment", "weight": 1.5} in notice.matches
        assert session.scalar(select(func.count()).select_from(Change)) == 1


def test_a_json_api_answering_with_the_challenge_page_is_blocked(site, settings_for):
    settings = settings_for()
    source = local_source(site, "cde-guidelines", fetch="auto")  # plain first: the answer is the challenge
    serve(site, source, site_page("nmpa-412-challenge.html"), status=202)

    report = in_pipeline(settings, None, lambda pipeline: pipeline.check(source))
    assert report.summary.outcome == "blocked"
