"""Value objects passed between the steps of a check: immutable, no behaviour beyond derivation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FetchOutcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    BLOCKED = "blocked"  # an anti-bot or WAF answer: never parsed as an empty list
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one HTTP fetch returned, decoded."""

    url: str
    final_url: str
    status: int
    outcome: FetchOutcome
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    text: str = ""
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed_s: float = 0.0
    reason: str | None = None  # why it is blocked or failed, for health and logs
    mode: str = "http"  # what served it: "http", "browser", or "http+cookies" (a browser's hand-off)
    retry_after_s: float | None = None  # when a refusing host may be asked again (WAF back-off)


@dataclass(frozen=True, slots=True)
class Item:
    """One notice as extracted from a list page or API."""

    key: str
    title: str
    url: str
    published: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> tuple[str, str, dt.date | None]:
        """The fields whose change makes a notice 'changed'."""
        return (self.title, self.url, self.published)


@dataclass(frozen=True, slots=True)
class Match:
    """One taxonomy term found in a notice, and where: the reason shown to users."""

    term: str
    where: str  # title, body, attachment
    topic: str | None  # None for a negative (look-alike) term
    weight: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classifier's judgement of one text, with its reason."""

    relevant: bool
    score: float
    terms: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    doc_type: str | None = None
    deadline: dt.date | None = None
    matches: tuple[Match, ...] = ()
    gloss: str = ""  # one line of English for readers who do not read Chinese
    document_number: str | None = None
    contact: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "relevant": self.relevant,
            "score": round(self.score, 3),
            "terms": list(self.terms),
            "topics": list(self.topics),
            "doc_type": self.doc_type,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "matched": [{"term": m.term, "where": m.where, "topic": m.topic, "weight": m.weight} for m in self.matches],
            "gloss": self.gloss,
            "document_number": self.document_number,
            "contact": self.contact,
        }


class ChangeKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class Diff:
    """The result of comparing a fresh extraction with the stored snapshot."""

    new: tuple[Item, ...] = ()
    changed: tuple[tuple[Item, Item], ...] = ()  # (previous, current)
    gone: tuple[Item, ...] = ()
    unchanged: tuple[Item, ...] = ()
    baseline: bool = False  # first sight of the source: stored, never alerted
    rot: bool = False  # zero items where there were many: a health problem, not "all gone"
