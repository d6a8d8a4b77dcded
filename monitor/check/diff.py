"""Compare a fresh extraction with what is stored: new, changed and gone notices. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.values import Diff, Item


def _withdrawn(index: int, previous: Sequence[Item], current_keys: set[str]) -> bool:
    """Was the row at `index` of the last listing taken down, rather than pushed off the end?

    Lists show the latest N rows, so rows leave at the bottom as new ones arrive. A row that vanished while
    a row listed below it is still there was withdrawn. Positions, not dates: a pinned old row at the top
    would make any date rule call ordinary scroll-off "gone".
    """
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
        if item.key not in current_keys and _withdrawn(index, previous, current_keys)
    ]
    return Diff(new=tuple(new), changed=tuple(changed), gone=tuple(gone), unchanged=tuple(unchanged))
