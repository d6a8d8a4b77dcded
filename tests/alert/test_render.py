import datetime as dt

import pytest

from monitor.alert.render import AlertNotice, OpsEvent, render, render_ops


def notice(title: str, agency: str = "CDE", **fields) -> AlertNotice:
    base = dict(
        title=title,
        url="https://www.cde.org.cn/zdyz/domesticinfopage?zdyzIdCODE=abc&x=1",
        agency=agency,
        region="CN",
        published=dt.date(2026, 9, 23),
        doc_type="draft_for_comment",
        deadline=dt.date(2026, 10, 31),
        terms=("基因治疗",),
        topics=("gene_therapy",),
        gloss="Gene therapy and gene editing",
    )
    return AlertNotice(**{**base, **fields})


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_format_shows_what_a_reader_needs(fmt):
    message = render([notice("基因治疗产品长期随访临床研究技术指导原则（征求意见稿）")], fmt)
    assert message.subject == "[cgt-monitor] CDE: 基因治疗产品长期随访临床研究技术指导原则（征求意见稿）"
    for expected in (
        "基因治疗产品长期随访",
        "CDE",
        "CN",
        "2026-09-23",
        "draft for comment",
        "2026-10-31",
        "基因治疗",
        "Gene therapy and gene editing",
        "zdyzIdCODE=abc",
    ):
        assert expected in message.body, (fmt, expected)


def test_html_escapes_titles_and_keeps_links_valid():
    message = render([notice('<script>alert(1)</script><a href="http://evil">x</a>')], "html")
    assert "<script>" not in message.body and "&lt;script&gt;" in message.body
    assert 'href="http://evil"' not in message.body
    assert 'href="https://www.cde.org.cn/zdyz/domesticinfopage?zdyzIdCODE=abc&amp;x=1"' in message.body


def test_markdown_escapes_titles():
    message = render([notice("关于[点此](http://evil)领取*奖励*的通知")], "markdown")
    assert "](http://evil)" not in message.body
    assert "\\[点此\\]" in message.body


def test_digest_groups_by_agency_and_doc_type():
    message = render([notice("b", agency="NMPA"), notice("a", agency="CDE", doc_type="guideline")], "text", digest=True)
    assert message.subject == "[cgt-monitor] 2 new notices: CDE, NMPA"
    body = message.body
    assert body.index("== CDE — guideline 指导原则 ==") < body.index("== NMPA — draft for comment 征求意见稿 ==")


def test_wecom_cap_truncates_gracefully_with_links():
    many = [
        notice(f"细胞治疗产品指导原则第{i}号（征求意见稿）", url=f"https://www.cde.org.cn/n/{i}") for i in range(40)
    ]
    message = render(many, "text", digest=True, limit=2048)
    assert len(message.body.encode()) <= 2048
    assert "… and" in message.body and "more" in message.body
    assert "https://www.cde.org.cn/n/0" in message.body  # every notice shown keeps its link
    single = render([notice("细" * 3000)], "text", limit=2048)
    assert len(single.body.encode()) <= 2048 and single.body.rstrip().endswith(notice("x").url)


def test_ops_messages_say_what_broke_and_when():
    since = dt.datetime(2026, 9, 23, 1, 0, tzinfo=dt.UTC)
    opened = render_ops(OpsEvent("source", "nmpa-ggtg", "opened", "blocked: HTTP 412", since))
    assert opened.subject == "[cgt-monitor ops] source 'nmpa-ggtg' is failing"
    assert "HTTP 412" in opened.body
    resolved = render_ops(OpsEvent("source", "nmpa-ggtg", "resolved", "blocked", since, since), "html")
    assert "recovered" in resolved.subject and resolved.body.startswith("<html>")


def test_markdown_links_cannot_be_broken_out_of_by_the_url():
    message = render([notice("t", url="https://x.gov.cn/a.html) [领取补贴](https://evil.example")], "markdown")
    assert "](https://evil.example)" not in message.body
    assert "%29%20%5B" in message.body  # ") [" stays inside the one link target


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_format_shows_the_level_and_the_body_passage(fmt):
    passage = "（十一）加快细胞和基因治疗产业发展。支持*企业*开展<b>CAR-T</b>研发。"  # synthetic
    body = render([notice("某市关于促进生物医药产业发展的若干措施", level="body", passage=passage)], fmt).body
    shown = body.replace("\\(", "(").replace("\\)", ")")  # Markdown escapes the parentheses
    assert "Level: body (a general title; the text treats CGT)" in shown
    assert "加快细胞和基因治疗产业发展" in body and "In the text" in body
    if fmt == "html":
        assert "<b>CAR-T</b>" not in body and "&lt;b&gt;CAR-T&lt;/b&gt;" in body
    if fmt == "markdown":
        assert r"\*企业\*" in body and "> In the text" in body
    title = render([notice("基因治疗产品长期随访临床研究技术指导原则")], fmt).body.replace("\\", "")
    assert "Level: title (the title is about CGT)" in title and "In the text" not in title


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_with_a_public_desk_every_alert_links_to_the_notice_on_it(fmt):
    desk = "https://cgt-desk.example.com/notices/42#review"
    message = render([notice("细胞治疗产品指导原则", desk_url=desk)], fmt)
    assert desk in message.body
    assert "cgt-desk.example.com" not in render([notice("细胞治疗产品指导原则")], fmt).body


def test_the_html_mail_is_a_complete_document_that_holds_in_outlook_and_dark_mode():
    body = render([notice("细胞治疗产品指导原则", desk_url="https://d.example/notices/1#review")], "html").body
    assert body.startswith("<!DOCTYPE html>") and '<html lang="zh-Hans">' in body and '<meta charset="utf-8">' in body
    assert 'role="presentation"' in body  # table layout for Outlook
    assert "prefers-color-scheme: dark" in body and 'name="color-scheme"' in body
    assert body.index("细胞治疗产品指导原则") < body.index("Gene therapy and gene editing") < body.index("Comments due")
