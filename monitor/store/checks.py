"""Recording one check: snapshot, changes and their outbox rows in a single transaction.

A check costs what changed: a page whose rows equal the stored listing (same digest) records the poll and
nothing else; otherwise only the rows of this page and of the last listing are read, and only new, changed
and gone rows are written.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from monitor import __version__
from monitor.classify.fingerprint import title_fingerprint
from monitor.config.sources import Source
from monitor.extract.signals import newest_date
from monitor.memo import by_identity
from monitor.store import outbox
from monitor.store.db import insert_ignore, insert_ignoring
from monitor.store.inlist import chunks
from monitor.store.listing import listed_items, listing_health
from monitor.store.models import Change, Notice, Run, SourceState
from monitor.values import (
    Attachment,
    ChangeKind,
    CheckOutcome,
    CheckSummary,
    Detail,
    Diff,
    Fetched,
    Health,
    Item,
    Route,
    Verdict,
)


@dataclass(frozen=True)
class Snapshot:
    """What the store knows of a source before a check: its one row, not its notices."""

    baselined: bool
    etag: str | None
    last_modified: str | None
    listing: tuple[str, ...] = ()  # the keys of the last list page, in page order
    digest: str | None = None  # of that page's rows: equal digests, nothing to compare or write
    last_new_at: dt.datetime | None = None  # when the source last listed a notice never seen before
    page: str | None = None  # `page_digest` of the page that listing was read from
    page_newest: dt.date | None = None  # the newest date on that page
    item_count: int = 0


@by_identity()
def config_hash(source: Source) -> str:
    """Validators (ETag, Last-Modified) are only trusted for the configuration that produced the snapshot.
    Asked on every check: dumping the model to JSON costs more than the rest of an unchanged check's
    bookkeeping, so it is worked out once per source object."""
    return _config_hash(source)


def _config_hash(source: Source) -> str:
    payload = json.dumps(
        source.model_dump(mode="json", exclude={"label", "interval_minutes", "enabled"}),
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def page_digest(source: Source, fetched: Fetched) -> str:
    """The page's bytes as this code, with this configuration, decoded with this charset, read them from this
    address: equal digests, equal items."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(
        f"{_reader_revision()}\x1f{config_hash(source)}\x1f{fetched.encoding}\x1f{fetched.final_url}\x1e".encode()
    )
    digest.update(fetched.content)
    return digest.hexdigest()


# The code that turns a page's bytes into items: a page read by other code (an upgrade, a fix deployed from a
# checkout) is read again, whatever the version number says.
_READERS = ("extract", "check/interpret.py", "fetch/charset.py", "values.py")


@lru_cache(maxsize=1)
def _reader_revision() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(__version__.encode(), digest_size=8)
    for name in _READERS:
        path = root / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()


def listing_digest(items: Sequence[Item]) -> str:
    """The rows of a list page as a diff sees them (key, title, link, date, file), in page order."""
    digest = hashlib.blake2b(digest_size=16)
    for item in items:
        published = item.published.isoformat() if item.published else ""
        # stored text has no control characters, so these separators cannot occur inside a field
        digest.update(f"{item.key}\x1f{item.title}\x1f{item.url}\x1f{published}\x1f{item.file:d}\x1e".encode())
    return digest.hexdigest()


def load_snapshot(session: Session, source: Source, listings: bool = True) -> Snapshot:
    return load_snapshots(session, [source], listings)[0]


def load_snapshots(session: Session, sources: Sequence[Source], listings: bool = True) -> list[Snapshot]:
    """What the store knows of each source, in their order: one query per few hundred sources; `listings`:
    with the keys of each source's last listing."""
    state = SourceState.__table__.c
    columns = (
        state.name,
        state.baselined,
        state.etag,
        state.last_modified,
        state.config_hash,
        state.listing_digest,
        state.last_new_at,
        state.page_digest,
        state.page_newest,
        state.item_count,
        *((state.listing,) if listings else ()),
    )
    rows = {}
    for chunk in chunks(source.name for source in sources):
        rows.update({row.name: row for row in session.execute(select(*columns).where(state.name.in_(chunk)))})
    snapshots = []
    for source in sources:
        row = rows.get(source.name)
        if row is None:
            snapshots.append(Snapshot(baselined=False, etag=None, last_modified=None))
            continue
        trusted = row.config_hash == config_hash(source) and row.baselined
        snapshots.append(
            Snapshot(
                baselined=row.baselined,
                etag=row.etag if trusted else None,
                last_modified=row.last_modified if trusted else None,
                listing=tuple(row.listing or ()) if listings else (),
                digest=row.listing_digest if row.baselined else None,
                last_new_at=row.last_new_at,
                page=row.page_digest if row.baselined else None,
                page_newest=row.page_newest,
                item_count=row.item_count,
            )
        )
    return snapshots


def compared_rows(
    session: Session, source: Source, listing: Sequence[str], items: Sequence[Item]
) -> tuple[dict[str, Item], list[Item]]:
    """The stored rows a diff needs, without their texts: those of this page and of `listing` (the one just
    read in this transaction, or a snapshot's). Nothing else of the source's history is read, so a check costs
    the same after ten thousand notices."""
    known: dict[str, Item] = {}
    for chunk in chunks([*(item.key for item in items), *listing]):
        for key, title, url, published, is_file in session.execute(_COMPARED, {"source": source.name, "keys": chunk}):
            known[key] = Item(key=key, title=title, url=url, published=published, file=is_file)
    return known, [known[key] for key in listing if key in known]


def load_details(session: Session, source: Source, keys: Iterable[str]) -> dict[str, Detail]:
    """What following these notices read before, by key (only those that were followed)."""
    details: dict[str, Detail] = {}
    columns = (Notice.key, Notice.body, Notice.detail_published, Notice.attachments, Notice.attachment_text)
    for chunk in chunks(keys):
        query = select(*columns, Notice.detail_error).where(Notice.source_name == source.name, Notice.key.in_(chunk))
        for key, body, published, attachments, attachment_text, error in session.execute(query):
            if body is None and not attachments and error is None:
                continue
            details[key] = Detail(
                body=body or "",
                published=published,
                attachments=tuple(Attachment(**a) for a in attachments or []),
                attachment_text=attachment_text or "",
                error=error,
            )
    return details


def _item_columns(item: Item) -> dict[str, Any]:
    """What the list row and (when followed) the detail page said; a row without a detail keeps the old one."""
    columns: dict[str, Any] = {"title": item.title, "url": item.url, "published": item.published, "is_file": item.file}
    if item.detail is not None:
        detail = item.detail
        columns |= {
            "body": detail.body,
            "detail_published": detail.published,
            "detail_error": detail.error,
            "attachments": [dataclasses.asdict(a) for a in detail.attachments],
            "attachment_text": detail.attachment_text,
        }
    return columns


def _verdict_columns(verdict: Verdict | None) -> dict[str, Any]:
    if verdict is None:
        return {}
    return {
        "relevant": verdict.relevant,
        "score": verdict.score,
        "terms": list(verdict.terms),
        "topics": list(verdict.topics),
        "doc_type": verdict.doc_type,
        "deadline": verdict.deadline,
        # the reason with its places, and the facts a specialist looks for, kept with the notice
        "matches": [{"term": m.term, "where": m.where, "weight": m.weight} for m in verdict.matches],
        "gloss": verdict.gloss,
        "document_number": verdict.document_number,
        "contact": verdict.contact,
        "level": verdict.level,
        "passage": verdict.passage,
    }


def _first_sight(source: Source) -> dict[str, Any]:
    return {
        "name": source.name,
        "agency": source.agency,
        "region": source.region,
        "url": source.url,
        "baselined": False,
        "status": Health.NEVER,
        "consecutive_failures": 0,
        "item_count": 0,
    }


def _state(session: Session, source: Source) -> SourceState:
    state = session.get(SourceState, source.name)
    if state is None:  # first sight; another instance may be creating the same row right now
        insert_ignore(session, _SOURCES, _first_sight(source))
        state = session.get_one(SourceState, source.name)
    if (state.agency, state.region, state.url) != (source.agency, source.region, source.url):
        state.agency, state.region, state.url = source.agency, source.region, source.url
    # held to the end of the transaction: the session keeps a flushed row only while something refers to it,
    # and the incident watch reads this row again after the flush
    session.info.setdefault(_HELD, []).append(state)
    return state


_HELD = "cgt_held_source_states"


@dataclass(frozen=True)
class CheckRecord:
    """Everything a successful check stores, computed before its transaction opens."""

    source: Source
    fetched: Fetched
    items: Sequence[Item]
    diff: Diff
    verdicts: Mapping[str, Verdict]
    routes: Mapping[str, Sequence[Route]]  # by item key: who is to be alerted of each new notice
    started: dt.datetime
    now: dt.datetime
    duplicate_window: dt.timedelta = dt.timedelta(days=30)
    digest: str | None = None  # listing_digest(items), when the caller has it already
    page: str | None = None  # page_digest of the page the items were read from


def record_unchanged(
    session: Session,
    source: Source,
    fetched: Fetched,
    digest: str,
    now: dt.datetime,
    started: dt.datetime,
    page: str | None = None,
    page_newest: dt.date | None = None,
) -> CheckSummary | None:
    """A healthy source whose page lists what the store lists, and still judged healthy (the caller judged
    this page with `listing_health`): the poll is recorded in two statements, no notice read or written.

    None unless the stored listing is that one and the source was healthy: a listing another instance
    changed meanwhile needs its rows compared, and a source recovering from failures (or suspect) has an
    incident to resolve; the caller records those the long way.
    """
    recorded = session.execute(
        _POLLED,
        {
            "of_source": source.name,
            "of_digest": digest,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "config_hash": config_hash(source),
            "last_checked_at": now,
            "last_ok_at": now,
            "last_elapsed_s": fetched.elapsed_s,
            "fetch_mode": fetched.mode,
            "page_digest": page,
            "page_newest": page_newest,
        },
    ).first()
    if recorded is None:
        return None
    summary = CheckSummary(source=source.name, outcome=CheckOutcome.OK, items=recorded.item_count, stayed_healthy=True)
    _add_run(session, summary, started, now, fetched.elapsed_s)
    return summary


def _insert_new(session: Session, record: CheckRecord) -> dict[str, int]:
    """The new rows in one statement; returns the ids of those this transaction inserted, by key.

    A row another instance inserted meanwhile is skipped (ON CONFLICT DO NOTHING): that instance stored it
    with its alerts. The rows go as parameters of one statement (SQLAlchemy renders them as one multi-row
    INSERT, in pages within the driver's limit on bound parameters): compiled once and cached, where rows
    given to `.values()` make a statement that is compiled again on every check.
    """
    if not record.diff.new:
        return {}
    now = record.now
    rows = [
        {
            "source_name": record.source.name,
            "key": item.key,
            **_item_columns(item),
            **_verdict_columns(record.verdicts.get(item.key)),
            "listed": True,
            "first_seen_at": now,
            "last_seen_at": now,
            "fingerprint": title_fingerprint(item.title),
        }
        for item in record.diff.new
    ]
    # rows of one statement share their columns: fill the ones some rows lack with their defaults
    columns = {column for row in rows for column in row}
    for row in rows:
        for column in columns - row.keys():
            row[column] = _DEFAULTS.get(column)
    table: Table = Notice.__table__  # type: ignore[assignment]
    statement = insert_ignoring(session, table, ("key", "id"))
    return {key: ident for key, ident in session.execute(statement, rows)}


_DEFAULTS: dict[str, Any] = {"relevant": False, "score": 0.0, "terms": [], "topics": [], "level": "none"}


@dataclass(frozen=True)
class StoredSource:
    """The source's row as the check's write transaction finds it: what recording the check depends on."""

    agency: str
    region: str
    url: str
    baselined: bool
    listing: tuple[str, ...]
    status: str
    consecutive_failures: int
    last_new_at: dt.datetime | None


def stored_source(session: Session, source: Source) -> StoredSource:
    """The source's row, created on first sight; read in the transaction that then records the check."""
    row = session.execute(_STORED, {"name": source.name}).first()
    if row is None:  # first sight; another instance may be creating the same row right now
        insert_ignore(session, _SOURCES, _first_sight(source))
        row = session.execute(_STORED, {"name": source.name}).one()
    agency, region, url, baselined, listing, status, failures, last_new_at = row
    return StoredSource(agency, region, url, baselined, tuple(listing or ()), status, failures, last_new_at)


def record_success(session: Session, record: CheckRecord, stored: StoredSource | None = None) -> CheckSummary:
    """Store the new snapshot, the changes and the deliveries they cause. The caller commits once.

    Only what changed is written: new rows in one statement, changed and gone rows one by one, the
    listing's flags in set-based updates, the source's row in one. New and changed are decided again against
    the store as it is inside this transaction: another instance may have recorded the same page a moment
    ago, and then this one has nothing to add. A new notice whose document another source published within
    the duplicate window becomes a sighting of that notice: logged, linked, never alerted a second time.

    `stored`: the source's row as read earlier in this same transaction (`stored_source`), if it was.
    """
    source, diff, now = record.source, record.diff, record.now
    if stored is None:
        stored = stored_source(session, source)
    current_keys = [item.key for item in record.items]
    done_elsewhere: collections.Counter[ChangeKind] = collections.Counter()
    deliveries = relevant_new = 0

    inserted = _insert_new(session, record)
    done_elsewhere[ChangeKind.NEW] = len(diff.new) - len(inserted)
    if not diff.baseline and inserted:
        fresh = [item for item in diff.new if item.key in inserted]
        logged = _log_new(session, record, fresh, inserted)
        for item in fresh:
            verdict = record.verdicts.get(item.key)
            relevant_new += int(bool(verdict and verdict.relevant))
            notice_id = inserted[item.key]
            deliveries += _enqueue(session, record, item, notice_id, logged[notice_id])
    for _, item in diff.changed:
        if not _record_changed(session, record, item):
            done_elsewhere[ChangeKind.CHANGED] += 1

    current = set(current_keys)
    left = [key for key in stored.listing if key not in current]
    for chunk in chunks(left):  # scrolled off or taken down: no longer listed
        session.execute(_UNLISTED, {"source": source.name, "keys": chunk})
    # the rows this transaction inserted are listed and seen now already
    for chunk in chunks(key for key in current_keys if key not in inserted):
        session.execute(_LISTED, {"source": source.name, "keys": chunk, "now": now})
    for item in diff.gone:
        gone = session.scalars(
            select(Notice).where(Notice.source_name == source.name, Notice.key == item.key)
        ).one_or_none()
        if gone is None or gone.gone_at is not None:
            continue
        gone.gone_at, gone.listed = now, False
        session.add(_change(gone, ChangeKind.GONE, now, {}))

    last_new_at = now if inserted else stored.last_new_at
    fetched = record.fetched
    health, stayed_healthy = _health(
        stored.status,
        stored.consecutive_failures,
        *listing_health(source, record.items, last_new_at, now),
        now,
        fetched,
    )
    session.execute(
        _SUCCEEDED,
        {
            **health,
            "of_source": source.name,
            "agency": source.agency,
            "region": source.region,
            "url": source.url,
            "baselined": True,
            "listing": current_keys,
            "listing_digest": record.digest or listing_digest(record.items),
            "last_new_at": last_new_at,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "config_hash": config_hash(source),
            "last_ok_at": now,
            "item_count": len(record.items),
            "page_digest": record.page,
            "page_newest": newest_date(record.items),
        },
    )
    summary = CheckSummary(
        source=source.name,
        outcome=CheckOutcome.BASELINE if diff.baseline else CheckOutcome.OK,
        items=len(record.items),
        new=len(diff.new) - done_elsewhere[ChangeKind.NEW],
        changed=len(diff.changed) - done_elsewhere[ChangeKind.CHANGED],
        gone=len(diff.gone),
        relevant_new=relevant_new,
        deliveries=deliveries,
        baseline=diff.baseline,
        stayed_healthy=stayed_healthy,
    )
    _add_run(session, summary, record.started, now, fetched.elapsed_s)
    return summary


# The statements every check runs, built once: building one (and its cache key) costs about as much as
# running it on SQLite. Core statements on the tables: the ORM's bulk-update and result machinery would cost
# more than the statement, for rows that are never loaded as objects.
_SOURCES: Table = SourceState.__table__  # type: ignore[assignment]
_NOTICES: Table = Notice.__table__  # type: ignore[assignment]
_CHANGES: Table = Change.__table__  # type: ignore[assignment]
_RUNS: Table = Run.__table__  # type: ignore[assignment]
_S, _N = _SOURCES.c, _NOTICES.c
_OF_SOURCE = (_N.source_name == bindparam("source"), _N.key.in_(bindparam("keys", expanding=True)))
_COMPARED = select(_N.key, _N.title, _N.url, _N.published, _N.is_file).where(*_OF_SOURCE)
_UNLISTED = update(_NOTICES).where(*_OF_SOURCE).values(listed=False)
_LISTED = update(_NOTICES).where(*_OF_SOURCE).values(listed=True, gone_at=None, last_seen_at=bindparam("now"))
_EARLIER = (
    select(_N.id, _N.source_name, _N.url)
    .where(
        _N.fingerprint == bindparam("fingerprint"),
        _N.source_name != bindparam("source"),
        _N.canonical_id.is_(None),
        _N.first_seen_at >= bindparam("since"),
        _N.id != bindparam("notice"),
    )
    .order_by(_N.id)
    .limit(1)
)
_LINKED = update(_NOTICES).where(_N.id == bindparam("notice")).values(canonical_id=bindparam("original"))
_LOGGED_AS_DUPLICATE = (
    update(_CHANGES)
    .where(_CHANGES.c.id == bindparam("change"))
    .values(previous=bindparam("previous", type_=_CHANGES.c.previous.type))
)
_LOGGED = insert(_CHANGES).returning(_CHANGES.c.notice_id, _CHANGES.c.id)
_RUN = insert(_RUNS)
_STORED = (
    select(
        _S.agency,
        _S.region,
        _S.url,
        _S.baselined,
        _S.listing,
        _S.status,
        _S.consecutive_failures,
        _S.last_new_at,
    )
    .where(
        _S.name == bindparam("name")
        # read to be written over: on PostgreSQL the row is locked until commit, so a second instance's check of
        # the source waits for this one instead of comparing against the listing it is replacing (SQLite's BEGIN
        # IMMEDIATE already serialises the writers; its dialect renders no FOR UPDATE)
    )
    .with_for_update()
)
# the SET clause is the keys of the parameters given (`_succeeded`): always the same keys, one compiled form
_SUCCEEDED = update(_SOURCES).where(_S.name == bindparam("of_source"))
_POLLED = (
    update(_SOURCES)
    .where(
        _S.name == bindparam("of_source"),
        _S.baselined.is_(True),
        _S.listing_digest == bindparam("of_digest"),
        _S.status == Health.OK,
    )
    .returning(_S.item_count)
)


def _log_new(session: Session, record: CheckRecord, fresh: Sequence[Item], ids: Mapping[str, int]) -> dict[int, int]:
    """The detected-changes rows of the new notices, in one statement; their ids by notice id."""
    rows = []
    for item in fresh:
        verdict = record.verdicts.get(item.key)
        rows.append(
            {
                "notice_id": ids[item.key],
                "source_name": record.source.name,
                "kind": ChangeKind.NEW,
                "detected_at": record.now,
                "title": item.title,
                "url": item.url,
                "published": item.published,
                "relevant": bool(verdict and verdict.relevant),
                "score": verdict.score if verdict else 0.0,
                "previous": {},
            }
        )
    return {notice_id: change_id for notice_id, change_id in session.execute(_LOGGED, rows)}


def _enqueue(session: Session, record: CheckRecord, item: Item, notice_id: int, change_id: int) -> int:
    """The alerts of one new notice; who was (or will be) alerted of an earlier sighting is spared."""
    routes = record.routes.get(item.key, ())
    already_told: set[tuple[str, str]] = set()
    since = record.now - record.duplicate_window
    if original := _earlier_sighting(session, title_fingerprint(item.title), record.source.name, notice_id, since):
        original_id, original_source, original_url = original
        session.execute(_LINKED, {"notice": notice_id, "original": original_id})
        previous = {"duplicate_of": original_id, "source": original_source, "url": original_url}
        session.execute(_LOGGED_AS_DUPLICATE, {"change": change_id, "previous": previous})
        # a baseline original, or one a subscription filtered out, alerted nobody
        already_told = outbox.told_of(session, original_id) if routes else set()
    return sum(
        outbox.enqueue_notice(session, change_id, notice_id, route, record.now)
        for route in routes
        if (route.subscription, route.channel) not in already_told
    )


def _record_changed(session: Session, record: CheckRecord, item: Item) -> bool:
    """One changed row and its log entry; False when the store holds these values already."""
    notice = session.scalars(
        select(Notice).where(Notice.source_name == record.source.name, Notice.key == item.key)
    ).one_or_none()
    if notice is None or (notice.title, notice.url, notice.published) == item.fingerprint():
        return False  # another instance stored this very change first, with its log entry
    previous: dict[str, object] = {
        "title": notice.title,
        "url": notice.url,
        "published": notice.published.isoformat() if notice.published else None,
    }
    columns = _item_columns(item) | _verdict_columns(record.verdicts.get(item.key))
    for name, value in columns.items():
        setattr(notice, name, value)
    notice.fingerprint = title_fingerprint(item.title)
    session.flush()
    session.add(_change(notice, ChangeKind.CHANGED, record.now, previous))
    return True


def _change(notice: Notice, kind: ChangeKind, now: dt.datetime, previous: dict[str, object]) -> Change:
    """A row of the detected-changes log, carrying the notice as it is now."""
    return Change(
        notice_id=notice.id,
        source_name=notice.source_name,
        kind=kind,
        detected_at=now,
        title=notice.title,
        url=notice.url,
        published=notice.published,
        relevant=notice.relevant,
        score=notice.score,
        previous=previous,
    )


def _earlier_sighting(
    session: Session, fingerprint: str, source_name: str, notice_id: int, since: dt.datetime
) -> tuple[int, str, str] | None:
    """The first notice of the same document on another source, seen since `since`: its id, source, URL."""
    params = {"fingerprint": fingerprint, "source": source_name, "since": since, "notice": notice_id}
    found = session.execute(_EARLIER, params).first()
    return None if found is None else (found[0], found[1], found[2])


def _health(
    before: str, failures: int, status: Health, reason: str | None, now: dt.datetime, fetched: Fetched | None
) -> tuple[dict[str, Any], bool]:
    """The source row's health columns after a check, and whether it was healthy before and still is."""
    columns: dict[str, Any] = {
        "status": status,
        "status_reason": reason,
        "last_checked_at": now,
        "consecutive_failures": 0 if status is Health.OK else failures + 1,
    }
    if fetched is not None:
        columns |= {"last_elapsed_s": fetched.elapsed_s, "fetch_mode": fetched.mode}
    return columns, before == Health.OK and status is Health.OK


def _mark_health(
    state: SourceState, status: Health, reason: str | None, now: dt.datetime, fetched: Fetched | None
) -> bool:
    """Record the source's health; True when it was healthy before and still is (`stayed_healthy`)."""
    columns, stayed_healthy = _health(state.status, state.consecutive_failures, status, reason, now, fetched)
    for name, value in columns.items():
        setattr(state, name, value)
    return stayed_healthy


def record_not_modified(
    session: Session, source: Source, fetched: Fetched, now: dt.datetime, started: dt.datetime
) -> CheckSummary:
    state = _state(session, source)
    # an unchanged page is judged again: dates that stopped moving grow stale while the page stays the same
    listed = listed_items(session, source.name, state.listing or [])
    stayed_healthy = _mark_health(state, *listing_health(source, listed, state.last_new_at, now), now, fetched)
    state.last_ok_at = now
    summary = CheckSummary(
        source=source.name,
        outcome=CheckOutcome.NOT_MODIFIED,
        items=state.item_count,
        stayed_healthy=stayed_healthy,
    )
    _add_run(session, summary, started, now, fetched.elapsed_s)
    return summary


def record_problem(
    session: Session,
    source: Source,
    outcome: CheckOutcome,
    reason: str,
    fetched: Fetched | None,
    now: dt.datetime,
    started: dt.datetime,
) -> CheckSummary:
    """A blocked, failed or rotten check: health changes, the snapshot and its validators do not."""
    state = _state(session, source)
    _mark_health(state, outcome.health, reason, now, fetched)
    summary = CheckSummary(source=source.name, outcome=outcome, reason=reason)
    _add_run(session, summary, started, now, fetched.elapsed_s if fetched else 0.0)
    return summary


def _add_run(session: Session, summary: CheckSummary, started: dt.datetime, now: dt.datetime, elapsed: float) -> None:
    session.execute(
        _RUN,
        {
            "source_name": summary.source,
            "started_at": started,
            "finished_at": now,
            "outcome": summary.outcome,
            "items": summary.items,
            "new": summary.new,
            "changed": summary.changed,
            "gone": summary.gone,
            "elapsed_s": elapsed,
            "reason": summary.reason,
        },
    )


def record_history(
    session: Session, source: Source, items: Sequence[Item], verdicts: Mapping[str, Verdict], now: dt.datetime
) -> int:
    """Older notices from back-fill pages: known from now on, never alerted, not part of the page-1 listing."""
    known: set[str] = set()
    for chunk in chunks(item.key for item in items):
        query = select(Notice.key).where(Notice.source_name == source.name, Notice.key.in_(chunk))
        known.update(session.scalars(query))
    added = 0
    for item in items:
        if item.key in known:
            continue
        notice = Notice(
            source_name=source.name,
            key=item.key,
            listed=False,
            first_seen_at=now,
            last_seen_at=now,
            fingerprint=title_fingerprint(item.title),
            **_item_columns(item),
            **_verdict_columns(verdicts.get(item.key)),
        )
        session.add(notice)
        known.add(item.key)
        added += 1
    return added
