"""The outbox dispatcher: sends due delivery rows, marks them sent, backs off and retries failures.

A row is marked sent only after the send returned, in its own transaction; a crash between the two can
repeat that one send (at-least-once), never lose it. A channel with several services records which ones
accepted the alert, so a retry goes only to those that did not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor import failpoints
from monitor.alert.render import AlertNotice, Format, Message, OpsEvent, render, render_ops
from monitor.alert.route import ops_routes
from monitor.alert.send import Compose, Sender
from monitor.classify import default_classifier
from monitor.config.settings import Settings
from monitor.store.claims import claim_is_stale, this_process
from monitor.store.incidents import open_incident, raise_incident, resolve_incident
from monitor.store.models import Delivery, Notice, SourceState, utcnow

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)


def _ours(row: Delivery) -> bool:
    return row.status == "sending" and row.claimed_by == this_process()


def _backoff(settings: Settings, attempts: int) -> dt.timedelta:
    base = settings.delivery.retry_base_s * (2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=min(base, settings.delivery.retry_max_s) * random.uniform(0.8, 1.2))


class Dispatcher:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, sender: Sender) -> None:
        self.sessions = sessions
        self.settings = settings
        self.sender = sender
        self._lock = asyncio.Lock()
        self._glosses = default_classifier().glosses

    def _due(self, now: dt.datetime, include_not_due: bool) -> list[Delivery]:
        """Pending rows that are due, and rows whose sender died or whose lease ran out."""
        with self.sessions() as session:
            pending = select(Delivery).where(Delivery.status == "pending")
            if not include_not_due:
                pending = pending.where(Delivery.next_attempt_at <= now)
            rows = list(session.scalars(pending.order_by(Delivery.id).limit(500)).unique())
            abandoned = session.scalars(select(Delivery).where(Delivery.status == "sending").order_by(Delivery.id))
            rows += [r for r in abandoned.unique() if claim_is_stale(r.claimed_by, r.next_attempt_at, now)]
            return rows

    def _claim(self, batch: list[Delivery], now: dt.datetime) -> list[Delivery]:
        """Take the rows for this process; a row another dispatcher took meanwhile is left to it."""
        lease = now + dt.timedelta(seconds=self.settings.delivery.claim_lease_s)
        mine = []
        with self.sessions.begin() as session:
            for row in batch:
                claimed = session.execute(
                    update(Delivery)
                    .where(Delivery.id == row.id, Delivery.status == row.status)
                    .where(
                        Delivery.claimed_by.is_(None)
                        if row.claimed_by is None
                        else Delivery.claimed_by == row.claimed_by
                    )
                    .values(status="sending", claimed_by=this_process(), next_attempt_at=lease)
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount == 1:
                    mine.append(row)
        return mine

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
                found[canonical_id].append((source_name, url))
        return found

    def _origins(self) -> dict[str, tuple[str, str]]:
        with self.sessions() as session:
            return {s.name: (s.agency, s.region) for s in session.scalars(select(SourceState))}

    async def dispatch_due(self, now: dt.datetime | None = None, force: bool = False) -> DispatchReport:
        """Send every due row; `force` also sends rows whose retry (or digest) time has not come."""
        async with self._lock:
            return await self._dispatch(now or utcnow(), force)

    async def _dispatch(self, now: dt.datetime, force: bool) -> DispatchReport:
        report = DispatchReport()
        rows = await asyncio.to_thread(self._due, now, force)
        if not rows:
            return report
        origins = await asyncio.to_thread(self._origins)
        also = await asyncio.to_thread(self._sightings, [row.notice_id for row in rows if row.notice_id is not None])
        batches: dict[tuple[str, str, str], list[Delivery]] = defaultdict(list)
        for row in rows:
            # immediate rows go one by one; digest rows of one subscription and channel go together
            group = "digest" if row.mode == "digest" and row.change is not None else f"one:{row.id}"
            batches[(row.subscription, row.channel, group)].append(row)
        for (subscription, channel_name, group), candidates in batches.items():
            batch = await asyncio.to_thread(self._claim, candidates, now)
            if not batch:
                continue
            channel = self.settings.channels.get(channel_name)
            if channel is None:
                error = f"channel '{channel_name}' is no longer configured"
                await asyncio.to_thread(self._record_failure, batch, error, [], now, report)
                continue
            compose = self._composer(batch, origins, also, digest=group == "digest")
            skip = set.intersection(*(set(row.done_targets or []) for row in batch))
            alert_id = "cgt-" + "-".join(str(row.id) for row in batch)
            result = await self.sender.send(channel_name, channel, compose, skip, alert_id)
            report.messages += 1
            failpoints.hit("dispatch.after_send")
            if result.ok:
                await asyncio.to_thread(self._record_success, batch, channel_name, utcnow(), report)
            else:
                await asyncio.to_thread(self._record_failure, batch, result.detail, result.succeeded, now, report)
                report.errors.append(f"{subscription}/{channel_name}: {result.detail}")
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
            return render(notices, fmt, digest=digest, limit=limit)

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
            gloss="; ".join(self._glosses.get(t, t) for t in topics),
            document_number=(notice.extra or {}).get("document_number"),
            also=tuple((origins.get(name, (name, ""))[0], url) for name, url in also.get(notice.id, [])),
        )

    def _record_success(self, batch: list[Delivery], channel: str, when: dt.datetime, report: DispatchReport) -> None:
        with self.sessions.begin() as session:
            for row in batch:
                stored = session.get(Delivery, row.id)
                if stored is None or not _ours(stored):
                    continue
                stored.status, stored.sent_at, stored.last_error, stored.claimed_by = "sent", when, None, None
                stored.attempts += 1
                report.sent += 1
            if open_incident(session, "channel", channel) is not None:
                resolve_incident(session, "channel", channel, self._ops_routes(channel, when), when)

    def _record_failure(
        self,
        batch: list[Delivery],
        error: str,
        succeeded: list[int],
        now: dt.datetime,
        report: DispatchReport,
    ) -> None:
        give_up = dt.timedelta(hours=self.settings.delivery.give_up_after_h)
        channel = batch[0].channel
        # one retry time for the whole batch: a digest that failed comes back as one digest
        retry_at = now + _backoff(self.settings, max(row.attempts for row in batch) + 1)
        with self.sessions.begin() as session:
            worst = 0
            for row in batch:
                stored = session.get(Delivery, row.id)
                if stored is None or not _ours(stored):
                    continue
                stored.status, stored.claimed_by = "pending", None
                stored.attempts += 1
                stored.last_error = error
                stored.done_targets = sorted(set(stored.done_targets or []) | set(succeeded))
                worst = max(worst, stored.attempts)
                if now - stored.created_at >= give_up:
                    stored.status = "dead"
                    report.dead += 1
                    log.error(
                        "giving up delivery %d to %s after %d attempts: %s",
                        stored.id,
                        stored.channel,
                        stored.attempts,
                        error,
                    )
                    worst = max(worst, self.settings.ops.channel_failures)
                else:
                    stored.next_attempt_at = retry_at
                    report.failed += 1
            is_ops_row = batch[0].incident_id is not None
            if worst >= self.settings.ops.channel_failures and not is_ops_row:
                reason = f"{worst} failed attempts to deliver an alert; last error: {error}"
                raise_incident(session, "channel", channel, reason, self._ops_routes(channel, now), now)

    def _ops_routes(self, failing_channel: str, now: dt.datetime) -> list:
        routes = ops_routes(self.settings.subscription, now)
        # tell ops through the other channels when there are any
        others = [r for r in routes if r.channel != failing_channel]
        return others or routes
