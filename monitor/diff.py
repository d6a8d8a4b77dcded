"""Compare a fresh extraction with what is stored: new, changed and gone notices. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.values import Diff, Item


def _still_in_window(
    item: Item, index: int, previous: Sequence[Item], current: Sequence[Item], current_keys: set[str]
) -> bool:
    """Was `item` expected on the page still? Lists show the latest N: rows that scroll off are not gone.

    With dates: an item newer than the oldest row still listed has been withdrawn. Without: an item that
    sat above a row that is still listed has been withdrawn.
    """
    current_dates = [i.published for i in current if i.published]
    if item.published and current_dates:
        return item.published > min(current_dates)
    return any(prev.key in current_keys for prev in previous[index + 1 :])


def diff_items(
    known: Mapping[str, Item],
    previous: Sequence[Item],
    current: Sequence[Item],
    *,
    first_sight: bool,
) -> Diff:
    """`known`: every stored notice of the source by key; `previous`: the last listing, in page order."""
    if first_sight:
        return Diff(new=tuple(current), baseline=True)
    if not current and previous:
        return Diff(rot=True)
    current_keys = {item.key for item in current}
    new: list[Item] = []
    changed: list[tuple[Item, Item]] = []
    unchanged: list[Item] = []
    for item in current:
        before = known.get(item.key)
        if before is None:
            new.append(item)
        elif before.fingerprint() != item.fingerprint():
            changed.append((before, item))
        else:
            unchanged.append(item)
    gone = [
        item
        for index, item in enumerate(previous)
        if item.key not in current_keys and _still_in_window(item, index, previous, current, current_keys)
    ]
    return Diff(new=tuple(new), changed=tuple(changed), gone=tuple(gone), unchanged=tuple(unchanged))
