"""One notice whole, for the desk's notice page and `cgt-monitor show`: its source, its other sightings,
its family (draft for comment → final → interpretation), the alerts sent about it and its review history."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.store import reviews
from monitor.store.models import Change, Delivery, Notice, SourceState
from monitor.store.notices import NoticeRow, notice_rows
from monitor.store.search import title_contains

_BOOK_TITLE = re.compile(r"《([^《》]{4,})》")
# what a draft's name carries and its final version drops
_DRAFT_MARKS = re.compile(r"[（(]\s*(?:征求意见稿|草案|送审稿|修订草案|意见征求稿)\s*[）)]|征求意见稿")


def document_name(title: str) -> str | None:
    """The quoted document name (《…》) without the draft's marks: shared by a draft and its final version."""
    found = _BOOK_TITLE.search(title)  # as written: it is searched for in other titles
    if not found:
        return None
    name = _DRAFT_MARKS.sub("", found.group(1)).strip()
    return name if len(name) >= 4 else None


def stage(row: NoticeRow) -> str:
    """Where a notice stands in its family: draft, final or interpretation."""
    if row.doc_type in ("interpretation", "qa") or "解读" in row.title:
        return "interpretation"
    if row.doc_type == "draft_for_comment" or "征求意见" in row.title:
        return "draft"
    return "final"


_STAGE_ORDER = {"draft": 0, "final": 1, "interpretation": 2}


@dataclass(frozen=True)
class NoticeDetail:
    notice: Notice
    source: SourceState
    row: NoticeRow
    sightings: list[NoticeRow]  # the same document on other sources (this notice's canonical among them)
    family: list[tuple[str, NoticeRow]]  # (stage, notice), this one included, draft → final → interpretation
    changes: list[Change]
    deliveries: list[Delivery]
    marks: list[reviews.Mark]


def notice_detail(session: Session, notice_id: int) -> NoticeDetail | None:
    notice = session.get(Notice, notice_id)
    if notice is None:
        return None
    source = session.get(SourceState, notice.source_name)
    assert source is not None  # a foreign key
    dialect = session.get_bind().dialect.name
    canonical = notice.canonical_id or notice.id
    sighting_ids = set(
        session.scalars(select(Notice.id).where(or_(Notice.id == canonical, Notice.canonical_id == canonical)))
    ) - {notice.id}
    family_ids: set[int] = {notice.id}
    links = []
    if name := document_name(notice.title):
        links.append(title_contains(name, dialect))
    if notice.document_number:
        links.append(Notice.document_number == notice.document_number)
    if links:
        query = select(Notice.id).where(or_(*links), Notice.canonical_id.is_(None)).limit(50)
        family_ids |= set(session.scalars(query))
    rows = notice_rows(session, sorted(sighting_ids | family_ids))
    family = [(stage(rows[i]), rows[i]) for i in family_ids if i in rows]
    family.sort(key=lambda pair: (_STAGE_ORDER[pair[0]], pair[1].published or pair[1].first_seen_at.date()))
    changes = list(
        session.scalars(select(Change).where(Change.notice_id == notice.id).order_by(Change.detected_at, Change.id))
    )
    deliveries = list(
        session.scalars(select(Delivery).where(Delivery.notice_id == notice.id).order_by(Delivery.created_at))
    )
    return NoticeDetail(
        notice=notice,
        source=source,
        row=rows[notice.id],
        sightings=[rows[i] for i in sorted(sighting_ids) if i in rows],
        family=family if len(family) > 1 else [],
        changes=changes,
        deliveries=deliveries,
        marks=reviews.history(session, notice.id),
    )
