import datetime as dt

from monitor.check.diff import diff_items
from monitor.values import Item


def item(key: str, day: int | None = None, title: str | None = None) -> Item:
    return Item(
        key=key,
        title=title or f"notice {key}",
        url=f"https://x.gov.cn/{key}.html",
        published=dt.date(2026, 9, day) if day else None,
    )


def known(*items: Item) -> dict[str, Item]:
    return {i.key: i for i in items}


def test_first_sight_is_a_baseline_of_everything():
    current = [item("a", 3), item("b", 2)]
    result = diff_items({}, [], current, first_sight=True)
    assert result.baseline and result.new == tuple(current)


def test_new_changed_and_unchanged():
    before = [item("b", 2), item("c", 1)]
    current = [item("a", 3), item("b", 2, title="notice b (revised)"), item("c", 1)]
    result = diff_items(known(*before), before, current, first_sight=False)
    assert [i.key for i in result.new] == ["a"]
    assert [(old.title, new.title) for old, new in result.changed] == [("notice b", "notice b (revised)")]
    assert [i.key for i in result.unchanged] == ["c"]
    assert not result.gone


def test_rows_scrolling_off_the_end_are_not_gone():
    before = [item("b", 2), item("c", 1)]
    current = [item("a", 3), item("b", 2)]
    assert diff_items(known(*before), before, current, first_sight=False).gone == ()


def test_a_withdrawn_notice_is_gone():
    before = [item("a", 3), item("b", 2), item("c", 1)]
    current = [item("a", 3), item("c", 1)]
    result = diff_items(known(*before), before, current, first_sight=False)
    assert [i.key for i in result.gone] == ["b"]


def test_withdrawal_is_detected_by_position_when_rows_have_no_dates():
    before = [item("a"), item("b"), item("c")]
    result = diff_items(known(*before), before, [item("a"), item("c")], first_sight=False)
    assert [i.key for i in result.gone] == ["b"]
    assert diff_items(known(*before), before, [item("a"), item("b")], first_sight=False).gone == ()


def test_a_notice_seen_before_and_back_on_the_page_is_not_new():
    old = item("pinned", 1)
    before = [item("b", 2)]
    result = diff_items(known(old, *before), before, [old, item("b", 2)], first_sight=False)
    assert result.new == ()


def test_an_empty_page_where_there_were_items_is_rot_not_all_gone():
    before = [item("a", 3), item("b", 2)]
    result = diff_items(known(*before), before, [], first_sight=False)
    assert result.rot and result.gone == () and result.new == ()


def test_a_pinned_old_row_does_not_turn_scroll_off_into_gone():
    pinned = item("pinned", 1)  # 置顶: the oldest row sits first
    before = [pinned, item("c", 20), item("b", 19), item("a", 18)]
    current = [pinned, item("d", 21), item("c", 20), item("b", 19)]  # "a" scrolled off the bottom
    result = diff_items(known(*before), before, current, first_sight=False)
    assert result.gone == () and [i.key for i in result.new] == ["d"]
