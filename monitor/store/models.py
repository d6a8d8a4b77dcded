"""Typed ORM models. The schema itself is created and evolved by the Alembic migrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps none of the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012


class SourceState(Base):
    """What we know of each source between checks: validators and health."""

    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    config_hash: Mapped[str | None] = mapped_column(String(64))  # validators only hold for the same config
    baselined: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="never")  # a values.Health
    status_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    # the last list page: its keys in page order, and a digest of its rows (key, title, link, date) that
    # lets a check whose page did not change record the poll and nothing else
    listing: Mapped[list[str] | None] = mapped_column(JSON)
    listing_digest: Mapped[str | None] = mapped_column(String(64))
    # the bytes of that page (with the configuration and version that read them) and its newest date: the
    # same bytes again need no parsing, only the one check that changes with the day (frozen dates)
    page_digest: Mapped[str | None] = mapped_column(String(64))
    page_newest: Mapped[dt.date | None] = mapped_column(Date)
    last_new_at: Mapped[dt.datetime | None]  # the last check that listed a notice never seen before
    last_checked_at: Mapped[dt.datetime | None]
    last_ok_at: Mapped[dt.datetime | None]
    last_elapsed_s: Mapped[float | None] = mapped_column(Float)
    fetch_mode: Mapped[str | None] = mapped_column(String(16))


class Notice(Base):
    """One notice of one source, as last seen, with the classifier's verdict."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("source_name", "key", name="uq_notice_source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_name: Mapped[str] = mapped_column(ForeignKey("sources.name"))
    key: Mapped[str] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)  # on the list page at the last check
    first_seen_at: Mapped[dt.datetime]
    # the last check that wrote this source's listing (a poll that found the page unchanged writes no
    # rows: while `listed`, the source's last_ok_at is when it was last seen)
    last_seen_at: Mapped[dt.datetime]
    gone_at: Mapped[dt.datetime | None]
    relevant: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    terms: Mapped[list[str]] = mapped_column(default=list)
    topics: Mapped[list[str]] = mapped_column(default=list)
    doc_type: Mapped[str | None] = mapped_column(String(32))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(8), default="none")  # a values.Level: where CGT was found
    passage: Mapped[str | None] = mapped_column(Text)  # the body level's quoted sentence
    # what following the notice read (sources with follow = true)
    is_file: Mapped[bool] = mapped_column(Boolean, default=False)  # the row links straight to a file
    body: Mapped[str | None] = mapped_column(Text)
    detail_published: Mapped[dt.date | None] = mapped_column(Date)
    detail_error: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    attachment_text: Mapped[str | None] = mapped_column(Text)
    # the verdict's reason with its places, and the facts a specialist looks for
    matches: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    gloss: Mapped[str | None] = mapped_column(Text)  # one line of English, shown in alerts
    document_number: Mapped[str | None] = mapped_column(String(128))
    contact: Mapped[str | None] = mapped_column(Text)
    # the same document seen on another source within the window: this row is a sighting of that one
    canonical_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)


class Change(Base):
    """The detected-changes log: one row per new, changed or gone notice."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_detected_at", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    source_name: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # a values.ChangeKind
    detected_at: Mapped[dt.datetime]
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)

    notice: Mapped[Notice] = relationship(lazy="joined")


class Incident(Base):
    """A source or channel that stopped working: opened once, resolved once, each announced to ops."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_open", "subject_kind", "subject", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # source, channel, database
    subject: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(Text)


class Delivery(Base):
    """The outbox: one row per (subscription, notice, channel), written with the change it announces.

    Operator alerts use the same outbox: one row per (subscription, incident, event, channel).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription", "notice_id", "channel", name="uq_delivery_once"),
        UniqueConstraint("subscription", "incident_id", "event", "channel", name="uq_ops_delivery_once"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    event: Mapped[str | None] = mapped_column(String(16))  # opened, resolved (operator alerts)
    subscription: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="immediate")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # a values.DeliveryState
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]  # when due; while "sending", the end of the sender's lease
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))  # host:pid:start of the sending process
    # indexes of the channel's URLs that already accepted this alert: a retry skips them
    done_targets: Mapped[list[int]] = mapped_column(JSON, default=list)

    change: Mapped[Change | None] = relationship(lazy="joined")
    incident: Mapped[Incident | None] = relationship(lazy="joined")


class Run(Base):
    """One check of one source: when, what it found, how it ended."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_name: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # a values.CheckOutcome
    items: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    gone: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str | None] = mapped_column(Text)


class Lease(Base):
    """Which instance is checking a source, until when, and when the next check of it is due: two daemons
    on one database never poll a source at the same time, nor twice in one interval."""

    __tablename__ = "leases"

    source_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))  # host:pid:start of the process holding it
    until: Mapped[dt.datetime]
    next_due: Mapped[dt.datetime]


class ReviewMark(Base):
    """A reviewer's mark on a notice (a values.ReviewState). Marks are never updated: the history is kept,
    and the latest one (highest id) is the notice's state."""

    __tablename__ = "review_marks"
    __table_args__ = (Index("ix_review_marks_notice", "notice_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    state: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(64))  # who marked it: a desk user, or the CLI's login name
    created_at: Mapped[dt.datetime]
