"""Trying a source before it goes live: fetch it (or read a saved page) and extract, storing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.check.expected import list_probe
from monitor.check.interpret import Problem, interpret
from monitor.check.pipeline import CheckReport, fetch_source
from monitor.classify import default_classifier
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.fetch import BrowserFetcher, HttpFetcher
from monitor.fetch.blocked import block_reason
from monitor.fetch.charset import decode
from monitor.store.checks import CheckSummary
from monitor.values import Fetched, FetchOutcome


def read_saved_page(source: Source, path: Path) -> Fetched:
    """A saved page as if the source's URL had served it: links resolve against the source URL."""
    content = path.read_bytes()
    content_type = "application/json" if path.suffix == ".json" else None
    text, encoding = decode(content, content_type, source.encoding)
    return Fetched(
        url=source.url,
        final_url=source.url,
        status=200,
        outcome=FetchOutcome.OK,
        content=content,
        text=text,
        encoding=encoding,
    )


async def _fetch(source: Source, settings: Settings) -> Fetched:
    """The live page, in the source's fetch mode: a source behind a challenge is tried as it will be polled."""
    async with HttpFetcher(settings.fetch) as fetcher, BrowserFetcher(settings.browser, fetcher) as browser:
        return await fetch_source(fetcher, source, browser=browser)


def try_source(source: Source, settings: Settings, file: Path | None = None) -> CheckReport:
    fetched = read_saved_page(source, file) if file else asyncio.run(_fetch(source, settings))

    def summary(status: str, reason: str | None = None, items: int = 0) -> CheckSummary:
        return CheckSummary(source=source.name, outcome=status, items=items, reason=reason)

    # a page saved from a browser still carries the challenge's inline script: judge it by its list
    if file and (reason := block_reason(fetched.status, fetched.text, list_probe(source))):
        return CheckReport(source, summary("blocked", reason), fetched)
    outcome = interpret(fetched, source, base_url=source.url if file else None)
    if isinstance(outcome, Problem):
        return CheckReport(source, summary(outcome.status, outcome.reason), fetched)
    items = outcome
    classifier = default_classifier()
    verdicts = {item.key: classifier.classify(item.title) for item in items}
    return CheckReport(source, summary("ok", items=len(items)), fetched, items, None, verdicts)
