"""How long the record of each check is kept: a daemon polling a thousand sources writes a run row per check,
tens of thousands a day, and the store would grow by gigabytes a year if nothing were ever let go.

Runs older than the cut-off go, except what the store still reads them for: a source's baseline runs (they
tell a notice seen at the first look from one found later) and its newest failed run (the last failure that
`sources` and the web page show, however long ago). Notices, the change log and deliveries are never pruned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.db import write_transaction
from monitor.store.models import Run
from monitor.store.queries import last_failures
from monitor.values import CheckOutcome

_RUNS: Table = Run.__table__  # type: ignore[assignment]
_BATCH = 5_000  # rows per write transaction: the write lock is never held long, for checks waiting on it


def prune_runs(
    sessions: sessionmaker[Session],
    before: dt.datetime,
    *,
    batch: int = _BATCH,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Delete the runs that finished before `before` and are not kept; returns how many went. Each batch is
    its own transaction, so a stop (`stop()` true) or a crash between batches leaves a consistent store."""
    with sessions() as session:
        # the newest id among the old rows (by the index on finished_at): batches read no further, so the last
        # one does not scan the recent rows, as it would in id order, while it holds the write lock
        last = session.scalar(select(func.max(Run.id)).where(Run.finished_at < before))
        if last is None:
            return 0
        # what `sources` and the web page show as each source's last failure, however old
        kept = [run.id for run in last_failures(session).values()]
    doomed = (
        select(_RUNS.c.id)
        .where(_RUNS.c.id <= last, _RUNS.c.finished_at < before, _RUNS.c.outcome != CheckOutcome.BASELINE.value)
        .order_by(_RUNS.c.id)
        .limit(batch)
    )
    if kept := [ident for ident in kept if ident <= last]:
        doomed = doomed.where(_RUNS.c.id.not_in(kept))
    deleted = 0
    while not stop():
        with write_transaction(sessions) as session:
            result = session.execute(delete(_RUNS).where(_RUNS.c.id.in_(doomed.scalar_subquery())))
        gone = int(result.rowcount)  # type: ignore[attr-defined]
        deleted += gone
        if gone < batch:
            break
    return deleted
