import datetime as dt

from monitor.alert.render import AlertNotice, render


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
    )
    return AlertNotice(**{**base, **fields})


def test_single_alert_shows_what_a_reader_needs():
    message = render([notice("基因治疗产品长期随访临床研究技术指导原则（征求意见稿）")])
    assert message.subject == "[cgt-monitor] CDE: 基因治疗产品长期随访临床研究技术指导原则（征求意见稿）"
    for part in (message.text, message.html):
        assert "2026-10-31" in part and "基因治疗" in part and "draft for comment" in part
    assert "zdyzIdCODE=abc&x=1" in message.text
    assert 'href="https://www.cde.org.cn/zdyz/domesticinfopage?zdyzIdCODE=abc&amp;x=1"' in message.html


def test_titles_cannot_inject_html():
    message = render([notice('<script>alert(1)</script><a href="http://evil">x</a>')])
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert 'href="http://evil"' not in message.html


def test_digest_groups_by_agency():
    message = render([notice("b", agency="NMPA"), notice("a", agency="CDE")], digest=True)
    assert message.subject == "[cgt-monitor] 2 new notices: CDE, NMPA"
    assert message.text.index("a\n") < message.text.index("b\n")
