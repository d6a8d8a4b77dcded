"""Reviewers' marks on notices: relevant, not relevant, assigned to someone, done. Each mark is a new row,
so the history stays; the latest is the notice's state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import Notice, ReviewMark, utcnow
from monitor.values import ReviewState


class UnknownNotice(LookupError):
    pass


@dataclass(frozen=True)
class Mark:
    id: int
    state: ReviewState
    assignee: str | None
    note: str | None
    user: str
    at: dt.datetime


def mark(
    session: Session,
    notice_id: int,
    state: ReviewState,
    user: str,
    note: str | None = None,
    assignee: str | None = None,
    now: dt.datetime | None = None,
) -> Mark:
    """Record a mark; an assignment names who, and only an assignment does."""
    if session.get(Notice, notice_id) is None:
        raise UnknownNotice(f"no notice with id {notice_id}")
    if state is ReviewState.ASSIGNED and not (assignee and assignee.strip()):
        raise ValueError("an assignment needs the name of who it is assigned to")
    row = ReviewMark(
        notice_id=notice_id,
        state=state,
        assignee=assignee.strip() if state is ReviewState.ASSIGNED and assignee else None,
        note=(note or "").strip() or None,
        user=user,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return _mark(row)


def history(session: Session, notice_id: int) -> list[Mark]:
    """Every mark of a notice, the latest first."""
    query = select(ReviewMark).where(ReviewMark.notice_id == notice_id).order_by(ReviewMark.id.desc())
    return [_mark(row) for row in session.scalars(query)]


def _mark(row: ReviewMark) -> Mark:
    return Mark(row.id, ReviewState(row.state), row.assignee, row.note, row.user, row.created_at)
