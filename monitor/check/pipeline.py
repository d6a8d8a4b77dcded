"""The one place that knows the order of a check: fetch → extract → diff → classify → store+route → dispatch."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from monitor import failpoints
from monitor.alert.dispatch import Dispatcher, DispatchReport
from monitor.alert.route import route
from monitor.check.diff import diff_items
from monitor.check.enrich import Enricher
from monitor.check.expected import landing_url, list_probe, wait_selector
from monitor.check.health import watch_source
from monitor.check.interpret import Problem, interpret
from monitor.check.paging import page_request
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.fetch import HttpFetcher, RequestOptions
from monitor.fetch.browser import BrowserFetcher, BrowserRequest
from monitor.fetch.modes import fetch_by_mode
from monitor.store.checks import (
    CheckSummary,
    Snapshot,
    load_snapshot,
    record_history,
    record_not_modified,
    record_problem,
    record_success,
)
from monitor.store.models import utcnow
from monitor.values import Diff, Fetched, FetchOutcome, Item, Verdict

log = logging.getLogger(__name__)


class Classifier(Protocol):
    def classify(self, title: str, body: str = "", attachments: str = "") -> Verdict: ...


@dataclass
class CheckReport:
    """Everything one check saw, for the CLI; `summary` is what was (or would have been) recorded."""

    source: Source
    summary: CheckSummary
    fetched: Fetched | None = None
    items: list[Item] = field(default_factory=list)
    diff: Diff | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)


async def fetch_source(
    fetcher: HttpFetcher,
    source: Source,
    page: int = 1,
    snapshot: Snapshot | None = None,
    browser: BrowserFetcher | None = None,
) -> Fetched:
    """Page N of a source, conditional on the stored validators for page 1, in the source's fetch mode."""
    url, request = page_request(source, page)
    conditional = snapshot is not None and page == 1
    return await fetch_by_mode(
        source.fetch,
        fetcher,
        browser,
        url,
        RequestOptions(
            method=request.method,
            form=request.form,
            json_body=request.json_body,
            params=request.params,
            headers=request.headers,
            etag=snapshot.etag if conditional and snapshot else None,
            last_modified=snapshot.last_modified if conditional and snapshot else None,
            encoding=source.encoding,
            min_delay_s=source.min_delay_s,
            ca_file=source.ca_file,
            insecure_tls=source.insecure_tls,
            expect=list_probe(source),
        ),
        BrowserRequest(
            wait_for=wait_selector(source),
            headless=source.browser_headless,
            in_page=source.kind == "json" or request.method != "GET",  # an API: called from a page of the site
            landing_url=landing_url(source),
        ),
    )


@dataclass
class BackfillReport:
    first: CheckReport
    pages: int = 1
    seen: int = 0
    added: int = 0
    stopped: str | None = None


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        fetcher: HttpFetcher,
        classifier: Classifier,
        dispatcher: Dispatcher,
        browser: BrowserFetcher | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.fetcher = fetcher
        self.browser = browser  # for sources behind a JS challenge; launched on first need
        self.classifier = classifier
        self.dispatcher = dispatcher
        self._checks = asyncio.Semaphore(settings.fetch.max_concurrent_checks)
        self.enricher = Enricher(fetcher, settings.state_dir() / "attachments")

    def _snapshot(self, source: Source) -> Snapshot:
        with self.sessions() as session:
            return load_snapshot(session, source)

    async def fetch(self, source: Source, snapshot: Snapshot | None = None, page: int = 1) -> Fetched:
        return await fetch_source(self.fetcher, source, page, snapshot, self.browser)

    async def check(self, source: Source, *, dry_run: bool = False) -> CheckReport:
        """One check; whatever goes wrong is recorded as the source's health, never raised."""
        started = utcnow()
        async with self._checks:
            try:
                report = await self._check(source, dry_run)
            except Exception as exc:
                log.exception("%s: check failed", source.name)
                reason = f"check failed: {type(exc).__name__}: {exc}"
                summary = CheckSummary(source=source.name, outcome="error", reason=reason)
                if not dry_run:
                    summary = await self._write(
                        lambda s: record_problem(s, source, "error", reason, None, utcnow(), started)
                    )
                report = CheckReport(source, summary)
        return report

    async def _check(self, source: Source, dry_run: bool) -> CheckReport:
        started = utcnow()
        snapshot = await asyncio.to_thread(self._snapshot, source)
        fetched = await self.fetch(source, None if dry_run else snapshot)

        async def problem(status: str, reason: str) -> CheckReport:
            log.warning("%s: %s (%s)", source.name, status, reason)
            summary = CheckSummary(source=source.name, outcome=status, reason=reason)
            if not dry_run:
                summary = await self._write(
                    lambda s: record_problem(s, source, status, reason, fetched, utcnow(), started)
                )
            return CheckReport(source, summary, fetched)

        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            summary = CheckSummary(source=source.name, outcome="not_modified")
            if not dry_run:
                summary = await self._write(lambda s: record_not_modified(s, source, fetched, utcnow(), started))
            return CheckReport(source, summary, fetched)
        outcome = interpret(fetched, source)
        if isinstance(outcome, Problem):
            if outcome.status == "rot" and snapshot.listing:
                return await problem("rot", f"{outcome.reason} (the last check listed {len(snapshot.listing)})")
            return await problem(outcome.status, outcome.reason)
        items = outcome
        diff = diff_items(snapshot.known, snapshot.listing, items, first_sight=not snapshot.baselined)
        # a changed row keeps what was read from its detail page: re-judged on all of it, not its title alone
        diff = dataclasses.replace(
            diff,
            changed=tuple(
                (before, dataclasses.replace(current, extra={**before.extra, **current.extra}))
                for before, current in diff.changed
            ),
        )
        if source.follow and diff.new and not diff.baseline:
            items, diff = await self._follow(source, items, diff)
        to_classify = [*diff.new, *(current for _, current in diff.changed)]
        verdicts = {item.key: self._classify(item) for item in to_classify}
        report = CheckReport(
            source,
            CheckSummary(
                source=source.name,
                outcome="dry_run",
                items=len(items),
                new=len(diff.new),
                changed=len(diff.changed),
                gone=len(diff.gone),
                baseline=diff.baseline,
            ),
            fetched,
            items,
            diff,
            verdicts,
        )
        if dry_run:
            return report
        now = utcnow()

        def router(item: Item, verdict: Verdict) -> list:
            return route(
                self.settings.subscription,
                source,
                item,
                verdict,
                now,
                self.settings.schedule.timezone,
                self.settings.channels,
            )

        report.summary = await self._write(
            lambda s: record_success(
                s,
                source,
                fetched,
                items,
                diff,
                verdicts,
                router,
                now,
                started,
                dt.timedelta(days=self.settings.duplicate_window_days),
            )
        )
        failpoints.hit("check.after_commit")
        log.info(
            "%s: %s items, %d new (%d relevant), %d changed, %d gone%s",
            source.name,
            len(items),
            len(diff.new),
            report.summary.relevant_new,
            len(diff.changed),
            len(diff.gone),
            " [baseline]" if diff.baseline else "",
        )
        return report

    def _classify(self, item: Item) -> Verdict:
        extra = item.extra
        return self.classifier.classify(item.title, str(extra.get("body", "")), str(extra.get("attachment_text", "")))

    async def _follow(self, source: Source, items: list[Item], diff: Diff) -> tuple[list[Item], Diff]:
        """Fetch the detail pages (and attachments) of new notices; swap in the enriched items."""
        options = RequestOptions(
            headers=source.request.headers,
            min_delay_s=source.min_delay_s,
            ca_file=source.ca_file,
            insecure_tls=source.insecure_tls,
        )
        enriched = {item.key: await self.enricher.enrich(item, options) for item in diff.new}
        return [enriched.get(item.key, item) for item in items], dataclasses.replace(
            diff, new=tuple(enriched[item.key] for item in diff.new)
        )

    async def _write(self, action: Callable[[Session], CheckSummary]) -> CheckSummary:
        """Run one recording function in one transaction, off the event loop: all of it is stored, or none."""
        return await asyncio.to_thread(self._write_now, action)

    def _write_now(self, action: Callable[[Session], CheckSummary]) -> CheckSummary:
        with self.sessions.begin() as session:
            summary = action(session)
            session.flush()
            # the source's health as just recorded may open or close an incident: same transaction
            watch_source(session, self.settings, summary.source, utcnow())
            failpoints.hit("check.before_commit")
            return summary

    async def check_all(self, sources: Sequence[Source]) -> list[CheckReport]:
        return list(await asyncio.gather(*(self.check(source) for source in sources)))

    async def backfill(self, source: Source, pages: int) -> BackfillReport:
        """Check page 1 as usual, then read pages 2..N into the store as history: known, never alerted."""
        first = await self.check(source)
        report = BackfillReport(first)
        if first.summary.outcome not in ("baseline", "ok", "not_modified"):
            return report
        history: list[Item] = []
        for page in range(2, pages + 1):
            fetched = await self.fetch(source, page=page)
            outcome = interpret(fetched, source)
            if isinstance(outcome, Problem):
                past_end = outcome.status == "rot" or (outcome.status == "error" and fetched.status == 404)
                report.stopped = (
                    f"page {page}: " + ("past the last page" if past_end else outcome.status) + (f" ({outcome.reason})")
                )
                break
            report.pages += 1
            history.extend(outcome)
        verdicts = {item.key: self._classify(item) for item in history}
        with self.sessions.begin() as session:
            report.added = record_history(session, source, history, verdicts, utcnow())
        report.seen = len(history)
        return report

    async def run_once(self, sources: Sequence[Source]) -> tuple[list[CheckReport], DispatchReport]:
        reports = await self.check_all(sources)
        return reports, await self.dispatcher.dispatch_due()
