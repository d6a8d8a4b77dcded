"""What a subscription would have sent over the stored archive: per week, and which notices, before it goes
live. The filter is the subscription's own (monitor.alert.route.matches, said over stored notices)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from monitor.config.settings import Subscription
from monitor.store.notices import NoticeFilter, NoticeRow, all_notices


def subscription_filter(sub: Subscription, since: dt.date | None = None) -> NoticeFilter:
    return NoticeFilter(
        relevance="relevant" if sub.relevant_only else None,
        agencies=tuple(sub.agencies),
        regions=tuple(sub.regions),
        sources=tuple(sub.sources),
        doc_types=tuple(sub.doc_types),
        topics=tuple(sub.topics),
        since=since,
    )


def wanted_by(sub: Subscription, row: NoticeRow) -> bool:
    """What the filter does not say in SQL: the score floor and the terms (in the verdict or the title)."""
    if row.score < sub.min_score:
        return False
    if sub.terms:
        wanted = {term.casefold() for term in sub.terms}
        found = {term.casefold() for term in row.terms}
        return bool(wanted & found) or any(term in row.title.casefold() for term in wanted)
    return True


def subscription_notices(session: Session, sub: Subscription, since: dt.date | None = None, limit: int = 10_000):
    """The stored notices this subscription wants, newest first (sightings of an earlier notice left out:
    those are never alerted twice)."""
    rows = all_notices(session, subscription_filter(sub, since), limit=limit)
    return [row for row in rows if row.sighting_of is None and wanted_by(sub, row)]


@dataclass(frozen=True)
class Backtest:
    subscription: str
    since: dt.date
    weeks: list[tuple[dt.date, int]]  # each Monday from `since` on, and how many notices that week
    notices: list[NoticeRow]

    @property
    def total(self) -> int:
        return len(self.notices)


def _day(row: NoticeRow) -> dt.date:
    return row.published or row.first_seen_at.date()


def backtest(session: Session, sub: Subscription, today: dt.date, days: int) -> Backtest:
    if days < 1:
        raise ValueError("a backtest needs at least one day")
    since = today - dt.timedelta(days=days - 1)
    rows = [row for row in subscription_notices(session, sub, since) if since <= _day(row) <= today]
    first_monday = since - dt.timedelta(days=since.weekday())
    counts = {first_monday + dt.timedelta(weeks=n): 0 for n in range((today - first_monday).days // 7 + 1)}
    for row in rows:
        day = _day(row)
        counts[day - dt.timedelta(days=day.weekday())] += 1
    return Backtest(sub.name, since, sorted(counts.items()), rows)
