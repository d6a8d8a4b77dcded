"""The store's health: a database that refuses writes (full disk, read-only, I/O errors) is one state — one
line in the log when it begins, one when it ends, one operator alert per channel — not an error per check.

While it lasts nothing can be recorded, the outbox included, so the operator alert goes straight through the
sender. On recovery the outage is recorded as a `database` incident, and its "resolved" alert goes through the
outbox like every other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.alert.render import Format, Message, OpsEvent, render_ops
from monitor.alert.route import ops_routes
from monitor.alert.send import Sender
from monitor.config.settings import Settings
from monitor.store.db import database_name, free_space, write_refusal, write_transaction
from monitor.store.incidents import last_write, record_outage
from monitor.store.models import utcnow

log = logging.getLogger(__name__)

# a disk with less than this free is still full: a write that fits in the last pages would end the episode
# only for the next check to start another (and alert again)
HEADROOM_BYTES = 1 << 20


@dataclass
class Episode:
    reason: str
    since: dt.datetime
    # the store's last write before it: the same for a daemon restarted within the episode (nothing could be
    # written meanwhile), so its alert carries the same id and a mailbox drops it as a repeat
    last_write: dt.datetime | None = None
    told: set[str] = field(default_factory=set)  # operator channels that have the alert
    delivered: dict[str, set[int]] = field(default_factory=dict)  # services of a channel that accepted it
    retry_at: float = 0.0  # monotonic: when channels that failed to take the alert are tried again
    retry_s: float = 0.0
    odd_probe: bool = False  # a probe failed for another reason than a refusal, and the log said so


class StoreHealth:
    """Made before the store opens (a daemon may start on a disk that is full already), told the sessions
    once it has them: until then a refusal is alerted but cannot be probed."""

    def __init__(self, settings: Settings, sender: Sender, sessions: sessionmaker[Session] | None = None) -> None:
        self.settings = settings
        self.sender = sender
        self.subject = database_name(settings.resolved_database_url())
        self.sessions: sessionmaker[Session] | None = None
        self.engine: Engine | None = None
        self.episode: Episode | None = None
        if sessions is not None:
            self.attach(sessions)
        self._telling = asyncio.Lock()  # checks refused at the same moment tell each channel once

    def attach(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        engine = sessions.kw.get("bind")
        self.engine = engine if isinstance(engine, Engine) else None

    @property
    def refused(self) -> bool:
        return self.episode is not None

    async def note(self, reason: str) -> None:
        """A write was refused: the first refusal of an episode is logged and alerted, the others are not."""
        if self.episode is None:
            # opened before any await: checks refused at the same moment join this episode, not a new one each
            episode = self.episode = Episode(reason, utcnow(), retry_s=self.settings.ops.store_probe_s)
            log.error("the database refuses writes: %s; checks and alerts wait until it takes them again", reason)
            async with self._telling:  # no alert leaves before the episode knows the id it must carry
                episode.last_write = await asyncio.to_thread(self._last_write)
        await self._tell()

    async def probe(self) -> bool:
        """While refused: tell the channels not told yet, then try to record the outage. True when the
        store took it, which ends the episode."""
        episode = self.episode
        if episode is None:
            return True
        await self._tell()
        if self.sessions is None:
            return False
        free = free_space(self.engine) if self.engine is not None else None
        if free is not None and free < HEADROOM_BYTES:
            log.debug("the database's disk has %d bytes free: still refused", free)
            return False
        try:
            await asyncio.to_thread(self._record, episode)
        except Exception as exc:
            # still refused, or locked for a moment: the next probe tries again
            why = write_refusal(exc)
            if why is None and not episode.odd_probe:  # not a refusal: said once, as it may keep checks waiting
                episode.odd_probe = True
                log.warning("recording the database outage failed: %s: %s; trying again", type(exc).__name__, exc)
            log.debug("the database still refuses writes: %s", why or f"{type(exc).__name__}: {exc}")
            return False
        self.episode = None
        took = (utcnow() - episode.since).total_seconds()
        log.warning("the database takes writes again, after %.0f s (%s)", took, episode.reason)
        return True

    def _record(self, episode: Episode) -> None:
        assert self.sessions is not None
        now = utcnow()
        routes = ops_routes(self.settings.subscription, now)
        with write_transaction(self.sessions) as session:
            record_outage(session, "database", self.subject, episode.reason, episode.since, routes, now)

    def _last_write(self) -> dt.datetime | None:
        if self.sessions is None:
            return None
        try:  # reads mostly still work on a full or read-only disk; when they do not, the id is the episode's own
            with self.sessions() as session:
                return last_write(session)
        except Exception:
            return None

    def _channels(self) -> list[str]:
        names = dict.fromkeys(route.channel for route in ops_routes(self.settings.subscription, utcnow()))
        return [name for name in names if name in self.settings.channels]

    async def _tell(self) -> None:
        """The opening alert to each operator channel not told yet this episode, the channels side by side.
        A channel that fails is tried again later, backing off: its failure is logged by the sender."""
        async with self._telling:
            await self._tell_waiting()

    async def _tell_waiting(self) -> None:
        episode = self.episode
        if episode is None or time.monotonic() < episode.retry_at:
            return
        waiting = [name for name in self._channels() if name not in episode.told]
        if not waiting:
            return
        event = OpsEvent("database", self.subject, "opened", episode.reason, episode.since)

        def compose(fmt: Format, _limit: int | None) -> Message:
            return render_ops(event, fmt)

        # one id for the episode: a mailbox or webhook consumer drops a repeat
        alert_id = "cgt-store." + (episode.last_write or episode.since).strftime("%Y%m%dT%H%M%S%f")
        channels = self.settings.channels
        sends = (
            self.sender.send(name, channels[name], compose, episode.delivered.get(name, set()), alert_id)
            for name in waiting
        )
        results = await asyncio.gather(*sends, return_exceptions=True)
        failed = False
        for name, result in zip(waiting, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("channel %s: the database alert could not be sent: %s", name, result)
                failed = True
                continue
            episode.delivered.setdefault(name, set()).update(result.succeeded)
            if result.ok:
                episode.told.add(name)
            else:
                failed = True
        if failed:
            episode.retry_at = time.monotonic() + episode.retry_s
            episode.retry_s = min(episode.retry_s * 2, self.settings.delivery.retry_max_s)
