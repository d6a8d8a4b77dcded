"""Per-source leases: an instance checks a source only while it holds the source's lease, and only when
the source is due, so several daemons can share one database (SQLite or PostgreSQL) politely.

Taking a lease is one INSERT … ON CONFLICT DO UPDATE … WHERE, atomic on both engines: it succeeds when
no instance holds the source (or its hold ran out, say the holder died) and the source is due.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store.models import Lease


def take(session: Session, source: str, holder: str, now: dt.datetime, hold: dt.timedelta) -> bool:
    """Take the source's lease until `now + hold`; False when another instance holds it or checked it
    recently enough that it is not due."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    table: Table = Lease.__table__  # type: ignore[assignment]
    values = insert(table).values(source_name=source, holder=holder, until=now + hold, next_due=now)
    taken = values.on_conflict_do_update(
        index_elements=[table.c.source_name],
        set_={"holder": holder, "until": now + hold},
        where=(table.c.until <= now) & (table.c.next_due <= now),
    ).returning(table.c.source_name)
    return session.execute(taken).first() is not None


def give_back(session: Session, source: str, holder: str, now: dt.datetime, next_due: dt.datetime) -> None:
    """Release the lease after a check; no instance checks the source again before `next_due`."""
    session.execute(
        update(Lease)
        .where(Lease.source_name == source, Lease.holder == holder)
        .values(until=now, next_due=next_due)
        .execution_options(synchronize_session=False)
    )
