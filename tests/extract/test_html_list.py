"""Extraction from the real recorded pages (tests/fixtures/sites, see PROVENANCE.md)."""

import datetime as dt

from monitor.values import Fetched, FetchOutcome
from tests.helpers import catalogue, items_of, site_page


def fetched_from(name: str, url: str, content_type: str | None = None) -> Fetched:
    from monitor.fetch.charset import decode

    body = site_page(name)
    text, encoding = decode(body, content_type)
    return Fetched(
        url=url, final_url=url, status=200, outcome=FetchOutcome.OK, content=body, text=text, encoding=encoding
    )


def test_nmpa_list_uses_full_titles_absolute_links_and_stable_ids():
    source = catalogue()["nmpa-ggtg"]
    items = items_of(fetched_from("nmpa-ggtg.html", source.url), source)
    assert len(items) == 20
    first = items[0]
    assert first.title == "商务部等5部门关于调整《向特定国家（地区）出口易制毒化学品管理目录》的公告"
    assert first.url == "https://www.nmpa.gov.cn/xxgk/ggtg/zhggtg/20260922184421167.html"
    assert first.published == dt.date(2026, 9, 22)
    assert first.key == "20260922184421167"
    assert any("/zwfw/" in item.url for item in items)  # rows that leave /xxgk/
    assert items[-1].published == dt.date(2026, 8, 24)
    assert all(item.url.startswith("https://www.nmpa.gov.cn/") for item in items)


def test_govcn_link_text_titles_padded_dates_and_mixed_links():
    source = catalogue()["govcn-zhengce"]
    items = items_of(fetched_from("govcn-zhengce.html", source.url, "text/html"), source)
    assert len(items) == 8
    assert items[0].title == "中共中央办公厅 国务院办公厅印发《关于分类推进高校改革的意见》"
    assert items[0].url == "https://www.gov.cn/zhengce/202609/content_7081587.htm"
    assert items[0].key == "7081587"
    assert items[0].published == dt.date(2026, 9, 20)
    assert all(item.published for item in items)


def test_guangdong_pinned_row_br_in_titles_and_mixed_schemes():
    source = catalogue()["gdmpa-tzgg"]
    items = items_of(fetched_from("gdmpa-tzgg.html", source.url), source)
    assert len(items) == 20
    assert items[0].published == dt.date(2026, 1, 14)  # pinned, older than the rows below it
    assert items[0].url.startswith("http://mpa.gd.gov.cn/")
    assert items[1].url.startswith("https://mpa.gd.gov.cn/")
    assert "广东省药品监督管理局关于公示实际情况与备案信息不符且无法取得联系的医疗器械网络交易服务第三方平台的通告" in [
        item.title for item in items
    ]
    assert all("<br" not in item.title for item in items)


def test_gbk_page_with_relative_links():
    source = catalogue()["nmpa-ggtg"]
    html = (
        '<html><head><meta charset="gb2312"></head><body><div class="list"><ul>'
        '<li><a href="../../xxgk/ggtg/a/20260101000000001.html" title="关于ＣＡＲ－Ｔ细胞治疗产品的通告">关于…</a>'
        "<span>(2026-01-01)</span></li></ul></div></body></html>"
    ).encode("gb18030")
    fetched = Fetched(
        url=source.url,
        final_url=source.url,
        status=200,
        outcome=FetchOutcome.OK,
        content=html,
        text=html.decode("gb18030"),
    )
    (item,) = items_of(fetched, source)
    assert item.title == "关于CAR-T细胞治疗产品的通告"  # full-width letters normalised, 细胞 kept
    assert item.key == "20260101000000001"


def test_duplicate_rows_collapse_to_one_item():
    source = catalogue()["nmpa-ggtg"]
    row = '<li><a href="./a/20260101000000001.html" title="t">t</a><span>(2026-01-01)</span></li>'
    html = f'<div class="list"><ul>{row}{row}</ul></div>'
    fetched = Fetched(url=source.url, final_url=source.url, status=200, outcome=FetchOutcome.OK, text=html)
    assert len(items_of(fetched, source)) == 1
