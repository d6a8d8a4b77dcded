"""Value objects and vocabularies shared by the steps of a check: immutable, no behaviour beyond derivation.

Each vocabulary (how a fetch ended, why a site refused us, how a check ended, a source's health, an outbox
row's state) is one enum, used everywhere it is stored, compared or printed.
"""

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


class BlockKind(StrEnum):
    """Why a site's answer is a refusal rather than content."""

    CHALLENGE = "challenge"  # a JS cookie challenge: a real browser may pass it
    FIREWALL = "firewall"  # a web application firewall's refusal page (HTTP 403)
    REFUSED = "refused"  # a bare HTTP 403
    RATE_LIMITED = "rate_limited"  # HTTP 429
    BACKING_OFF = "backing_off"  # not asked at all: the host refused us earlier and is on back-off


class FetchedBy(StrEnum):
    """What served a page: recorded as the source's fetch mode in its health."""

    HTTP = "http"
    BROWSER = "browser"
    HANDOFF = "http+cookies"  # the plain client with the cookies a browser earned


class CheckOutcome(StrEnum):
    """How one check of one source ended."""

    BASELINE = "baseline"  # first sight: stored, never alerted
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    DRY_RUN = "dry_run"  # looked at, nothing stored
    BLOCKED = "blocked"
    ERROR = "error"
    ROT = "rot"  # the page came but no items could be extracted: the selectors no longer fit

    @property
    def failed(self) -> bool:
        return self in (CheckOutcome.BLOCKED, CheckOutcome.ERROR, CheckOutcome.ROT)

    @property
    def health(self) -> Health:
        return Health(self.value) if self.failed else Health.OK


class Health(StrEnum):
    """A source's state between checks, as `sources list` shows it."""

    NEVER = "never"  # not checked yet
    OK = "ok"
    BLOCKED = "blocked"
    ERROR = "error"
    ROT = "rot"
    # the list came and was stored, but looks like another page: its links are not of the key's form (a
    # landing page), or its newest date is long past on a list that should move (frozen)
    SUSPECT = "suspect"


class Finding(StrEnum):
    """What `sources verify` found wrong with a source's live pages."""

    BLOCKED = "blocked"  # refused, or a challenge instead of the list
    ERROR = "error"  # no usable answer: network, HTTP error, unparseable
    ROT = "rot"  # the page came, the selectors find nothing
    MOVED = "moved"  # redirected to another page: the configured address is out of date
    OFF_PATTERN = "off_pattern"  # items, but few links of the key's form: a landing page?
    STALE = "stale"  # the newest date is long past on a list that should move
    PAGE_2 = "page_2"  # page 2 does not load, or repeats page 1


class DeliveryState(StrEnum):
    """An outbox row's state: pending → sending (claimed by one process) → sent, or back to pending, or dead."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"  # given up after the configured age; an operator alert says so


class ReviewState(StrEnum):
    """A reviewer's mark on a notice; the latest mark is the notice's review state (none: unreviewed)."""

    RELEVANT = "relevant"
    NOT_RELEVANT = "not_relevant"
    ASSIGNED = "assigned"
    DONE = "done"


class NoticeOrigin(StrEnum):
    """How a notice came into the store: alerted as new, or known without an alert."""

    NEW = "new"  # appeared on a list after its source's baseline
    BASELINE = "baseline"  # on the list at the source's first check
    BACKFILL = "backfill"  # read from an older page by `backfill`


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
    mode: FetchedBy = FetchedBy.HTTP
    retry_after_s: float | None = None  # when a refusing host may be asked again (WAF back-off)
    block: BlockKind | None = None  # set when outcome is BLOCKED

    @classmethod
    def failed(cls, url: str, reason: str, *, elapsed_s: float = 0.0, mode: FetchedBy = FetchedBy.HTTP) -> Fetched:
        """No usable answer (network error, size cap, no browser): an error with its reason."""
        return cls(
            url=url, final_url=url, status=0, outcome=FetchOutcome.ERROR, reason=reason, elapsed_s=elapsed_s, mode=mode
        )

    @classmethod
    def not_asked(
        cls, url: str, reason: str, retry_after_s: float, *, elapsed_s: float = 0.0, mode: FetchedBy = FetchedBy.HTTP
    ) -> Fetched:
        """Blocked without a request: the host is on back-off after refusing us."""
        return cls(
            url=url,
            final_url=url,
            status=0,
            outcome=FetchOutcome.BLOCKED,
            block=BlockKind.BACKING_OFF,
            reason=reason,
            retry_after_s=retry_after_s,
            elapsed_s=elapsed_s,
            mode=mode,
        )

    @classmethod
    def saved(cls, url: str, content: bytes, text: str, encoding: str | None) -> Fetched:
        """A page saved to a file, read as if `url` had served it."""
        return cls(
            url=url, final_url=url, status=200, outcome=FetchOutcome.OK, content=content, text=text, encoding=encoding
        )

    @property
    def is_challenge(self) -> bool:
        """A challenge a real browser may pass (as opposed to a firewall refusal, which it would not)."""
        return self.block is BlockKind.CHALLENGE


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file linked from a notice: where it was stored and what could be read of it."""

    url: str
    name: str
    path: str | None = None
    bytes: int = 0
    sha256: str | None = None
    kind: str | None = None  # pdf, docx, doc, ofd, unsupported
    pages: int | None = None
    scanned: bool = False  # pages but no text layer
    chars: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Detail:
    """What following a notice to its detail page (or its file) found."""

    body: str = ""
    published: dt.date | None = None  # the date the detail page itself declares
    attachments: tuple[Attachment, ...] = ()
    attachment_text: str = ""  # the attachments' text, joined and capped, for the classifier
    error: str | None = None  # why the detail page could not be read


@dataclass(frozen=True, slots=True)
class Item:
    """One notice as extracted from a list page or API."""

    key: str
    title: str
    url: str
    published: dt.date | None = None
    file: bool = False  # the row links straight to a file (PDF, DOC…), not to a detail page
    detail: Detail | None = None  # set when the source follows its notices

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


class Level(StrEnum):
    """Where a notice is about CGT: its title says so, or only its text (body, attachments) treats it."""

    TITLE = "title"
    BODY = "body"
    NONE = "none"


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
    level: Level = Level.NONE
    passage: str | None = None  # for the body level: the sentence of the text that treats CGT, quoted

    def as_dict(self) -> dict[str, Any]:
        return {
            "relevant": self.relevant,
            "level": self.level.value,
            "passage": self.passage,
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
    """A row of the detected-changes log."""

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


@dataclass(frozen=True, slots=True)
class Route:
    """One alert to write into the outbox: which subscription, on which channel, due when."""

    subscription: str
    channel: str
    mode: str  # immediate, digest
    due_at: dt.datetime


@dataclass(frozen=True)
class CheckSummary:
    """What one check recorded (or would have): counts and how it ended."""

    source: str
    outcome: CheckOutcome
    items: int = 0
    new: int = 0
    changed: int = 0
    gone: int = 0
    relevant_new: int = 0
    deliveries: int = 0
    baseline: bool = False
    reason: str | None = None
    # healthy before this check and after it: no incident can be open, none is to be opened
    stayed_healthy: bool = False
