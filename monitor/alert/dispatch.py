"""The outbox dispatcher: sends due delivery rows, marks them sent, backs off and retries failures.

A row is marked sent only after the send returned, in its own transaction; a crash between the two can
repeat that one send (at-least-once), never lose it. A channel with several services records which ones
accepted the alert, so a retry goes only to those that did not.

A send whose outcome the store refused to record (a full or read-only disk) is kept in memory and recorded
as soon as the store takes writes again: forgotten, its claim would run out and the alert be sent twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import failpoints
from monitor.alert.render import AlertNotice, Format, Message, OpsEvent, render, render_ops
from monitor.alert.route import ops_routes
from monitor.alert.send import Compose, Sender
from monitor.config.settings import Settings
from monitor.logs import fault
from monitor.store import outbox
from monitor.store.db import write_refusal, write_transaction
from monitor.store.incidents import watch_channel
from monitor.store.models import Delivery, Notice, SourceState, utcnow
from monitor.values import Route

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    held: int = 0  # pending, not yet due: digests, quiet hours, retries
    next_due: dt.datetime | None = None

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        self.messages += other.messages
        self.errors += other.errors


@dataclass(frozen=True)
class _Context:
    """What every channel's sends of one dispatch share."""

    now: dt.datetime  # the dispatch's time (a caller may pass a time of its own)
    started: float  # time.monotonic() when it began
    origins: dict[str, tuple[str, str]]
    also: dict[int, list[tuple[str, str]]]

    def clock(self) -> dt.datetime:
        """The dispatch's time now: leases and retry times start from when a row is claimed or recorded,
        not from when the dispatch began minutes of slow sends ago."""
        return self.now + dt.timedelta(seconds=time.monotonic() - self.started)


@dataclass(frozen=True)
class _Unrecorded:
    """A send that happened, and the write that records it, refused by the store."""

    rows: frozenset[int]
    record: Callable[[], DispatchReport]


def _backoff(settings: Settings, attempts: int) -> dt.timedelta:
    base = settings.delivery.retry_base_s * (2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=min(base, settings.delivery.retry_max_s) * random.uniform(0.8, 1.2))


class Dispatcher:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, sender: Sender) -> None:
        self.sessions = sessions
        self.settings = settings
        self.sender = sender
        self._lock = asyncio.Lock()
        self._unrecorded: list[_Unrecorded] = []

    def _due(self, now: dt.datetime, include_not_due: bool) -> list[Delivery]:
        with self.sessions() as session:
            return outbox.due(session, now, include_not_due)

    def _claim(self, batch: list[Delivery], now: dt.datetime) -> list[Delivery]:
        lease = now + dt.timedelta(seconds=self.settings.delivery.claim_lease_s)
        with write_transaction(self.sessions) as session:
            return outbox.claim(session, batch, lease)

    def _sightings(self, notice_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
        """Reposts of these notices on other sources: shown in the one alert as further links."""
        found: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if not notice_ids:
            return found
        with self.sessions() as session:
            query = select(Notice.canonical_id, Notice.source_name, Notice.url).where(
                Notice.canonical_id.in_(notice_ids)
            )
            for canonical_id, source_name, url in session.execute(query.order_by(Notice.id)):
                if canonical_id is not None:
                    found[canonical_id].append((source_name, url))
        return found

    def _origins(self) -> dict[str, tuple[str, str]]:
        with self.sessions() as session:
            return {s.name: (s.agency, s.region) for s in session.scalars(select(SourceState))}

    async def dispatch_due(self, now: dt.datetime | None = None, force: bool = False) -> DispatchReport:
        """Send every due row; `force` also sends rows whose retry (or digest) time has not come."""
        async with self._lock:
            return await self._dispatch(now or utcnow(), force)

    @property
    def unrecorded(self) -> int:
        """Sends done whose outcome waits for the store to take writes again."""
        return len(self._unrecorded)

    async def _dispatch(self, now: dt.datetime, force: bool) -> DispatchReport:
        recorded = await self._record_kept()
        report = await self._send_due(now, force)
        report.add(recorded)
        report.held, report.next_due = await asyncio.to_thread(self._waiting, now)
        return report

    def _waiting(self, now: dt.datetime) -> tuple[int, dt.datetime | None]:
        with self.sessions() as session:
            return outbox.waiting(session, now)

    async def _record_kept(self) -> DispatchReport:
        """Record, in order, the outcomes the store refused before; a refusal again stops here and is raised."""
        report = DispatchReport()
        while self._unrecorded:
            try:
                report.add(await asyncio.to_thread(self._unrecorded[0].record))
            except Exception as exc:
                if write_refusal(exc) is not None:
                    raise
                # any other failure would fail again each round and hold every send back: given up, as a
                # crash would have (the claim runs out and the alert is sent again, at least once)
                fault(log, "the outcome of a send could not be recorded")
            self._unrecorded.pop(0)
        return report

    async def _recorded(
        self, record: Callable[..., DispatchReport], batch: list[Delivery], *args: Any
    ) -> DispatchReport:
        """`record(batch, *args)`: a send's outcome; one the store refuses is kept for later, then raised."""
        record = partial(record, batch, *args)
        try:
            return await asyncio.to_thread(record)
        except Exception as exc:
            if write_refusal(exc) is not None:
                self._unrecorded.append(_Unrecorded(frozenset(row.id for row in batch), record))
            raise

    async def _send_due(self, now: dt.datetime, force: bool) -> DispatchReport:
        report = DispatchReport()
        kept = {row_id for unrecorded in self._unrecorded for row_id in unrecorded.rows}
        rows = [row for row in await asyncio.to_thread(self._due, now, force) if row.id not in kept]
        if not rows:
            return report
        origins = await asyncio.to_thread(self._origins)
        also = await asyncio.to_thread(self._sightings, [row.notice_id for row in rows if row.notice_id is not None])
        by_channel: dict[str, dict[tuple[str, str], list[Delivery]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            # immediate rows go one by one; digest rows of one subscription and channel go together
            group = "digest" if row.mode == "digest" and row.change is not None else f"one:{row.id}"
            by_channel[row.channel][(row.subscription, group)].append(row)
        # channels side by side, each channel's alerts in order: a stuck service delays only its own channel
        context = _Context(now, time.monotonic(), origins, also)
        channels = list(by_channel.items())
        outcomes = await asyncio.gather(
            *(self._send_channel(name, batches, context) for name, batches in channels), return_exceptions=True
        )
        refused: BaseException | None = None
        for (name, _), outcome in zip(channels, outcomes, strict=True):
            if isinstance(outcome, BaseException) and write_refusal(outcome) is not None:
                refused = outcome  # the store's state, not this channel's: the caller hears of it once
            elif isinstance(outcome, BaseException):  # its rows stay claimed until the lease ends, then retried
                log.error("channel %s: dispatch failed: %s: %s", name, type(outcome).__name__, outcome)
                report.errors.append(f"{name}: {type(outcome).__name__}: {outcome}")
            else:
                report.add(outcome)
        if refused is not None:
            raise refused
        return report

    async def _send_channel(
        self, channel_name: str, batches: dict[tuple[str, str], list[Delivery]], context: _Context
    ) -> DispatchReport:
        report = DispatchReport()
        for (subscription, group), candidates in batches.items():
            batch = await asyncio.to_thread(self._claim, candidates, context.clock())
            if not batch:
                continue
            channel = self.settings.channels.get(channel_name)
            if channel is None:
                error = f"channel '{channel_name}' is no longer configured"
                report.add(await self._recorded(self._record_failure, batch, error, [], context.clock()))
                continue
            compose = self._composer(batch, context.origins, context.also, digest=group == "digest")
            skip = set.intersection(*(set(row.done_targets or []) for row in batch))
            # row ids restart in a new database: the first row's creation time keeps ids (and Message-IDs) unique
            alert_id = "cgt-" + "-".join(str(row.id) for row in batch) + f".{int(batch[0].created_at.timestamp())}"
            try:
                result = await self.sender.send(channel_name, channel, compose, skip, alert_id)
            except Exception as exc:  # the sender's own failure is this alert's failed attempt, not the dispatch's
                fault(log, "channel %s: the send failed", channel_name)
                error = f"{type(exc).__name__}: {exc}"
                report.add(await self._recorded(self._record_failure, batch, error, [], context.clock()))
                continue
            report.messages += 1
            failpoints.hit("dispatch.after_send")
            if result.ok:
                report.add(await self._recorded(self._record_success, batch, channel_name, context.clock()))
                continue
            failed = await self._recorded(self._record_failure, batch, result.detail, result.succeeded, context.clock())
            report.add(failed)
            report.errors.append(f"{subscription}/{channel_name}: {result.detail}")
            if result.stopped:
                break  # the channel is stuck: its other alerts wait, unclaimed, for the next round
        return report

    def _composer(
        self,
        batch: list[Delivery],
        origins: dict[str, tuple[str, str]],
        also: dict[int, list[tuple[str, str]]],
        digest: bool,
    ) -> Compose:
        first = batch[0]
        if first.incident is not None:
            incident = first.incident
            event = OpsEvent(
                incident.subject_kind,
                incident.subject,
                first.event or "opened",
                incident.reason,
                incident.opened_at,
                incident.resolved_at if first.event == "resolved" else None,
            )
            return lambda fmt, _limit: render_ops(event, fmt)
        notices = [self._alert_notice(row, origins, also) for row in batch]

        def compose(fmt: Format, limit: int | None) -> Message:
            return render(notices, fmt, digest=digest, limit=limit, more_url=self._desk_url("/"))

        return compose

    def _alert_notice(
        self, row: Delivery, origins: dict[str, tuple[str, str]], also: dict[int, list[tuple[str, str]]]
    ) -> AlertNotice:
        change = row.change
        assert change is not None
        notice = change.notice
        agency, region = origins.get(change.source_name, ("?", "?"))
        topics = tuple(notice.topics or ())
        return AlertNotice(
            title=notice.title,
            url=notice.url,
            agency=agency,
            region=region,
            published=notice.published,
            doc_type=notice.doc_type,
            deadline=notice.deadline,
            terms=tuple(notice.terms or ()),
            topics=topics,
            kind=change.kind,
            gloss=notice.gloss or "",
            document_number=notice.document_number,
            level=notice.level,
            passage=notice.passage,
            also=tuple((origins.get(name, (name, ""))[0], url) for name, url in also.get(notice.id, [])),
            desk_url=self._desk_url(f"/notices/{notice.id}?state=done#review"),
        )

    def _desk_url(self, path: str) -> str | None:
        base = self.settings.web.public_url
        return base.rstrip("/") + path if base else None

    def _record_success(self, batch: list[Delivery], channel: str, when: dt.datetime) -> DispatchReport:
        with write_transaction(self.sessions) as session:
            report = DispatchReport(sent=outbox.mark_sent(session, batch, when))
            watch_channel(
                session, channel, 0, self.settings.ops.channel_failures, None, self._ops_routes(channel, when), when
            )
        return report

    def _record_failure(
        self,
        batch: list[Delivery],
        error: str,
        succeeded: list[int],
        now: dt.datetime,
    ) -> DispatchReport:
        channel = batch[0].channel
        retry_at = now + _backoff(self.settings, max(row.attempts for row in batch) + 1)
        give_up = dt.timedelta(hours=self.settings.delivery.give_up_after_h)
        with write_transaction(self.sessions) as session:
            failure = outbox.mark_failed(session, batch, error, succeeded, now, retry_at, give_up)
            report = DispatchReport(failed=failure.retried, dead=len(failure.dead))
            for row in failure.dead:
                log.error("giving up delivery %d to %s after %d attempts: %s", row.id, row.channel, row.attempts, error)
            attempts = max(failure.attempts, self.settings.ops.channel_failures if failure.dead else 0)
            if batch[0].incident_id is None:  # an operator alert that fails does not announce itself
                routes = self._ops_routes(channel, now)
                watch_channel(session, channel, attempts, self.settings.ops.channel_failures, error, routes, now)
        return report

    def _ops_routes(self, failing_channel: str, now: dt.datetime) -> list[Route]:
        routes = ops_routes(self.settings.subscription, now)
        # tell ops through the other channels when there are any
        others = [r for r in routes if r.channel != failing_channel]
        return others or routes
