"""The daemon: APScheduler decides when each source is checked; SIGTERM drains in-flight work.

A database that refuses writes pauses checks and sends (they could record nothing) until the store-health
job finds it taking writes again; the checks it held back then run at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import Sequence
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.alert.storehealth import StoreHealth
from monitor.check.pipeline import Pipeline
from monitor.config.sources import Source
from monitor.logs import fault
from monitor.store import leases
from monitor.store.db import write_refusal, write_transaction
from monitor.store.models import utcnow
from monitor.store.outbox import this_process
from monitor.store.retention import prune_runs

log = logging.getLogger(__name__)
_PRUNE_AFTER_START_S = 300  # once the first checks are under way, then daily


class Daemon:
    def __init__(self, pipeline: Pipeline, sources: Sequence[Source], health: StoreHealth | None = None) -> None:
        self.pipeline = pipeline
        self.sources = [s for s in sources if s.enabled]
        self._stop = asyncio.Event()
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._sending: set[asyncio.Task[Any]] = set()  # dispatch jobs: never cut mid-send (that would repeat it)
        # the health the start began with: a store refusing writes already is an episode under way
        self.health = health or StoreHealth(pipeline.settings, pipeline.dispatcher.sender)
        self.health.attach(pipeline.sessions)
        self._held_back: set[str] = set()  # sources not checked while the store refused writes
        self._scheduler: AsyncIOScheduler | None = None

    def _track_current_task(self, sending: bool = False) -> None:
        """Remember the running job so that a stop waits for it to finish."""
        task = asyncio.current_task()
        if task is not None and sending:
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        if task is not None:
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _check_and_dispatch(self, source: Source) -> None:
        if self._stop.is_set():
            return
        if self.health.refused:
            self._held_back.add(source.name)
            return
        self._track_current_task()
        try:
            if not await asyncio.to_thread(self._take_lease, source):
                log.info("%s: skipped, another instance is checking it or checked it lately", source.name)
                return
            try:
                report = await self.pipeline.check(source)
            finally:
                await asyncio.to_thread(self._give_back_lease, source)
            summary = report.summary
            log.info(
                "%s: %s, %d items, %d new (%d relevant), %d alerts queued%s",
                source.name,
                summary.outcome,
                summary.items,
                summary.new,
                summary.relevant_new,
                summary.deliveries,
                f" ({summary.reason})" if summary.reason else "",
            )
            if summary.deliveries:
                self._track_current_task(sending=True)
                await self.pipeline.dispatcher.dispatch_due()
        except Exception as exc:  # one source's failure must never stop the others
            if (why := write_refusal(exc)) is not None:
                self._held_back.add(source.name)
                await self.health.note(why)
                return
            fault(log, "check of %s failed", source.name)

    def _take_lease(self, source: Source) -> bool:
        settings = self.pipeline.settings
        hold = dt.timedelta(seconds=(source.deadline_s or settings.fetch.check_deadline_s) + 60)
        with write_transaction(self.pipeline.sessions) as session:
            interval = dt.timedelta(minutes=source.interval_minutes)
            return leases.take(session, source.name, this_process(), utcnow(), hold, interval)

    def _give_back_lease(self, source: Source) -> None:
        interval = source.interval_minutes * 60
        jitter = min(self.pipeline.settings.schedule.jitter_s, interval // 2)
        # due again a little before the next scheduled run, however the jitter falls
        quiet = dt.timedelta(seconds=max(interval / 2, interval - jitter - 1))
        now = utcnow()
        with write_transaction(self.pipeline.sessions) as session:
            leases.give_back(session, source.name, this_process(), now, now + quiet)

    async def _dispatch(self) -> None:
        if self._stop.is_set() or self.health.refused:
            return
        self._track_current_task(sending=True)
        try:
            await self.pipeline.dispatcher.dispatch_due()
        except Exception as exc:
            if (why := write_refusal(exc)) is not None:
                await self.health.note(why)
                return
            fault(log, "dispatch failed")

    async def _prune_runs(self) -> None:
        days = self.pipeline.settings.keep_runs_days
        if self._stop.is_set() or self.health.refused or not days:
            return
        self._track_current_task()
        before = utcnow() - dt.timedelta(days=days)
        try:
            deleted = await asyncio.to_thread(prune_runs, self.pipeline.sessions, before, stop=self._stop.is_set)
        except Exception as exc:  # the record is kept a day longer; checks go on
            if (why := write_refusal(exc)) is not None:
                await self.health.note(why)
                return
            fault(log, "pruning the record of checks failed")
            return
        if deleted:
            log.info("deleted %d records of checks older than %d days", deleted, days)

    async def _store_health(self) -> None:
        """While the store refuses writes: try it again; once it takes them, run what waited for it."""
        if self._stop.is_set() or not self.health.refused:
            return
        if not await self.health.probe():
            return
        held, self._held_back = self._held_back, set()
        if (scheduler := self._scheduler) is not None:
            for name in held:
                if (job := scheduler.get_job(f"check:{name}")) is not None:
                    job.modify(next_run_time=_in_seconds(0, scheduler))
        await self._dispatch()  # the recovery's alert, and the outcomes of sends the store could not record

    def build_scheduler(self) -> AsyncIOScheduler:
        settings = self.pipeline.settings.schedule
        scheduler = AsyncIOScheduler(
            timezone=settings.timezone, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
        )
        for source in self.sources:
            jitter = min(settings.jitter_s, source.interval_minutes * 30)
            scheduler.add_job(
                self._check_and_dispatch,
                IntervalTrigger(minutes=source.interval_minutes, jitter=jitter),
                args=[source],
                id=f"check:{source.name}",
                name=f"check {source.name}",
                next_run_time=None,
            )
        scheduler.add_job(
            self._dispatch, IntervalTrigger(seconds=settings.dispatch_every_s), id="dispatch", name="dispatch outbox"
        )
        scheduler.add_job(
            self._store_health,
            IntervalTrigger(seconds=self.pipeline.settings.ops.store_probe_s),
            id="store-health",
            name="probe a database that refuses writes",
        )
        scheduler.add_job(
            self._prune_runs,
            IntervalTrigger(hours=24),
            id="prune-runs",
            name="delete old records of checks",
            next_run_time=_in_seconds(_PRUNE_AFTER_START_S, scheduler),
        )
        self._scheduler = scheduler
        return scheduler

    def stop(self) -> None:
        log.info("stop requested: finishing in-flight work")
        self._stop.set()

    async def run(self, drain_timeout_s: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        scheduler = self.build_scheduler()
        scheduler.start()
        # first checks start now, spread out so a restart does not burst every host at once
        spread = self.pipeline.settings.schedule.startup_spread_s
        for index, source in enumerate(self.sources):
            delay = (index / max(1, len(self.sources))) * min(spread, source.interval_minutes * 60)
            job = scheduler.get_job(f"check:{source.name}")
            if job is not None:
                job.modify(next_run_time=_in_seconds(delay, scheduler))
        log.info("daemon started: %d sources", len(self.sources))
        await self._stop.wait()
        # pause first: shutting the scheduler down would cancel the running coroutine jobs
        scheduler.pause()
        grace = self.pipeline.settings.schedule.stop_grace_s if drain_timeout_s is None else drain_timeout_s
        if self._in_flight:
            log.info("waiting up to %g s for %d in-flight jobs", grace, len(self._in_flight))
            _, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            sending = pending & self._sending
            if sending:  # a send cut off after the service accepted it would be sent again on the next start
                limit = self.pipeline.settings.delivery.send_timeout_s + 5
                log.info("letting %d sends finish (at most %g s)", len(sending), limit)
                _, still = await asyncio.wait(sending, timeout=limit)
                pending = (pending - sending) | still
            if pending:
                # abandoned as a kill would: a check writes in one transaction, so none is half-stored,
                # and the next start checks those sources again
                log.warning("abandoning %d jobs still running after %g s", len(pending), grace)
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=2)
        scheduler.shutdown(wait=False)
        log.info("daemon stopped")


def _in_seconds(seconds: float, scheduler: AsyncIOScheduler) -> dt.datetime:
    return dt.datetime.now(scheduler.timezone) + dt.timedelta(seconds=seconds)
