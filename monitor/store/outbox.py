"""The outbox: one delivery row per alert, written in the transaction of the change (or incident) it
announces, then claimed, sent and marked by a dispatcher.

States (`DeliveryState`): pending → sending (claimed by one process) → sent; a failed send goes back to
pending with a later retry time, or to dead once it is older than the give-up age.

A dispatcher claims rows before sending (status sending, `claimed_by` = this process, `next_attempt_at` =
the end of its lease). A claim is stale — the row may be claimed again — when its process is gone (same
host: the PID is dead or reused) or its lease has run out (another host). A crash between send and mark
therefore repeats at most that one send, as soon as the next process starts. One row per (subscription,
notice, channel) — a unique constraint — makes a duplicate impossible to create.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from monitor.store.db import insert_ignore
from monitor.store.models import Delivery
from monitor.values import DeliveryState, Route

UNSENT = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.DEAD)


# --- writing alerts, inside the check's (or incident's) transaction ---


def enqueue_notice(session: Session, change_id: int, notice_id: int, route: Route, now: dt.datetime) -> bool:
    """One alert of a notice; False when that (subscription, notice, channel) row exists already."""
    return insert_ignore(
        session,
        Delivery.__table__,  # type: ignore[arg-type]
        {
            "change_id": change_id,
            "notice_id": notice_id,
            "subscription": route.subscription,
            "channel": route.channel,
            "mode": route.mode,
            "status": DeliveryState.PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": route.due_at,
            "done_targets": [],
        },
    )


def enqueue_ops(session: Session, incident_id: int, event: str, routes: Iterable[Route], now: dt.datetime) -> None:
    """Operator alerts go at once, one row per (subscription, incident, event, channel)."""
    for route in routes:
        insert_ignore(
            session,
            Delivery.__table__,  # type: ignore[arg-type]
            {
                "incident_id": incident_id,
                "event": event,
                "subscription": route.subscription,
                "channel": route.channel,
                "mode": "immediate",
                "status": DeliveryState.PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "done_targets": [],
            },
        )


def told_of(session: Session, notice_id: int) -> set[tuple[str, str]]:
    """The (subscription, channel) pairs alerted (or to be alerted) of a notice."""
    told = session.execute(_TOLD, {"notice": notice_id})
    return {(subscription, channel) for subscription, channel in told}


_DELIVERIES = Delivery.__table__.c
_TOLD = select(_DELIVERIES.subscription, _DELIVERIES.channel).where(_DELIVERIES.notice_id == bindparam("notice"))


# --- the dispatcher's side ---


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused PID apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 else None


@lru_cache(maxsize=1)
def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()) or '-'}"


def claim_is_stale(claimed_by: str | None, lease_until: dt.datetime, now: dt.datetime) -> bool:
    if not claimed_by:
        return True
    return lease_until <= now or process_gone(claimed_by)


def process_gone(holder: str) -> bool:
    """Is the process named `holder` (host:pid:start) known to have ended? Only on this host can it tell."""
    host, _, rest = holder.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only its lease can tell
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    return started not in ("-", _start_time(pid) or "?")


def due(session: Session, now: dt.datetime, include_not_due: bool = False, limit: int = 500) -> list[Delivery]:
    """Pending rows that are due (all pending rows with `include_not_due`), and rows whose sender died or
    whose lease ran out."""
    pending = select(Delivery).where(Delivery.status == DeliveryState.PENDING)
    if not include_not_due:
        pending = pending.where(Delivery.next_attempt_at <= now)
    rows = list(session.scalars(pending.order_by(Delivery.id).limit(limit)).unique())
    abandoned = session.scalars(select(Delivery).where(Delivery.status == DeliveryState.SENDING).order_by(Delivery.id))
    rows += [r for r in abandoned.unique() if claim_is_stale(r.claimed_by, r.next_attempt_at, now)]
    return rows


def claim(session: Session, rows: Sequence[Delivery], lease_until: dt.datetime) -> list[Delivery]:
    """Take the rows for this process; a row another dispatcher took meanwhile is left to it."""
    mine = []
    for row in rows:
        claimed = session.execute(
            update(Delivery)
            .where(Delivery.id == row.id, Delivery.status == row.status)
            .where(Delivery.claimed_by.is_(None) if row.claimed_by is None else Delivery.claimed_by == row.claimed_by)
            .values(status=DeliveryState.SENDING, claimed_by=this_process(), next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            mine.append(row)
    return mine


def _ours(session: Session, rows: Sequence[Delivery]) -> list[Delivery]:
    """The stored rows this process still holds the claim of (a stale claim may have been retaken)."""
    held = []
    for row in rows:
        stored = session.get(Delivery, row.id)
        if stored is not None and stored.status == DeliveryState.SENDING and stored.claimed_by == this_process():
            held.append(stored)
    return held


def mark_sent(session: Session, rows: Sequence[Delivery], when: dt.datetime) -> int:
    marked = _ours(session, rows)
    for stored in marked:
        stored.status, stored.sent_at, stored.last_error, stored.claimed_by = DeliveryState.SENT, when, None, None
        stored.attempts += 1
    return len(marked)


@dataclass
class Failure:
    retried: int = 0
    dead: list[Delivery] = field(default_factory=list)
    attempts: int = 0  # the most attempts any of the rows has now had


def mark_failed(
    session: Session,
    rows: Sequence[Delivery],
    error: str,
    succeeded: Sequence[int],
    now: dt.datetime,
    retry_at: dt.datetime,
    give_up: dt.timedelta,
) -> Failure:
    """Back to pending with `retry_at` (one time for the batch: a failed digest comes back as one digest),
    remembering which of the channel's services accepted it; dead once older than `give_up`."""
    failure = Failure()
    for stored in _ours(session, rows):
        stored.status, stored.claimed_by = DeliveryState.PENDING, None
        stored.attempts += 1
        stored.last_error = error
        stored.done_targets = sorted(set(stored.done_targets or []) | set(succeeded))
        failure.attempts = max(failure.attempts, stored.attempts)
        if now - stored.created_at >= give_up:
            stored.status = DeliveryState.DEAD
            failure.dead.append(stored)
        else:
            stored.next_attempt_at = retry_at
            failure.retried += 1
    return failure


def unsent(session: Session, states: Sequence[DeliveryState] = UNSENT) -> list[Delivery]:
    """Rows not (yet) sent, for `cgt-monitor deliveries`."""
    query = select(Delivery).where(Delivery.status.in_(states)).order_by(Delivery.id)
    return list(session.scalars(query).unique())


def waiting(session: Session, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Pending rows not yet due (held for a digest, quiet hours or a retry) and when the first falls due."""
    count, first = session.execute(
        select(func.count(), func.min(Delivery.next_attempt_at)).where(
            Delivery.status == DeliveryState.PENDING, Delivery.next_attempt_at > now
        )
    ).one()
    return int(count), first
