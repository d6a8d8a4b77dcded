"""Trying a source before it goes live: fetch it (or read a saved page) and extract, storing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.check.interpret import Problem, interpret
from monitor.check.pipeline import CheckReport, classify_item
from monitor.check.requests import ListProbe, SourceRequests
from monitor.classify import default_classifier
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.fetch import BrowserFetcher, HttpFetcher
from monitor.fetch.blocked import block_reason
from monitor.fetch.charset import UndecodablePage, decode
from monitor.values import CheckOutcome, CheckSummary, Fetched


def read_saved_page(source: Source, path: Path) -> Fetched:
    """A saved page as if the source's URL had served it: links resolve against the source URL."""
    content = path.read_bytes()
    content_type = "application/json" if path.suffix == ".json" else None
    try:
        text, encoding = decode(content, content_type, source.encoding)
    except UndecodablePage as exc:
        return Fetched.failed(source.url, f"undecodable page {path}: {exc}")
    return Fetched.saved(source.url, content, text, encoding)


async def _fetch(source: Source, settings: Settings, probe: ListProbe) -> Fetched:
    """The live page, in the source's fetch mode: a source behind a challenge is tried as it will be polled."""
    async with HttpFetcher(settings.fetch) as fetcher, BrowserFetcher(settings.browser, fetcher) as browser:
        return await SourceRequests(fetcher, browser).list_page(source, probe=probe)


def try_source(source: Source, settings: Settings, file: Path | None = None) -> CheckReport:
    probe = ListProbe(source)
    fetched = read_saved_page(source, file) if file else asyncio.run(_fetch(source, settings, probe))

    def summary(outcome: CheckOutcome, reason: str | None = None, items: int = 0) -> CheckSummary:
        return CheckSummary(source=source.name, outcome=outcome, items=items, reason=reason)

    # a page saved from a browser still carries the challenge's inline script: judge it by its list
    if file and (blocked := block_reason(fetched.status, fetched.text, probe)):
        return CheckReport(source, summary(CheckOutcome.BLOCKED, blocked[1]), fetched)
    outcome = interpret(fetched, source, base_url=source.url if file else None, probe=probe)
    if isinstance(outcome, Problem):
        return CheckReport(source, summary(outcome.outcome, outcome.reason), fetched)
    items = outcome
    classifier = default_classifier()
    verdicts = {item.key: classify_item(classifier, item) for item in items}
    return CheckReport(source, summary(CheckOutcome.OK, items=len(items)), fetched, items, None, verdicts)
