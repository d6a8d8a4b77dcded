"""The outbox dispatcher: sends due delivery rows, marks them sent, backs off and retries failures.

A row is marked sent only after the send returned, in its own transaction; a crash between the two can
repeat that one send (at-least-once), never lose it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import failpoints
from monitor.alert.render import AlertNotice, render
from monitor.alert.send import Sender
from monitor.config.settings import Settings
from monitor.store.models import Delivery, SourceState, utcnow

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)


def _backoff(settings: Settings, attempts: int) -> dt.timedelta:
    base = settings.delivery.retry_base_s * (2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=min(base, settings.delivery.retry_max_s) * random.uniform(0.8, 1.2))


class Dispatcher:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, sender: Sender) -> None:
        self.sessions = sessions
        self.settings = settings
        self.sender = sender
        self._lock = asyncio.Lock()

    def _due(self, now: dt.datetime, include_not_due: bool) -> list[Delivery]:
        with self.sessions() as session:
            query = select(Delivery).where(Delivery.status == "pending")
            if not include_not_due:
                query = query.where(Delivery.next_attempt_at <= now)
            return list(session.scalars(query.order_by(Delivery.id).limit(500)).unique())

    def _agencies(self) -> dict[str, tuple[str, str]]:
        with self.sessions() as session:
            return {s.name: (s.agency, s.region) for s in session.scalars(select(SourceState))}

    async def dispatch_due(self, now: dt.datetime | None = None, force: bool = False) -> DispatchReport:
        """Send every due row; `force` sends pending rows whose retry (or digest) time has not come."""
        async with self._lock:
            return await self._dispatch(now or utcnow(), force)

    async def _dispatch(self, now: dt.datetime, force: bool) -> DispatchReport:
        report = DispatchReport()
        rows = self._due(now, force)
        if not rows:
            return report
        origins = self._agencies()
        batches: dict[tuple[str, str, str], list[Delivery]] = defaultdict(list)
        for row in rows:
            # immediate rows go one by one; digest rows of one subscription and channel go together
            group = row.mode if row.mode == "digest" else f"immediate:{row.id}"
            batches[(row.subscription, row.channel, group)].append(row)
        for (subscription, channel_name, group), batch in batches.items():
            channel = self.settings.channels.get(channel_name)
            if channel is None:
                self._fail(batch, f"channel '{channel_name}' is no longer configured", now, report)
                continue
            notices = [self._alert_notice(row, origins) for row in batch]
            message = render(notices, digest=group == "digest")
            result = await self.sender.send(channel_name, channel, message)
            report.messages += 1
            failpoints.hit("dispatch.after_send")
            if result.ok:
                self._mark_sent(batch, utcnow(), report)
            else:
                self._fail(batch, result.detail, now, report)
                report.errors.append(f"{subscription}/{channel_name}: {result.detail}")
        return report

    @staticmethod
    def _alert_notice(row: Delivery, origins: dict[str, tuple[str, str]]) -> AlertNotice:
        change = row.change
        notice = change.notice
        agency, region = origins.get(change.source_name, ("?", "?"))
        return AlertNotice(
            title=notice.title,
            url=notice.url,
            agency=agency,
            region=region,
            published=notice.published,
            doc_type=notice.doc_type,
            deadline=notice.deadline,
            terms=tuple(notice.terms or ()),
            topics=tuple(notice.topics or ()),
            kind=change.kind,
        )

    def _mark_sent(self, batch: list[Delivery], when: dt.datetime, report: DispatchReport) -> None:
        with self.sessions.begin() as session:
            for row in batch:
                stored = session.get(Delivery, row.id)
                if stored is None or stored.status != "pending":
                    continue
                stored.status, stored.sent_at, stored.last_error = "sent", when, None
                stored.attempts += 1
                report.sent += 1

    def _fail(self, batch: list[Delivery], error: str, now: dt.datetime, report: DispatchReport) -> None:
        give_up = dt.timedelta(hours=self.settings.delivery.give_up_after_h)
        with self.sessions.begin() as session:
            for row in batch:
                stored = session.get(Delivery, row.id)
                if stored is None or stored.status != "pending":
                    continue
                stored.attempts += 1
                stored.last_error = error
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
                else:
                    stored.next_attempt_at = now + _backoff(self.settings, stored.attempts)
                    report.failed += 1
