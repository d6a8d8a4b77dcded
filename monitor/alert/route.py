"""Which subscriptions want a notice: a pure function of the subscriptions, the source and the verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from monitor.config.settings import Subscription
from monitor.config.sources import Source
from monitor.values import Item, Verdict


@dataclass(frozen=True)
class Route:
    subscription: str
    channel: str
    mode: str
    due_at: dt.datetime


def matches(sub: Subscription, source: Source, item: Item, verdict: Verdict) -> bool:
    if sub.relevant_only and not verdict.relevant:
        return False
    if verdict.score < sub.min_score:
        return False
    if sub.agencies and source.agency.casefold() not in {a.casefold() for a in sub.agencies}:
        return False
    if sub.regions and not any(source.region == r or source.region.startswith(r + "-") for r in sub.regions):
        return False
    if sub.sources and source.name not in sub.sources:
        return False
    if sub.doc_types and verdict.doc_type not in sub.doc_types:
        return False
    if sub.terms:
        wanted = {t.casefold() for t in sub.terms}
        found = {t.casefold() for t in verdict.terms}
        if not (wanted & found or any(t in item.title.casefold() for t in wanted)):
            return False
    return True


def next_digest_time(now: dt.datetime, at: str, timezone: str, weekday: int | None = None) -> dt.datetime:
    """The next local `at` (HH:MM) after `now`, on `weekday` (0 = Monday) for weekly digests, in UTC."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in at.split(":"))
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    if weekday is not None:
        candidate += dt.timedelta(days=(weekday - candidate.weekday()) % 7)
    return candidate.astimezone(dt.UTC)


def route(
    subscriptions: Iterable[Subscription],
    source: Source,
    item: Item,
    verdict: Verdict,
    now: dt.datetime,
    timezone: str = "Asia/Shanghai",
) -> list[Route]:
    routes: list[Route] = []
    for sub in subscriptions:
        if not matches(sub, source, item, verdict):
            continue
        due = now
        if sub.mode == "digest":
            due = next_digest_time(now, sub.digest_at, timezone, sub.digest_weekday)
        routes.extend(Route(sub.name, channel, sub.mode, due) for channel in sub.channels)
    return routes
