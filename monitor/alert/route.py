"""Which subscriptions want a notice, on which channels, and when: pure functions of config and verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from monitor.config.settings import Channel, Subscription
from monitor.config.sources import Source
from monitor.values import Item, Level, Route, Verdict


def matches(sub: Subscription, source: Source, item: Item, verdict: Verdict) -> bool:
    if sub.ops:
        return False
    if sub.relevant_only and not verdict.relevant:
        return False
    if sub.relevance == "title" and verdict.level is Level.BODY:
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
    if sub.topics and not set(sub.topics) & set(verdict.topics):
        return False
    if sub.terms:
        wanted = {t.casefold() for t in sub.terms}
        found = {t.casefold() for t in verdict.terms}
        if not (wanted & found or any(t in item.title.casefold() for t in wanted)):
            return False
    return True


def _at(local: dt.datetime, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def next_digest_time(now: dt.datetime, at: str, timezone: str, weekday: int | None = None) -> dt.datetime:
    """The next local `at` (HH:MM) after `now`, on `weekday` (0 = Monday) for weekly digests, in UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    candidate = _at(local, at)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    if weekday is not None:
        candidate += dt.timedelta(days=(weekday - candidate.weekday()) % 7)
    return candidate.astimezone(dt.UTC)


def quiet_until(now: dt.datetime, quiet_hours: str | None, timezone: str) -> dt.datetime | None:
    """The end of the quiet period `now` falls in ("22:00-08:00" spans midnight), or None outside it."""
    if not quiet_hours:
        return None
    start_text, end_text = quiet_hours.split("-")
    local = now.astimezone(ZoneInfo(timezone))
    start, end = _at(local, start_text), _at(local, end_text)
    if start <= end:
        inside = start <= local < end
    else:  # spans midnight
        inside = local >= start or local < end
        if local >= start:
            end += dt.timedelta(days=1)
    return end.astimezone(dt.UTC) if inside else None


def route(
    subscriptions: Iterable[Subscription],
    source: Source,
    item: Item,
    verdict: Verdict,
    now: dt.datetime,
    timezone: str = "Asia/Shanghai",
    channels: Mapping[str, Channel] | None = None,
) -> list[Route]:
    routes: list[Route] = []
    seen: set[tuple[str, str]] = set()  # each (subscription, channel) once, whatever the file says
    for sub in subscriptions:
        if not matches(sub, source, item, verdict):
            continue
        for channel in sub.channels:
            if (sub.name, channel) in seen:
                continue
            seen.add((sub.name, channel))
            due = now
            if sub.mode == "digest":
                due = next_digest_time(now, sub.digest_at, timezone, sub.digest_weekday)
            elif _is_chat(channels, channel) and (until := quiet_until(now, sub.quiet_hours, timezone)):
                due = until
            routes.append(Route(sub.name, channel, sub.mode, due))
    return routes


def ops_routes(subscriptions: Iterable[Subscription], now: dt.datetime) -> list[Route]:
    """Operator alerts go at once to every channel of every ops subscription (no quiet hours for outages)."""
    return [Route(sub.name, channel, "immediate", now) for sub in subscriptions if sub.ops for channel in sub.channels]


def _is_chat(channels: Mapping[str, Channel] | None, name: str) -> bool:
    if channels is None or name not in channels:
        return False
    return any(not url.lower().startswith(("mailto", "mailtos")) for url in channels[name].urls)
