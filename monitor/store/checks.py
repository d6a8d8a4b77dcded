"""Recording one check: snapshot, changes and their outbox rows in a single transaction."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.classify.fingerprint import title_fingerprint
from monitor.config.sources import Source
from monitor.store import outbox
from monitor.store.db import insert_ignore
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
    """What the store knows of a source before a check."""

    known: dict[str, Item]  # every notice ever seen, by key
    listing: list[Item]  # the last list page, in page order
    baselined: bool
    etag: str | None
    last_modified: str | None


def config_hash(source: Source) -> str:
    """Validators (ETag, Last-Modified) are only trusted for the configuration that produced the snapshot."""
    payload = json.dumps(
        source.model_dump(mode="json", exclude={"label", "interval_minutes", "enabled", "stale_after_days"}),
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _insert_notice(session: Session, source_name: str, item: Item, now: dt.datetime) -> bool:
    """The notice's row, unless another instance inserted it meanwhile; True when this one did."""
    return insert_ignore(
        session,
        Notice.__table__,  # type: ignore[arg-type]
        {
            "source_name": source_name,
            "key": item.key,
            "title": item.title,
            "url": item.url,
            "published": item.published,
            "first_seen_at": now,
            "last_seen_at": now,
        },
    )


def _detail(notice: Notice) -> Detail | None:
    if notice.body is None and not notice.attachments and notice.detail_error is None:
        return None
    return Detail(
        body=notice.body or "",
        published=notice.detail_published,
        attachments=tuple(Attachment(**a) for a in notice.attachments or []),
        attachment_text=notice.attachment_text or "",
        error=notice.detail_error,
    )


def _as_item(notice: Notice) -> Item:
    return Item(
        key=notice.key,
        title=notice.title,
        url=notice.url,
        published=notice.published,
        file=notice.is_file,
        detail=_detail(notice),
    )


def _state(session: Session, source: Source) -> SourceState:
    state = session.get(SourceState, source.name)
    if state is None:  # first sight; another instance may be creating the same row right now
        insert_ignore(
            session,
            SourceState.__table__,  # type: ignore[arg-type]
            {
                "name": source.name,
                "agency": source.agency,
                "region": source.region,
                "url": source.url,
                "baselined": False,
                "status": Health.NEVER,
                "consecutive_failures": 0,
                "item_count": 0,
            },
        )
        state = session.get_one(SourceState, source.name)
    state.agency, state.region, state.url = source.agency, source.region, source.url
    return state


def load_snapshot(session: Session, source: Source) -> Snapshot:
    state = session.get(SourceState, source.name)
    notices = session.scalars(select(Notice).where(Notice.source_name == source.name)).all()
    listing = sorted((n for n in notices if n.listed), key=lambda n: n.position)
    trusted = state is not None and state.config_hash == config_hash(source) and state.baselined
    return Snapshot(
        known={n.key: _as_item(n) for n in notices},
        listing=[_as_item(n) for n in listing],
        baselined=bool(state and state.baselined),
        etag=state.etag if trusted and state else None,
        last_modified=state.last_modified if trusted and state else None,
    )


def _apply_item(notice: Notice, item: Item) -> None:
    """What the list row and (when followed) the detail page said; a row without a detail keeps the old one."""
    notice.is_file = item.file
    if item.detail is None:
        return
    detail = item.detail
    notice.body, notice.detail_published, notice.detail_error = detail.body, detail.published, detail.error
    notice.attachments = [dataclasses.asdict(a) for a in detail.attachments]
    notice.attachment_text = detail.attachment_text


def _apply_verdict(notice: Notice, verdict: Verdict) -> None:
    notice.relevant, notice.score = verdict.relevant, verdict.score
    notice.terms, notice.topics = list(verdict.terms), list(verdict.topics)
    notice.doc_type, notice.deadline = verdict.doc_type, verdict.deadline
    # the reason with its places, and the facts a specialist looks for, kept with the notice
    notice.matches = [{"term": m.term, "where": m.where, "weight": m.weight} for m in verdict.matches]
    notice.gloss, notice.document_number, notice.contact = verdict.gloss, verdict.document_number, verdict.contact


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


def record_success(session: Session, record: CheckRecord) -> CheckSummary:
    """Store the new snapshot, the changes and the deliveries they cause. The caller commits once.

    A new notice whose document another source published within the duplicate window becomes a sighting
    of that notice: logged, linked, never alerted a second time.
    """
    source, diff, now = record.source, record.diff, record.now
    state = _state(session, source)
    notices = {n.key: n for n in session.scalars(select(Notice).where(Notice.source_name == source.name))}
    current_keys = {item.key for item in record.items}
    new_keys = {item.key for item in diff.new}
    changed_keys = {current.key for _, current in diff.changed}
    gone_keys = {item.key for item in diff.gone}
    deliveries = relevant_new = 0
    done_elsewhere: collections.Counter[ChangeKind] = collections.Counter()

    for position, item in enumerate(record.items):
        notice = notices.get(item.key)
        # new and changed are decided again against the store as it is inside this transaction: another
        # instance may have recorded the same page a moment ago, and then this one has nothing to add
        first_here = notice is None and _insert_notice(session, source.name, item, now)
        if notice is None:
            notice = session.scalars(
                select(Notice).where(Notice.source_name == source.name, Notice.key == item.key)
            ).one()
            notices[item.key] = notice
        stored_before = None if first_here else (notice.title, notice.url, notice.published)
        previous: dict[str, object] = {
            "title": notice.title,
            "url": notice.url,
            "published": notice.published.isoformat() if notice.published else None,
        }
        notice.title, notice.url, notice.published = item.title, item.url, item.published
        notice.listed, notice.position, notice.last_seen_at, notice.gone_at = True, position, now, None
        _apply_item(notice, item)
        if item.key in record.verdicts:
            _apply_verdict(notice, record.verdicts[item.key])
        if notice.fingerprint is None or item.key in changed_keys:
            notice.fingerprint = title_fingerprint(item.title)
        if diff.baseline or (item.key not in new_keys and item.key not in changed_keys):
            continue
        if item.key in new_keys and not first_here:
            done_elsewhere[ChangeKind.NEW] += 1  # another instance stored it first, with its alerts
            continue
        if item.key in changed_keys and stored_before == item.fingerprint():
            done_elsewhere[ChangeKind.CHANGED] += 1
            continue
        session.flush()  # ids for the change and delivery rows
        kind = ChangeKind.NEW if item.key in new_keys else ChangeKind.CHANGED
        change = _change(notice, kind, now, previous if kind is ChangeKind.CHANGED else {})
        session.add(change)
        if kind is not ChangeKind.NEW:
            continue
        session.flush()
        already_told: set[tuple[str, str]] = set()
        if original := _earlier_sighting(session, notice, now - record.duplicate_window):
            notice.canonical_id = original.id
            change.previous = {"duplicate_of": original.id, "source": original.source_name, "url": original.url}
            # only who was (or will be) alerted of the original is spared the repost: a baseline original,
            # or one a subscription filtered out, alerted nobody
            already_told = outbox.told_of(session, original.id)
        relevant_new += int(notice.relevant)
        for route in record.routes.get(item.key, ()):
            if (route.subscription, route.channel) in already_told:
                continue
            deliveries += outbox.enqueue_notice(session, change.id, notice.id, route, now)

    for key, notice in notices.items():
        if key in current_keys or not notice.listed:
            continue
        notice.listed = False
        if key in gone_keys:
            notice.gone_at = now
            session.flush()
            session.add(_change(notice, ChangeKind.GONE, now, {}))

    state.baselined = True
    state.etag, state.last_modified = record.fetched.etag, record.fetched.last_modified
    state.config_hash = config_hash(source)
    _mark_health(state, *listing_health(session, source, record.items, now), now, record.fetched)
    state.last_ok_at = now
    state.item_count = len(record.items)
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
    )
    _add_run(session, summary, record.started, now, record.fetched.elapsed_s)
    return summary


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


def _earlier_sighting(session: Session, notice: Notice, since: dt.datetime) -> Notice | None:
    """The first notice of the same document on another source, seen since `since`."""
    query = select(Notice).where(
        Notice.fingerprint == notice.fingerprint,
        Notice.source_name != notice.source_name,
        Notice.canonical_id.is_(None),
        Notice.first_seen_at >= since,
        Notice.id != notice.id,
    )
    return session.scalars(query.order_by(Notice.id).limit(1)).first()


def _mark_health(
    state: SourceState, status: Health, reason: str | None, now: dt.datetime, fetched: Fetched | None
) -> None:
    state.status, state.status_reason, state.last_checked_at = status, reason, now
    state.consecutive_failures = 0 if status is Health.OK else state.consecutive_failures + 1
    if fetched is not None:
        state.last_elapsed_s = fetched.elapsed_s
        state.fetch_mode = fetched.mode


def record_not_modified(
    session: Session, source: Source, fetched: Fetched, now: dt.datetime, started: dt.datetime
) -> CheckSummary:
    state = _state(session, source)
    # an unchanged page is judged again: dates that stopped moving grow stale while the page stays the same
    _mark_health(state, *listing_health(session, source, listed_items(session, source.name), now), now, fetched)
    state.last_ok_at = now
    summary = CheckSummary(source=source.name, outcome=CheckOutcome.NOT_MODIFIED, items=state.item_count)
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
    session.add(
        Run(
            source_name=summary.source,
            started_at=started,
            finished_at=now,
            outcome=summary.outcome,
            items=summary.items,
            new=summary.new,
            changed=summary.changed,
            gone=summary.gone,
            elapsed_s=elapsed,
            reason=summary.reason,
        )
    )


def record_history(
    session: Session, source: Source, items: Sequence[Item], verdicts: Mapping[str, Verdict], now: dt.datetime
) -> int:
    """Older notices from back-fill pages: known from now on, never alerted, not part of the page-1 listing."""
    known = set(session.scalars(select(Notice.key).where(Notice.source_name == source.name)))
    added = 0
    for item in items:
        if item.key in known:
            continue
        notice = Notice(
            source_name=source.name,
            key=item.key,
            title=item.title,
            url=item.url,
            published=item.published,
            listed=False,
            position=0,
            first_seen_at=now,
            last_seen_at=now,
            fingerprint=title_fingerprint(item.title),
        )
        _apply_item(notice, item)
        if item.key in verdicts:
            _apply_verdict(notice, verdicts[item.key])
        session.add(notice)
        known.add(item.key)
        added += 1
    return added
