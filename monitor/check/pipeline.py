"""The one place that knows the order of a check:

    request → fetch → interpret (extract) → diff → enrich → classify → route → record (+ outbox) → dispatch

Every step is a function or small object of its own; this module only calls them in order and turns
whatever goes wrong into a recorded outcome.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from monitor import failpoints
from monitor.alert.dispatch import Dispatcher, DispatchReport
from monitor.alert.route import ops_routes, route
from monitor.check.diff import diff_items
from monitor.check.enrich import Enricher
from monitor.check.interpret import Problem, interpret
from monitor.check.offload import off_loop
from monitor.check.requests import ListProbe, SourceRequests, Validators
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.extract.signals import newest_date
from monitor.logs import fault
from monitor.store.checks import (
    CheckRecord,
    Snapshot,
    compared_rows,
    config_hash,
    listing_digest,
    load_details,
    load_snapshot,
    load_snapshots,
    page_digest,
    record_history,
    record_not_modified,
    record_problem,
    record_success,
    record_unchanged,
    stored_source,
)
from monitor.store.db import write_refusal, write_transaction
from monitor.store.incidents import watch_source
from monitor.store.listing import listing_health, still_fresh
from monitor.store.models import utcnow
from monitor.values import (
    CheckOutcome,
    CheckSummary,
    Detail,
    Diff,
    Fetched,
    FetchOutcome,
    Health,
    Item,
    Route,
    Verdict,
)

Summary = TypeVar("Summary", CheckSummary, CheckSummary | None)
T = TypeVar("T")

log = logging.getLogger(__name__)


class Classifier(Protocol):
    def classify(self, title: str, body: str = "", attachments: str = "") -> Verdict: ...


def classify_item(classifier: Classifier, item: Item) -> Verdict:
    """A notice judged on its title and, when it was followed, its body and attachments."""
    detail = item.detail
    if detail is None:
        return classifier.classify(item.title)
    return classifier.classify(item.title, detail.body, detail.attachment_text)


@dataclass
class CheckReport:
    """Everything one check saw, for the CLI; `summary` is what was (or would have been) recorded."""

    source: Source
    summary: CheckSummary
    fetched: Fetched | None = None
    items: list[Item] = field(default_factory=list)
    diff: Diff | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)


@dataclass
class BackfillReport:
    first: CheckReport
    pages: int = 1
    seen: int = 0
    added: int = 0
    stopped: str | None = None


def _keep_details(diff: Diff, details: Mapping[str, Detail]) -> Diff:
    """A changed row keeps what was read from its detail page: re-judged on all of it, not its title alone."""
    changed = tuple(
        (before, current if current.detail else dataclasses.replace(current, detail=details.get(current.key)))
        for before, current in diff.changed
    )
    return dataclasses.replace(diff, changed=changed)


def _store_threads(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Threads doing checks' store work. SQLite takes one writer at a time: more threads would only queue on
    its lock (each in the busy handler, past its timeout on a slow machine), and each would hold a connection
    with its own page cache. One thread reads and writes for all checks in turn, its reads as quick as the
    writes between them. A server database runs concurrent transactions side by side."""
    bind = sessions.kw.get("bind")
    return 1 if bind is None or bind.dialect.name == "sqlite" else settings.fetch.max_concurrent_checks


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        requests: SourceRequests,
        classifier: Classifier,
        dispatcher: Dispatcher,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.requests = requests
        self.classifier = classifier
        self.dispatcher = dispatcher
        self._checks = asyncio.Semaphore(settings.fetch.max_concurrent_checks)
        self._snapshots: dict[tuple[str, str], Snapshot] = {}
        self.enricher = Enricher(requests, settings.state_dir() / "attachments")
        self._store = concurrent.futures.ThreadPoolExecutor(
            _store_threads(sessions, settings), thread_name_prefix="cgt-store"
        )

    async def check(self, source: Source, *, dry_run: bool = False, items_wanted: bool = False) -> CheckReport:
        """One check; whatever goes wrong is recorded as the source's health, never raised — except a store
        that refuses writes (`write_refusal`): that is the store's health, and no record of it could be written."""
        started = utcnow()
        async with self._checks:
            try:
                return await self._check(source, dry_run, started, items_wanted)
            except Exception as exc:
                if write_refusal(exc) is not None:
                    raise
                fault(log, "%s: check failed", source.name)
                reason = f"check failed: {type(exc).__name__}: {exc}"
                return await self._problem(source, Problem(CheckOutcome.ERROR, reason), None, started, dry_run)

    async def _check(self, source: Source, dry_run: bool, started: dt.datetime, items_wanted: bool) -> CheckReport:
        budget = source.deadline_s or self.settings.fetch.check_deadline_s
        deadline = asyncio.get_running_loop().time() + budget
        # what the store knew after this process's last check of the source, unless that check changed it
        remembered = None if dry_run else self._snapshots.pop((source.name, config_hash(source)), None)
        snapshot = remembered if remembered is not None else await self._in_store(self._snapshot, source, dry_run)
        validators = None if dry_run else Validators(snapshot.etag, snapshot.last_modified)
        probe = ListProbe(source)
        try:  # httpx's timeouts are per read: a server trickling its answer is bounded only by this
            async with asyncio.timeout_at(deadline):
                fetched = await self.requests.list_page(source, validators=validators, probe=probe)
        except TimeoutError:
            reason = f"deadline: no complete answer within the check's {budget:g} s ({source.url})"
            return await self._problem(source, Problem(CheckOutcome.ERROR, reason), None, started, dry_run)
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            return await self._not_modified(source, fetched, started, dry_run, snapshot)
        page = page_digest(source, fetched)
        seen_before = fetched.outcome is FetchOutcome.OK and fetched.content and snapshot.page == page
        if seen_before and not dry_run and not items_wanted and snapshot.digest is not None:
            seen = await self._seen_page(source, fetched, snapshot, page, started)
            if seen is not None:
                return seen
        try:  # parsing off the event loop (lexbor releases the GIL): a hostile page delays no other source
            async with asyncio.timeout_at(deadline):
                outcome = await off_loop(interpret, fetched, source, None, probe)
        except TimeoutError:
            reason = f"deadline: the page could not be read within the check's {budget:g} s ({source.url})"
            return await self._problem(source, Problem(CheckOutcome.ERROR, reason), fetched, started, dry_run)
        if isinstance(outcome, Problem):
            if outcome.outcome is CheckOutcome.ROT and snapshot.item_count:
                outcome = Problem(outcome.outcome, f"{outcome.reason} (the last check listed {snapshot.item_count})")
            return await self._problem(source, outcome, fetched, started, dry_run)
        items = outcome
        digest = listing_digest(items)
        # the page lists what the store lists, and is still judged the list: nothing to compare or write
        if snapshot.digest == digest and self._still_the_list(source, items, snapshot):
            if dry_run:
                return CheckReport(source, _dry_summary(source, items, Diff(unchanged=tuple(items))), fetched, items)
            summary = await self._poll(source, fetched, snapshot, digest, page, newest_date(items), started)
            if summary is not None:
                return CheckReport(source, summary, fetched, items, Diff(unchanged=tuple(items)))
        if dry_run:
            diff = await self._in_store(self._compare, source, snapshot, items)
        else:
            diff, verdicts, summary = await self._in_store(
                self._compare_and_record, source, fetched, items, digest, page, started
            )
            if summary is not None:
                return _recorded(CheckReport(source, summary, fetched, items, diff, verdicts))
        if source.follows and diff.new and not diff.baseline:
            items, diff = await self._follow(source, items, diff, deadline)
        verdicts = self._verdicts(diff)
        report = CheckReport(source, _dry_summary(source, items, diff), fetched, items, diff, verdicts)
        if dry_run:
            return report
        record = self._record(source, fetched, items, diff, verdicts, started, page=page)
        report.summary = await self._write(lambda session: record_success(session, record))
        return _recorded(report)

    async def _seen_page(
        self, source: Source, fetched: Fetched, snapshot: Snapshot, page: str, started: dt.datetime
    ) -> CheckReport | None:
        """The very page the last healthy check read: its items are those stored, so it is not parsed again,
        only its dates judged against today. None when the store says otherwise (another instance's listing,
        an unhealthy source): the caller reads the page the long way."""
        assert snapshot.digest is not None
        if not still_fresh(source, snapshot.item_count, snapshot.page_newest, snapshot.last_new_at, utcnow()):
            return None
        summary = await self._poll(source, fetched, snapshot, snapshot.digest, page, snapshot.page_newest, started)
        return None if summary is None else CheckReport(source, summary, fetched)

    async def _poll(
        self,
        source: Source,
        fetched: Fetched,
        snapshot: Snapshot,
        digest: str,
        page: str,
        newest: dt.date | None,
        started: dt.datetime,
    ) -> CheckSummary | None:
        """Record a poll of a page that lists what the store lists, and remember what it answered; None when
        the store's listing or health says the check must be recorded the long way."""
        summary = await self._write(
            lambda s: record_unchanged(s, source, fetched, digest, utcnow(), started, page, newest)
        )
        if summary is not None:
            answered = dataclasses.replace(
                snapshot, etag=fetched.etag, last_modified=fetched.last_modified, page=page, page_newest=newest
            )
            self._remember(source, answered)
        return summary

    @staticmethod
    def _still_the_list(source: Source, items: list[Item], snapshot: Snapshot) -> bool:
        return listing_health(source, items, snapshot.last_new_at, utcnow())[0] is Health.OK

    def _remember(self, source: Source, snapshot: Snapshot) -> None:
        """Kept for the next check of the source: one row per source, its size that of one listing. Another
        instance changing the store meanwhile is caught by the digest the unchanged write compares."""
        # without its keys: a check compares against the listing its own transaction reads
        self._snapshots[(source.name, config_hash(source))] = dataclasses.replace(snapshot, listing=())

    def _preload(self, sources: Sequence[Source]) -> None:
        """What the store knows of many sources, in one query rather than one each."""
        with self.sessions() as session:
            for source, snapshot in zip(sources, load_snapshots(session, sources, listings=False), strict=True):
                self._remember(source, snapshot)

    def _snapshot(self, source: Source, dry_run: bool) -> Snapshot:
        with self.sessions() as session:  # the listing's keys only for a dry run's read-only comparison
            return load_snapshot(session, source, listings=dry_run)

    def _compare(self, source: Source, snapshot: Snapshot, items: list[Item]) -> Diff:
        """The diff against the stored rows of this page and the snapshot's listing, read only."""
        with self.sessions() as session:
            return _diff(session, source, snapshot.listing, snapshot.baselined, items)

    def _compare_and_record(
        self, source: Source, fetched: Fetched, items: list[Item], digest: str, page: str, started: dt.datetime
    ) -> tuple[Diff, dict[str, Verdict], CheckSummary | None]:
        """Compare, classify, route and record in one write transaction: the diff is against the store as this
        transaction finds it (another instance's check of the source a moment ago included), and all of it is
        stored or none. The summary is None, and nothing written, when new notices have detail pages to read
        first (`follow`): the caller reads them and records the check in a transaction of its own."""
        with write_transaction(self.sessions) as session:
            stored = stored_source(session, source)
            diff = _diff(session, source, stored.listing, stored.baselined, items)
            if source.follows and diff.new and not diff.baseline:
                return diff, {}, None
            verdicts = self._verdicts(diff)
            record = self._record(source, fetched, items, diff, verdicts, started, digest, page)
            summary = record_success(session, record, stored)
            self._watch(session, summary)
            failpoints.hit("check.before_commit")
            return diff, verdicts, summary

    def _verdicts(self, diff: Diff) -> dict[str, Verdict]:
        return {item.key: classify_item(self.classifier, item) for item in _to_classify(diff)}

    def _record(
        self,
        source: Source,
        fetched: Fetched,
        items: list[Item],
        diff: Diff,
        verdicts: dict[str, Verdict],
        started: dt.datetime,
        digest: str | None = None,
        page: str | None = None,
    ) -> CheckRecord:
        now = utcnow()
        return CheckRecord(
            source=source,
            fetched=fetched,
            items=items,
            diff=diff,
            verdicts=verdicts,
            routes=self._routes(source, diff, verdicts, now),
            started=started,
            now=now,
            duplicate_window=dt.timedelta(days=self.settings.duplicate_window_days),
            digest=digest,
            page=page,
        )

    def _routes(
        self, source: Source, diff: Diff, verdicts: dict[str, Verdict], now: dt.datetime
    ) -> dict[str, list[Route]]:
        """Who is to be alerted of each new notice: plain data, handed to the store's transaction."""
        if diff.baseline:
            return {}
        settings = self.settings
        return {
            item.key: route(
                settings.subscription,
                source,
                item,
                verdicts[item.key],
                now,
                settings.schedule.timezone,
                settings.channels,
            )
            for item in diff.new
        }

    async def _not_modified(
        self, source: Source, fetched: Fetched, started: dt.datetime, dry_run: bool, snapshot: Snapshot
    ) -> CheckReport:
        summary = CheckSummary(source=source.name, outcome=CheckOutcome.NOT_MODIFIED)
        if not dry_run:
            summary = await self._write(lambda s: record_not_modified(s, source, fetched, utcnow(), started))
            self._remember(source, snapshot)
        return CheckReport(source, summary, fetched)

    async def _problem(
        self, source: Source, problem: Problem, fetched: Fetched | None, started: dt.datetime, dry_run: bool
    ) -> CheckReport:
        if fetched is not None:  # an unexpected failure was logged with its traceback already
            log.warning("%s: %s (%s)", source.name, problem.outcome, problem.reason)
        summary = CheckSummary(source=source.name, outcome=problem.outcome, reason=problem.reason)
        if not dry_run:
            summary = await self._write(
                lambda s: record_problem(s, source, problem.outcome, problem.reason, fetched, utcnow(), started)
            )
        return CheckReport(source, summary, fetched)

    async def _follow(self, source: Source, items: list[Item], diff: Diff, deadline: float) -> tuple[list[Item], Diff]:
        """Fetch the detail pages (and attachments) of new notices, within the check's deadline; swap in the
        enriched items. Those the deadline leaves unread are classified on their titles, as before."""
        enriched: dict[str, Item] = {}
        try:
            async with asyncio.timeout_at(deadline):
                for item in diff.new:
                    enriched[item.key] = await self.enricher.enrich(source, item)
        except TimeoutError:
            log.warning("%s: deadline reached after %d of %d detail pages", source.name, len(enriched), len(diff.new))
        return [enriched.get(item.key, item) for item in items], dataclasses.replace(
            diff, new=tuple(enriched.get(item.key, item) for item in diff.new)
        )

    async def _write(self, action: Callable[[Session], Summary]) -> Summary:
        """Run one recording function in one transaction, off the event loop: all of it is stored, or none."""
        return await self._in_store(self._write_now, action)

    async def _in_store(self, fn: Callable[..., T], *args: object) -> T:
        """`fn` on a store thread, with this task's context (as `asyncio.to_thread` would)."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._store, context.run, fn, *args)

    def _write_now(self, action: Callable[[Session], Summary]) -> Summary:
        with write_transaction(self.sessions) as session:
            summary = action(session)
            if summary is not None:
                self._watch(session, summary)
            failpoints.hit("check.before_commit")
            return summary

    def _watch(self, session: Session, summary: CheckSummary) -> None:
        """The source's health as just recorded may open or close an incident: in the same transaction."""
        if summary.stayed_healthy:  # healthy before and after: no incident to open or resolve
            return
        session.flush()
        now = utcnow()
        routes = ops_routes(self.settings.subscription, now)
        watch_source(session, summary.source, self.settings.ops.source_failures, routes, now)

    async def check_all(
        self, sources: Sequence[Source], on_done: Callable[[CheckReport], None] | None = None
    ) -> list[CheckReport]:
        """Every source at once (within the concurrency limits); `on_done` hears of each as it ends."""

        await self._in_store(self._preload, sources)

        async def one(source: Source) -> CheckReport:
            report = await self.check(source)
            if on_done is not None:
                on_done(report)
            # what one check saw (the page, its items, the diff) held for a thousand sources to the end would be
            # the run's peak memory: the reports keep the summary and the fetch's facts
            fetched = report.fetched and dataclasses.replace(report.fetched, content=b"", text="", headers={})
            return CheckReport(report.source, report.summary, fetched)

        # every check ends before a failure is raised: none is left running, unheard, when the caller stops
        reports = await asyncio.gather(*(one(source) for source in sources), return_exceptions=True)
        for report in reports:
            if isinstance(report, BaseException):
                raise report
        return [report for report in reports if isinstance(report, CheckReport)]

    async def backfill(
        self, source: Source, pages: int, on_page: Callable[[int], None] | None = None
    ) -> BackfillReport:
        """Check page 1 as usual, then read pages 2..N into the store as history: known, never alerted."""
        first = await self.check(source)
        report = BackfillReport(first)
        if first.summary.outcome.failed:
            return report
        history: list[Item] = []
        for page in range(2, pages + 1):
            probe = ListProbe(source)
            fetched = await self.requests.list_page(source, page, probe=probe)
            outcome = await off_loop(interpret, fetched, source, None, probe)
            if isinstance(outcome, Problem):
                past_end = outcome.outcome is CheckOutcome.ROT or (
                    outcome.outcome is CheckOutcome.ERROR and fetched.status == 404
                )
                what = "past the last page" if past_end else outcome.outcome.value
                report.stopped = f"page {page}: {what} ({outcome.reason})"
                break
            report.pages += 1
            history.extend(outcome)
            if on_page is not None:
                on_page(page)
        verdicts = {item.key: classify_item(self.classifier, item) for item in history}
        report.added = await self._in_store(self._record_history, source, history, verdicts)
        report.seen = len(history)
        return report

    def _record_history(self, source: Source, history: list[Item], verdicts: dict[str, Verdict]) -> int:
        with write_transaction(self.sessions) as session:
            return record_history(session, source, history, verdicts, utcnow())

    async def run_once(
        self, sources: Sequence[Source], on_done: Callable[[CheckReport], None] | None = None
    ) -> tuple[list[CheckReport], DispatchReport]:
        reports = await self.check_all(sources, on_done)
        return reports, await self.dispatcher.dispatch_due()


def _diff(session: Session, source: Source, listing: Sequence[str], baselined: bool, items: list[Item]) -> Diff:
    """The diff against the stored rows of this page and of `listing` (their texts only if changed)."""
    known, previous = compared_rows(session, source, listing, items)
    diff = diff_items(known, previous, items, first_sight=not baselined)
    if diff.changed:
        diff = _keep_details(diff, load_details(session, source, (c.key for _, c in diff.changed)))
    return diff


def _to_classify(diff: Diff) -> list[Item]:
    return [*diff.new, *(current for _, current in diff.changed)]


def _dry_summary(source: Source, items: list[Item], diff: Diff) -> CheckSummary:
    return CheckSummary(
        source=source.name,
        outcome=CheckOutcome.DRY_RUN,
        items=len(items),
        new=len(diff.new),
        changed=len(diff.changed),
        gone=len(diff.gone),
        baseline=diff.baseline,
    )


def _recorded(report: CheckReport) -> CheckReport:
    failpoints.hit("check.after_commit")
    _log_summary(report.summary)
    return report


def _log_summary(summary: CheckSummary) -> None:
    log.debug(
        "%s: %s items, %d new (%d relevant), %d changed, %d gone%s",
        summary.source,
        summary.items,
        summary.new,
        summary.relevant_new,
        summary.changed,
        summary.gone,
        " [baseline]" if summary.baseline else "",
    )
