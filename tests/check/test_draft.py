"""`sources suggest`'s table: named after the address, valid as a catalogue entry, tried on the page."""

import tomllib

import pytest

from monitor.check.draft import draft_source, page_address
from monitor.check.trial import read_saved_page
from tests.helpers import catalogue, fixture_file, items_of


def test_a_draft_is_a_valid_catalogue_entry_that_extracts_the_page():
    real = catalogue()["nhc-gfxwjj"]
    text = read_saved_page(real, fixture_file("nhc-gfxwjj.html")).text
    draft = draft_source(text, real.url)
    (table,) = tomllib.loads(draft.toml)["source"]
    assert table["name"] == draft.source.name == "nhc-gfxwjj" and table["agency"] == "NHC"
    assert draft.source.key_pattern == real.key_pattern and draft.source.page_url == real.page_url
    expected = items_of(read_saved_page(real, fixture_file("nhc-gfxwjj.html")), real, base_url=real.url)
    assert [(i.key, i.title, i.url, i.published) for i in draft.items] == [
        (i.key, i.title, i.url, i.published) for i in expected
    ]
    assert len(draft.items) == 20
    assert "# dates like" in draft.toml and "(YYYY-MM-DD)" in draft.toml


@pytest.mark.parametrize(
    ("head", "address"),
    [
        (
            "<!-- saved from url=(0044)https://www.nmpa.gov.cn/xxgk/ggtg/index.html -->",
            "https://www.nmpa.gov.cn/xxgk/ggtg/index.html",
        ),
        ('<link rel="canonical" href="https://mpa.gd.gov.cn/xwdt/tzgg/">', "https://mpa.gd.gov.cn/xwdt/tzgg/"),
        ('<meta property="og:url" content="https://www.gov.cn/zhengce/">', "https://www.gov.cn/zhengce/"),
        ("<title>通知公告</title>", None),
    ],
)
def test_where_a_saved_page_came_from(head, address):
    assert page_address(f"<html><head>{head}</head><body></body></html>") == address
