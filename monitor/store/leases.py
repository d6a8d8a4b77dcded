"""Per-source leases: an instance checks a source only while it holds the source's lease, and only when
the source is due, so several daemons can share one database (SQLite or PostgreSQL) politely.

A lease is taken by INSERT … ON CONFLICT DO NOTHING, or by a compare-and-swap UPDATE of the row, on both
engines: it succeeds when no live instance holds the source and the source is due.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from monitor.store.db import insert_ignore
from monitor.store.models import Lease
from monitor.store.outbox import process_gone


def take(
    session: Session, source: str, holder: str, now: dt.datetime, hold: dt.timedelta, interval: dt.timedelta
) -> bool:
    """Take the source's lease until `now + hold`; False when another live instance holds it, or checked
    it so lately that it is not due. A holder that died (a crash, a restart) holds nothing: its sources
    are due at once, as a restarted daemon's always were."""
    current = session.get(Lease, source)
    if current is None:
        values = {"source_name": source, "holder": holder, "until": now + hold, "next_due": now}
        return insert_ignore(session, Lease.__table__, values)  # type: ignore[arg-type]
    mine = current.holder == holder
    gone = not mine and process_gone(current.holder)
    # times further ahead than a hold or an interval come from a clock that stepped, or a longer interval
    # than the source has now: they bind nobody
    free = mine or gone or current.until <= now or current.until - now > hold
    due = mine or gone or current.next_due <= now or current.next_due - now > interval
    if not (free and due):
        return False
    taken = session.execute(  # compare-and-swap: another instance taking it meanwhile wins, this one yields
        update(Lease)
        .where(Lease.source_name == source, Lease.holder == current.holder, Lease.until == current.until)
        .values(holder=holder, until=now + hold)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def give_back(session: Session, source: str, holder: str, now: dt.datetime, next_due: dt.datetime) -> None:
    """Release the lease after a check; no instance checks the source again before `next_due`."""
    session.execute(
        update(Lease)
        .where(Lease.source_name == source, Lease.holder == holder)
        .values(until=now, next_due=next_due)
        .execution_options(synchronize_session=False)
    )
