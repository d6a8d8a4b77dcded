"""What a fetched list page says: its notices, or why it says nothing usable.

One judgement for the daemon's checks, back-fill and `sources test`, so the three never disagree on what
is blocked, broken or empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config.sources import Source
from monitor.extract import extract_items
from monitor.fetch.blocked import looks_like_challenge
from monitor.values import Fetched, FetchOutcome, Item


@dataclass(frozen=True)
class Problem:
    status: str  # blocked, error, rot
    reason: str


def interpret(fetched: Fetched, source: Source, base_url: str | None = None) -> list[Item] | Problem:
    """Items of an OK (or blocked / failed) fetch; never an empty list: no items is itself a problem."""
    where = fetched.final_url or fetched.url
    if fetched.outcome is FetchOutcome.BLOCKED:
        return Problem("blocked", f"{fetched.reason} at {where}")
    if fetched.outcome is FetchOutcome.ERROR:
        return Problem("error", f"{fetched.reason} at {where}")
    challenge = Problem("blocked", f"anti-bot challenge page instead of the list at {where}")
    try:
        items = extract_items(fetched, source, base_url)
    except Exception as exc:  # a broken page is a health event, never a crash
        # e.g. a JSON API answered with the challenge page
        return (
            challenge
            if looks_like_challenge(fetched.text)
            else Problem("error", f"extraction failed at {where}: {exc}")
        )
    if not items:
        return (
            challenge
            if looks_like_challenge(fetched.text)
            else Problem("rot", f"no items extracted at {where}: check the selectors against the page")
        )
    return items
