"""Read-side queries: the detected-changes log, deliveries, source health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.models import Change, Notice, Run, SourceState
from monitor.store.notices import NoticeFilter, conditions
from monitor.values import CheckOutcome


@dataclass(frozen=True)
class LogFilter:
    source: str | None = None
    kind: str | None = None
    relevant_only: bool = False
    since: dt.datetime | None = None
    search: str | None = None
    limit: int = 100
    notices: NoticeFilter | None = None  # the notice list's filters, over each change's notice


def change_log(session: Session, filters: LogFilter) -> list[dict[str, Any]]:
    query = select(Change, SourceState).join(SourceState, SourceState.name == Change.source_name)
    if filters.source:
        query = query.where(Change.source_name == filters.source)
    if filters.kind:
        query = query.where(Change.kind == filters.kind)
    if filters.relevant_only:
        query = query.where(Change.relevant.is_(True))
    if filters.since:
        query = query.where(Change.detected_at >= filters.since)
    if filters.search:
        query = query.where(Change.title.contains(filters.search))
    if filters.notices is not None:
        dialect = session.get_bind().dialect.name
        query = query.join(Notice, Notice.id == Change.notice_id).where(*conditions(filters.notices, dialect))
    query = query.order_by(Change.detected_at.desc(), Change.id.desc()).limit(filters.limit)
    rows = []
    for change, source in session.execute(query).unique():
        notice = change.notice
        rows.append(
            {
                "id": change.id,
                "notice_id": change.notice_id,
                "detected_at": change.detected_at.isoformat(timespec="seconds"),
                "kind": change.kind,
                "source": change.source_name,
                "agency": source.agency,
                "region": source.region,
                "title": change.title,
                "url": change.url,
                "published": change.published.isoformat() if change.published else None,
                "relevant": change.relevant,
                "level": notice.level,  # where CGT was found: title, body (passage quoted) or none
                "passage": notice.passage,
                "score": round(change.score, 3),
                "terms": list(notice.terms or []),
                "doc_type": notice.doc_type,
                "deadline": notice.deadline.isoformat() if notice.deadline else None,
                "previous": change.previous or None,
            }
        )
    return rows


def source_health(session: Session) -> dict[str, SourceState]:
    return {state.name: state for state in session.scalars(select(SourceState))}


def recent_runs(session: Session, source: str | None = None, limit: int = 200) -> list[Run]:
    """The poll log: every check, newest first (of one source, or of all)."""
    query = select(Run).order_by(Run.finished_at.desc(), Run.id.desc()).limit(limit)
    if source:
        query = query.where(Run.source_name == source)
    return list(session.scalars(query))


def last_failures(session: Session) -> dict[str, Run]:
    """Each source's latest failed check (blocked, error, rot), whatever its health is now."""
    failed = [outcome.value for outcome in CheckOutcome if outcome.failed]
    latest = (
        select(Run.source_name, func.max(Run.id).label("id"))
        .where(Run.outcome.in_(failed))
        .group_by(Run.source_name)
        .subquery()
    )
    runs = session.scalars(select(Run).join(latest, Run.id == latest.c.id))
    return {run.source_name: run for run in runs}
