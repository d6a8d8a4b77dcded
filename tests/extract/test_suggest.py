"""`sources suggest`'s analysis: on every recorded HTML page of the tests, the suggested options extract the
same notices as the source's hand-written entry; the parts (key pattern, paging, rows) on small pages."""

import datetime as dt
import tomllib

import pytest

from monitor.check.trial import read_saved_page
from monitor.extract.registry import extract_items, parse_options
from monitor.extract.suggest import NoListFound, key_pattern_of, paging_of, suggest_list
from tests.helpers import catalogue, fixture_file, items_of

CASES = tomllib.loads(fixture_file("expected.toml").read_text(encoding="utf-8"))["case"]


# pages whose list suggest does not find yet, and why (strict: the day it does, the mark must go)
NOT_YET = {
    "nmpa-cxylqx": "two lists of the same form side by side (drugs, devices): suggest takes one of them",
    "hicdme-fwsx": "one list cut into three <ul> blocks of five rows: suggest looks for one block of siblings",
}


def _case_param(case: dict) -> object:
    kind = catalogue()[case["source"]].kind
    if kind != "html":  # JSON APIs and script arrays have no rows to find: suggest reads HTML lists only
        return pytest.param(case, id=case["source"], marks=pytest.mark.skip(reason=f"kind {kind}: not an HTML list"))
    if reason := NOT_YET.get(case["source"]):
        return pytest.param(case, id=case["source"], marks=pytest.mark.xfail(reason=reason, strict=True))
    return pytest.param(case, id=case["source"])


@pytest.mark.parametrize("case", [_case_param(case) for case in CASES])
def test_the_suggestion_extracts_what_the_hand_written_entry_does(case):
    source = catalogue()[case["source"]]
    fetched = read_saved_page(source, fixture_file(case["fixture"]))
    expected = [(i.title, i.url, i.published) for i in items_of(fetched, source, base_url=source.url)]

    suggestion = suggest_list(fetched.text, source.url)
    options = parse_options("html", suggestion.extract)
    items = extract_items("html", fetched.text, options, source.url, suggestion.key_pattern)

    assert [(i.title, i.url, i.published) for i in items] == expected
    assert len(expected) == case["items"]
    if suggestion.key_pattern:  # a proposed pattern finds the id in most rows' links
        keyed = [i for i in items if i.key != i.url.split("://", 1)[1]]
        assert len(keyed) * 2 > len(items)


def _rows(*rows: str, around: str = '<div class="news"><ul class="rows">{}</ul></div>') -> str:
    nav = '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/about/">关于</a></li></ul>'
    return f"<html><head><title>通知公告</title></head><body>{nav}{around.format(''.join(rows))}</body></html>"


def test_rows_by_the_list_and_titles_from_the_attribute_over_cut_link_text():
    page = _rows(
        *(
            f'<li><a href="./2026090{d}/t2026090{d}_{1000 + d}.html" title="关于细胞治疗产品第{d}号的通知">关于细胞…</a>'
            f"<span class='date'>2026年9月{d}日</span></li>"
            for d in range(1, 6)
        )
    )
    suggestion = suggest_list(page, "https://example.gov.cn/tzgg/")
    items = extract_items(
        "html", page, parse_options("html", suggestion.extract), "https://example.gov.cn/tzgg/", suggestion.key_pattern
    )
    assert suggestion.extract["item"] == "ul.rows li"
    assert [i.title for i in items] == [f"关于细胞治疗产品第{d}号的通知" for d in range(1, 6)]
    assert [i.published for i in items] == [dt.date(2026, 9, d) for d in range(1, 6)]
    assert suggestion.key_pattern == r"/t\d{8}_(\d+)\.html$"
    assert [i.key for i in items] == [str(1000 + d) for d in range(1, 6)]
    assert suggestion.date_form == "YYYY年M月D日"
    assert suggestion.page_title == "通知公告"


def test_a_landing_page_without_dated_rows_is_no_list():
    page = _rows(*(f'<li><a href="/col/{n}/">栏目{n}</a></li>' for n in range(8)))
    with pytest.raises(NoListFound):
        suggest_list(page, "https://example.gov.cn/")


@pytest.mark.parametrize(
    ("urls", "pattern"),
    [
        (["https://x.cn/a/20260922184421167.html", "https://x.cn/a/20260921111804170.html"], r"/(\d{17})\.html$"),
        (["https://x.cn/t20260908_197283.html", "https://x.cn/t20260824_97186.html"], r"/t\d{8}_(\d+)\.html$"),
        (["https://x.cn/content_6812345.htm", "https://x.cn/content_6812001.htm"], r"/content_(\d+)\.htm$"),
        (
            [
                "https://x.cn/art_7979ab6e08ff446cbf90e4b02a119886.html",
                "https://x.cn/art_d9fb0d0feb2edbcd87eecaec1239eb3a.html",
            ],
            r"/art_([0-9a-f]{32})\.html$",
        ),
        (["https://x.cn/view?id=12&t=1", "https://x.cn/view?id=13&t=1"], r"[?&]id=([^&#]+)"),
        (["https://x.cn/about.html", "https://x.cn/contact.html"], None),
    ],
)
def test_key_patterns_generalised_from_links(urls, pattern):
    assert key_pattern_of(urls) == pattern


@pytest.mark.parametrize(
    ("pager", "base", "page_url"),
    [
        ('<a href="index_1.html">下一页</a>', "https://x.cn/tzgg/index.html", "index_{n0}.html"),
        ('<a href="list_2.shtml">2</a>', "https://x.cn/tzgg/list.shtml", "list_{n}.shtml"),
        ('<script>createPageHTML(12, 0, "index", "html");</script>', "https://x.cn/tzgg/", "index_{n0}.html"),
        (
            "<script>createPageHTML('page_div',63, 1,'list','shtml',1512);</script>",
            "https://x.cn/a/list.shtml",
            "list_{n}.shtml",
        ),
        (
            '<a href="/col/col736/index.html?uid=5437&pageNum=2">下一页</a>',
            "https://x.cn/col/col736/index.html",
            "index.html?uid=5437&pageNum={n}",
        ),
        ("<p>no pager</p>", "https://x.cn/tzgg/", None),
    ],
)
def test_paging_forms(pager, base, page_url):
    from selectolax.lexbor import LexborHTMLParser

    text = f"<html><body>{pager}</body></html>"
    assert paging_of(LexborHTMLParser(text), text, base) == page_url
