"""What a fetched list page says: its notices, or why it says nothing usable.

One judgement for the daemon's checks, back-fill and `sources test`, so the three never disagree on what
is blocked, broken or empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.check.diagnose import why_no_items
from monitor.config.sources import Source
from monitor.extract.detail import read_detail
from monitor.extract.registry import extract_items
from monitor.fetch.blocked import looks_like_challenge
from monitor.values import CheckOutcome, Fetched, FetchOutcome, Item


def source_items(source: Source, text: str, base_url: str | None = None) -> list[Item]:
    """The source's extractor, with its options and key pattern, on one page's text."""
    return extract_items(source.kind, text, source.options, base_url or source.url, source.key_pattern)


class ListProbe:
    """Does a text hold the source's list? Tells a real page from a challenge page that resembles it.

    It remembers the items of the text it last accepted, so the page that proved to be the list is not
    extracted a second time.
    """

    def __init__(self, source: Source, base_url: str | None = None) -> None:
        self.source = source
        self.base_url = base_url or source.url
        self._last: tuple[str, list[Item]] | None = None

    def __call__(self, text: str) -> bool:
        try:
            items = source_items(self.source, text, self.base_url)
        except Exception:  # not even parseable as the expected kind: not the list
            return False
        self._last = (text, items)
        return bool(items)

    def items_of(self, text: str, base_url: str) -> list[Item] | None:
        """The items already extracted from this very text against this base URL, if any."""
        if self._last is not None and self._last[0] is text and base_url == self.base_url:
            return self._last[1]
        return None


def has_detail_text(text: str) -> bool:
    """Does a text hold a notice's detail page (a body with words), rather than a challenge that resembles one?"""
    return bool(read_detail(text, "").body)


@dataclass(frozen=True)
class Problem:
    outcome: CheckOutcome  # blocked, error or rot
    reason: str


def interpret(
    fetched: Fetched, source: Source, base_url: str | None = None, probe: ListProbe | None = None
) -> list[Item] | Problem:
    """Items of an OK (or blocked / failed) fetch; never an empty list: no items is itself a problem.

    `probe`: the list probe the fetch was made with, whose extraction of this very page is reused.
    """
    where = fetched.final_url or fetched.url
    if fetched.outcome is FetchOutcome.BLOCKED:
        return Problem(CheckOutcome.BLOCKED, f"{fetched.reason} at {where}")
    if fetched.outcome is FetchOutcome.ERROR:
        return Problem(CheckOutcome.ERROR, f"{fetched.reason} at {where}")
    challenge = Problem(CheckOutcome.BLOCKED, f"anti-bot challenge page instead of the list at {where}")
    base = base_url or fetched.final_url or source.url
    items = probe.items_of(fetched.text, base) if probe else None
    if items is None:
        try:
            items = source_items(source, fetched.text, base)
        except Exception as exc:  # a broken page is a health event, never a crash
            # e.g. a JSON API answered with the challenge page
            if looks_like_challenge(fetched.text):
                return challenge
            return Problem(CheckOutcome.ERROR, f"extraction failed at {where}: {exc}")
    if not items:
        if looks_like_challenge(fetched.text):
            return challenge
        return Problem(CheckOutcome.ROT, f"no items extracted at {where}: {why_no_items(source, fetched.text)}")
    return items
