"""The notice list of the review desk and the CLI: every notice the store knows, filtered and paginated.

One `NoticeFilter` serves the web page, the feeds, the exports, the JSON API and `cgt-monitor notices`/`log`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from monitor.store.models import Change, Notice, ReviewMark, Run, SourceState
from monitor.store.search import search_clause
from monitor.values import ChangeKind, CheckOutcome, NoticeOrigin, ReviewState

# relevant at either level, at the title level only, at the body level only (a general title), or not
Relevance = Literal["relevant", "title", "body", "not_relevant"]
UNREVIEWED = "unreviewed"
REVIEW_FILTERS = (UNREVIEWED, *(state.value for state in ReviewState))


@dataclass(frozen=True)
class NoticeFilter:
    relevance: Relevance | None = None  # None: all
    agencies: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # a province covers its cities
    sources: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    since: dt.date | None = None  # on the publication date, or the day first seen when there is none
    until: dt.date | None = None
    review: str | None = None  # a ReviewState value, or "unreviewed"
    origin: NoticeOrigin | None = None
    search: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the date range is empty: {self.since} is after {self.until}")
        if self.review is not None and self.review not in REVIEW_FILTERS:
            raise ValueError(f"unknown review state '{self.review}' (known: {', '.join(REVIEW_FILTERS)})")


@dataclass(frozen=True)
class NoticeRow:
    id: int
    title: str
    gloss: str | None
    url: str
    source: str
    agency: str
    region: str
    published: dt.date | None
    first_seen_at: dt.datetime
    relevant: bool
    level: str  # a values.Level: where CGT was found (title, body or none)
    passage: str | None  # for the body level, the passage of the text that treats CGT
    score: float
    terms: list[str]
    topics: list[str]
    doc_type: str | None
    deadline: dt.date | None
    document_number: str | None
    origin: NoticeOrigin
    review: str | None  # the latest mark's state; None: unreviewed
    assignee: str | None
    sighting_of: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "gloss": self.gloss,
            "url": self.url,
            "source": self.source,
            "agency": self.agency,
            "region": self.region,
            "published": self.published.isoformat() if self.published else None,
            "first_seen_at": self.first_seen_at.isoformat(timespec="seconds"),
            "relevant": self.relevant,
            "level": self.level,
            "passage": self.passage,
            "score": round(self.score, 3),
            "terms": list(self.terms),
            "topics": list(self.topics),
            "doc_type": self.doc_type,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "document_number": self.document_number,
            "origin": str(self.origin),
            "review": self.review,
            "assignee": self.assignee,
            "sighting_of": self.sighting_of,
        }


@dataclass(frozen=True)
class NoticePage:
    rows: list[NoticeRow]
    total: int
    page: int
    per_page: int
    filters: NoticeFilter = field(default_factory=NoticeFilter)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _latest_mark(column: Any) -> Any:
    return (
        select(column)
        .where(ReviewMark.notice_id == Notice.id)
        .order_by(ReviewMark.id.desc())
        .limit(1)
        .correlate(Notice)
        .scalar_subquery()
    )


def _alerted_as_new() -> ColumnElement[bool]:
    return exists().where(Change.notice_id == Notice.id, Change.kind == ChangeKind.NEW)


def _seen_at_baseline() -> ColumnElement[bool]:
    # a baseline's notices are stored in the transaction that records the baseline run, at its time
    return exists().where(
        Run.source_name == Notice.source_name,
        Run.outcome == CheckOutcome.BASELINE,
        Run.finished_at == Notice.first_seen_at,
    )


def origin_column() -> Any:
    return case(
        (_alerted_as_new(), NoticeOrigin.NEW.value),
        (_seen_at_baseline(), NoticeOrigin.BASELINE.value),
        else_=NoticeOrigin.BACKFILL.value,
    )


def conditions(filters: NoticeFilter, dialect: str) -> list[ColumnElement[bool]]:
    """WHERE clauses over Notice joined with its SourceState."""
    where: list[ColumnElement[bool]] = []
    if filters.relevance == "relevant":
        where.append(Notice.relevant.is_(True))
    elif filters.relevance in ("title", "body"):
        where.append(and_(Notice.relevant.is_(True), Notice.level == filters.relevance))
    elif filters.relevance == "not_relevant":
        where.append(Notice.relevant.is_(False))
    if filters.agencies:
        where.append(func.upper(SourceState.agency).in_([a.upper() for a in filters.agencies]))
    if filters.regions:
        where.append(or_(*(or_(SourceState.region == r, SourceState.region.like(f"{r}-%")) for r in filters.regions)))
    if filters.sources:
        where.append(Notice.source_name.in_(filters.sources))
    if filters.doc_types:
        where.append(Notice.doc_type.in_(filters.doc_types))
    if filters.topics:
        # topic names are identifiers, so their quoted JSON form is found in the column's text on any backend
        as_text = cast(Notice.topics, String)
        where.append(or_(*(as_text.like(f'%"{topic}"%') for topic in filters.topics)))
    if filters.since:
        start = dt.datetime.combine(filters.since, dt.time(), dt.UTC)
        where.append(
            or_(Notice.published >= filters.since, and_(Notice.published.is_(None), Notice.first_seen_at >= start))
        )
    if filters.until:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time(), dt.UTC)
        where.append(
            or_(Notice.published <= filters.until, and_(Notice.published.is_(None), Notice.first_seen_at < end))
        )
    if filters.review == UNREVIEWED:
        where.append(~exists().where(ReviewMark.notice_id == Notice.id))
    elif filters.review:
        where.append(_latest_mark(ReviewMark.state) == filters.review)
    if filters.origin == NoticeOrigin.NEW:
        where.append(_alerted_as_new())
    elif filters.origin == NoticeOrigin.BASELINE:
        where.append(and_(~_alerted_as_new(), _seen_at_baseline()))
    elif filters.origin == NoticeOrigin.BACKFILL:
        where.append(and_(~_alerted_as_new(), ~_seen_at_baseline()))
    if filters.search:
        where.append(search_clause(filters.search, dialect))
    return where


def _newest_first(dialect: str) -> tuple[Any, ...]:
    # undated notices last; SQLite's DESC already puts NULLs last, and saying so again would cost it the index
    published = Notice.published.desc() if dialect == "sqlite" else Notice.published.desc().nulls_last()
    return (published, Notice.id.desc())


def _row_query(dialect: str) -> Select[Any]:
    return select(
        Notice,
        SourceState.agency,
        SourceState.region,
        origin_column().label("origin"),
        _latest_mark(ReviewMark.state).label("review"),
        _latest_mark(ReviewMark.assignee).label("assignee"),
    ).join(SourceState, SourceState.name == Notice.source_name)


def _row(notice: Notice, agency: str, region: str, origin: str, review: str | None, assignee: str | None) -> NoticeRow:
    return NoticeRow(
        id=notice.id,
        title=notice.title,
        gloss=notice.gloss,
        url=notice.url,
        source=notice.source_name,
        agency=agency,
        region=region,
        published=notice.published,
        first_seen_at=notice.first_seen_at,
        relevant=notice.relevant,
        level=notice.level,
        passage=notice.passage,
        score=notice.score,
        terms=list(notice.terms or []),
        topics=list(notice.topics or []),
        doc_type=notice.doc_type,
        deadline=notice.deadline,
        document_number=notice.document_number,
        origin=NoticeOrigin(origin),
        review=review,
        assignee=assignee if review == ReviewState.ASSIGNED else None,
        sighting_of=notice.canonical_id,
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def list_notices(session: Session, filters: NoticeFilter, page: int = 1, per_page: int = 50) -> NoticePage:
    """One page of notices, newest first, with how many match in all."""
    dialect = _dialect(session)
    where = conditions(filters, dialect)
    count = select(func.count()).select_from(Notice).join(SourceState, SourceState.name == Notice.source_name)
    total = session.scalar(count.where(*where)) or 0
    page = max(1, page)
    query = _row_query(dialect).where(*where).order_by(*_newest_first(dialect))
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return NoticePage([_row(*row) for row in rows], total, page, per_page, filters)


def all_notices(session: Session, filters: NoticeFilter, limit: int = 10_000) -> list[NoticeRow]:
    """Every matching notice (for exports and feeds), newest first, at most `limit`."""
    dialect = _dialect(session)
    query = _row_query(dialect).where(*conditions(filters, dialect)).order_by(*_newest_first(dialect))
    return [_row(*row) for row in session.execute(query.limit(limit)).all()]


def notice_rows(session: Session, ids: list[int]) -> dict[int, NoticeRow]:
    """The listed form of some notices, by id."""
    if not ids:
        return {}
    query = _row_query(_dialect(session)).where(Notice.id.in_(ids))
    return {row.id: row for row in (_row(*values) for values in session.execute(query).all())}


def open_deadlines(session: Session, today: dt.date, limit: int = 500) -> list[NoticeRow]:
    """Drafts for comment whose comment period has not ended, the nearest deadline first."""
    query = (
        _row_query(_dialect(session))
        .where(Notice.deadline.is_not(None), Notice.deadline >= today, Notice.canonical_id.is_(None))
        .order_by(Notice.deadline, Notice.id)
        .limit(limit)
    )
    return [_row(*row) for row in session.execute(query).all()]


def facets(session: Session) -> dict[str, list[str]]:
    """The sources, agencies and regions the store knows (document types and topics are the taxonomy's)."""
    states = session.execute(select(SourceState.name, SourceState.agency, SourceState.region)).all()
    return {
        "sources": sorted({name for name, _, _ in states}),
        "agencies": sorted({agency for _, agency, _ in states}),
        "regions": sorted({region for _, _, region in states}),
    }
