"""`sources verify`: each source fetched live, as the daemon would fetch it, and judged as a list.

For the first day on a real network: does the page still answer, at the configured address, with the list
the selectors expect — items, links in the key's form, recent dates, a page 2 — or is it blocked, rotten,
moved or a landing page? Nothing is stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from monitor.check.interpret import ListProbe, Problem, interpret
from monitor.check.requests import SourceRequests, page_request
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.extract.dates import SHANGHAI
from monitor.extract.signals import ListSignals, read_signals
from monitor.fetch import BrowserFetcher, HttpFetcher
from monitor.values import CheckOutcome, Fetched, FetchedBy, Finding

_DEFAULT_PAGE = re.compile(r"/(index|default)\.s?html?$", re.I)


@dataclass(frozen=True)
class Verification:
    """What one source's live pages showed."""

    source: str
    url: str
    findings: dict[Finding, str] = field(default_factory=dict)  # what is wrong, each with its detail
    items: int = 0
    signals: ListSignals | None = None
    final_url: str | None = None
    page_2: int | None = None  # items on page 2; None when the source has no paging or page 2 failed
    mode: FetchedBy | None = None
    elapsed_s: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    @property
    def status(self) -> str:
        return ", ".join(self.findings) or "ok"

    def as_dict(self) -> dict[str, Any]:
        signals = self.signals
        return {
            "source": self.source,
            "url": self.url,
            "status": self.status,
            "ok": not self.failed,
            "findings": {finding.value: detail for finding, detail in self.findings.items()},
            "items": self.items,
            "newest": signals.newest.isoformat() if signals and signals.newest else None,
            "age_days": signals.age_days if signals else None,
            "stale": bool(signals and signals.stale),
            "key_share": round(signals.key_share, 3) if signals and signals.key_share is not None else None,
            "page_2": self.page_2,
            "final_url": self.final_url,
            "fetched_by": self.mode.value if self.mode else None,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _place(url: str) -> tuple[str, str]:
    """Host (without www) and path (without a default page name or trailing slash): http→https or
    /tztg/ → /tztg/index.html is the same page, another path is not."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    return host, _DEFAULT_PAGE.sub("/", parts.path).rstrip("/")


def moved_to(requested: str, fetched: Fetched) -> str | None:
    """Where a redirect took the request, when that is another page."""
    final = fetched.final_url or requested
    return final if _place(final) != _place(requested) else None


_PROBLEM = {CheckOutcome.BLOCKED: Finding.BLOCKED, CheckOutcome.ROT: Finding.ROT, CheckOutcome.ERROR: Finding.ERROR}


async def _page_2(requests: SourceRequests, source: Source, first_keys: set[str]) -> tuple[int | None, str | None]:
    """Items on page 2, or why it does not serve older notices."""
    probe = ListProbe(source)
    fetched = await requests.list_page(source, 2, probe=probe)
    outcome = interpret(fetched, source, None, probe)
    if isinstance(outcome, Problem):
        return None, f"page 2 ({page_request(source, 2)[0]}): {outcome.outcome}: {outcome.reason}"
    if {item.key for item in outcome} <= first_keys:
        return None, f"page 2 ({fetched.final_url}) repeats page 1: the paging setting is not read by the site"
    return len(outcome), None


async def verify_source(requests: SourceRequests, source: Source, today: dt.date) -> Verification:
    started = time.monotonic()
    probe = ListProbe(source)
    fetched = await requests.list_page(source, probe=probe)
    findings: dict[Finding, str] = {}
    if moved := moved_to(source.url, fetched):
        findings[Finding.MOVED] = f"redirected to {moved}: update the source's url"
    outcome = interpret(fetched, source, None, probe)
    seen = Verification(source.name, source.url, findings, final_url=fetched.final_url, mode=fetched.mode)
    if isinstance(outcome, Problem):
        findings[_PROBLEM[outcome.outcome]] = outcome.reason
        return dataclasses.replace(seen, elapsed_s=time.monotonic() - started)
    signals = read_signals(outcome, source.key_pattern, today, source.stale_after_days)
    if signals.off_pattern:
        findings[Finding.OFF_PATTERN] = signals.off_pattern
    if signals.stale:
        findings[Finding.STALE] = signals.stale
    page_2 = None
    if source.page_url or source.page_param:
        page_2, why = await _page_2(requests, source, {item.key for item in outcome})
        if why:
            findings[Finding.PAGE_2] = why
    elapsed = time.monotonic() - started
    return dataclasses.replace(seen, items=len(outcome), signals=signals, page_2=page_2, elapsed_s=elapsed)


async def verify_sources(
    sources: Sequence[Source], settings: Settings, today: dt.date | None = None
) -> list[Verification]:
    """Every source side by side (the per-host limits keep it polite), in the catalogue's order."""
    day = today or dt.datetime.now(SHANGHAI).date()
    async with HttpFetcher(settings.fetch) as fetcher, BrowserFetcher(settings.browser, fetcher) as browser:
        requests = SourceRequests(fetcher, browser)

        async def one(source: Source) -> Verification:
            try:
                return await verify_source(requests, source, day)
            except Exception as exc:  # one source's surprise is its own finding, never the others' loss
                reason = f"{type(exc).__name__}: {exc}"
                return Verification(source.name, source.url, findings={Finding.ERROR: reason})

        return list(await asyncio.gather(*(one(source) for source in sources)))
