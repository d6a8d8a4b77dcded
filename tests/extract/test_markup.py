"""A page nested past reason is refused before lexbor's quadratic tree builder sees it."""

import time

import pytest

from monitor.extract.markup import MAX_DEPTH, TooDeep, nests_deeper_than, parse_html
from tests.helpers import site_page


def test_a_real_list_page_parses_and_stays_far_within_the_limit():
    page = site_page("nmpa-ggtg.html").decode("utf-8")
    assert not nests_deeper_than(page, 60)  # a real list page nests a few dozen levels at most
    assert parse_html(page).css("a")


def test_a_page_nested_past_the_limit_is_refused_at_once():
    deep = "<html><body>" + "<div>" * 1_000_000 + "x" + "</div>" * 1_000_000 + "</body></html>"
    started = time.process_time()
    with pytest.raises(TooDeep, match=f"more than {MAX_DEPTH:,} levels deep"):
        parse_html(deep)
    assert time.process_time() - started < 5  # lexbor would not finish this one at all


def test_sloppy_pages_that_leave_paragraphs_rows_and_fonts_open_are_not_taken_for_deep_ones():
    sloppy = "<table>" + "<tr><td><font><p>cell" * 20_000 + "</table>"
    assert parse_html(sloppy).css_first("td") is not None


def test_depth_counts_only_elements_that_nest_and_closing_tags_undo_them():
    assert not nests_deeper_than("<div><section><br><img src=x/></section></div>" * 10_000, 3)
    assert nests_deeper_than("<div>" * 4, 3)
    assert not nests_deeper_than("<div>" * 3, 3)
