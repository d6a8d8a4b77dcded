"""What an extracted list says about the page it came from: is it still the list?

A page can yield items and still be the wrong page: a landing page full of column links (none of the form
the key pattern expects), or a list frozen months ago. One judgement, used by `sources verify` on its first
look and by the store when it records a check's health (`suspect` rather than `ok`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.values import Item

# fewer than this share of links in the key's form: the page is no longer (only) the list
MIN_KEY_SHARE = 0.5


@dataclass(frozen=True)
class ListSignals:
    items: int
    keyed: int | None  # items whose link matches the key pattern; None without a pattern
    newest: dt.date | None
    age_days: int | None  # of the newest item, on the day judged
    stale_after_days: int
    off_pattern: str | None = None  # why the links look like another page's, if they do
    stale: str | None = None  # why the dates look frozen, if they do

    @property
    def key_share(self) -> float | None:
        return None if self.keyed is None or not self.items else self.keyed / self.items

    @property
    def suspect(self) -> str | None:
        """The reasons the list looks wrong, joined; None when it looks like the list."""
        reasons = [r for r in (self.off_pattern, self.stale) if r]
        return "; ".join(reasons) or None


def read_signals(
    items: Sequence[Item],
    key_pattern: str | None,
    today: dt.date,
    stale_after_days: int,
    quiet_since: dt.date | None = None,
) -> ListSignals:
    """Judge a list's items.

    `quiet_since`: the day the watcher last saw a notice it had not seen before. A watcher judges "frozen" on
    what it watched (no new notice for `stale_after_days`, and the newest date as old); without one (a first
    look) the dates alone decide.
    """
    keyed = None
    off_pattern = None
    if key_pattern and items:
        pattern = re.compile(key_pattern)
        keyed = sum(1 for item in items if pattern.search(item.url))
        if keyed < MIN_KEY_SHARE * len(items):
            example = next((i.url for i in items if not pattern.search(i.url)), "")
            off_pattern = (
                f"{keyed} of {len(items)} links match key_pattern '{key_pattern}' (e.g. {example}): "
                "a landing page rather than the list?"
            )
    newest = newest_date(items)
    age = (today - newest).days if newest else None
    stale = frozen(len(items), newest, today, stale_after_days, quiet_since)
    return ListSignals(len(items), keyed, newest, age, stale_after_days, off_pattern, stale)


def newest_date(items: Sequence[Item]) -> dt.date | None:
    return max((item.published for item in items if item.published is not None), default=None)


def frozen(
    count: int, newest: dt.date | None, today: dt.date, stale_after_days: int, quiet_since: dt.date | None = None
) -> str | None:
    """Why a list of `count` items whose newest is dated `newest` looks frozen on `today`, if it does: the one
    signal of a list that changes with the day, not with the page."""
    age = (today - newest).days if newest else None
    watched_quiet = quiet_since is None or (today - quiet_since).days > stale_after_days
    if stale_after_days and age is not None and age > stale_after_days and watched_quiet:
        return (
            f"the newest of {count} items is dated {newest}, {age} days ago "
            f"(stale_after_days = {stale_after_days}): dates frozen?"
        )
    return None
