"""The record of checks is let go after the configured days, but never what the store still reads it for."""

import asyncio
import datetime as dt

from sqlalchemy import func, select

from monitor.app import open_store, running_pipeline
from monitor.scheduler import Daemon
from monitor.store.db import write_transaction
from monitor.store.models import Run
from monitor.store.retention import prune_runs
from tests.store.test_checks import statements

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def add_runs(database, source, outcomes_by_age_days):
    with write_transaction(database.sessions) as session:
        for age, outcome in outcomes_by_age_days:
            at = NOW - dt.timedelta(days=age)
            session.add(Run(source_name=source, started_at=at, finished_at=at, outcome=outcome))


def left(database):
    with database.sessions() as session:
        rows = session.execute(select(Run.source_name, Run.outcome, Run.finished_at).order_by(Run.id))
        return [(name, outcome, (NOW - finished.replace(tzinfo=dt.UTC)).days) for name, outcome, finished in rows]


def test_old_runs_go_but_baselines_the_newest_failure_and_recent_runs_stay(settings_for):
    prunes_as_it_should(open_store(settings_for()))


def prunes_as_it_should(database):
    add_runs(database, "a", [(400, "baseline"), (300, "error"), (250, "ok"), (200, "blocked"), (190, "ok"), (5, "ok")])
    add_runs(database, "b", [(365, "baseline"), (364, "ok"), (363, "rot"), (1, "ok")])
    deleted = prune_runs(database.sessions, NOW - dt.timedelta(days=180), batch=2)
    assert deleted == 4  # a: the older error and both old oks; b: its old ok
    assert left(database) == [
        ("a", "baseline", 400),
        ("a", "blocked", 200),  # a's newest failure, however old
        ("a", "ok", 5),
        ("b", "baseline", 365),
        ("b", "rot", 363),
        ("b", "ok", 1),
    ]
    assert prune_runs(database.sessions, NOW - dt.timedelta(days=180)) == 0


def test_a_stop_between_batches_leaves_the_rest_for_the_next_time(settings_for):
    database = open_store(settings_for())
    add_runs(database, "a", [(300 - day, "ok") for day in range(10)])
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 1  # after the first batch

    assert prune_runs(database.sessions, NOW - dt.timedelta(days=180), batch=4, stop=stop) == 4
    assert len(left(database)) == 6
    assert prune_runs(database.sessions, NOW - dt.timedelta(days=180), batch=4) == 6


async def daemon_prunes(settings, database, stopping=False, refused=False):
    async with running_pipeline(settings, database=database) as pipeline:
        daemon = Daemon(pipeline, [])
        if stopping:
            daemon.stop()
        if refused:
            await daemon.health.note("the disk is full")
        await daemon._prune_runs()


def test_the_daemon_prunes_by_the_configured_days_and_not_at_all_with_zero(settings_for):
    for days, remaining in ((30, 1), (0, 2)):
        settings = settings_for().model_copy(update={"keep_runs_days": days})
        database = open_store(settings)
        with write_transaction(database.sessions) as session:
            session.execute(Run.__table__.delete())
        now = dt.datetime.now(dt.UTC)
        with write_transaction(database.sessions) as session:
            for age in (60, 1):
                at = now - dt.timedelta(days=age)
                session.add(Run(source_name="a", started_at=at, finished_at=at, outcome="ok"))

        asyncio.run(daemon_prunes(settings, database))
        with database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Run)) == remaining


def test_the_daemon_leaves_the_record_alone_while_stopping_or_while_the_store_refuses_writes(settings_for):
    settings = settings_for().model_copy(update={"keep_runs_days": 30})
    database = open_store(settings)
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    with write_transaction(database.sessions) as session:
        session.add(Run(source_name="a", started_at=at, finished_at=at, outcome="ok"))
    asyncio.run(daemon_prunes(settings, database, stopping=True))
    asyncio.run(daemon_prunes(settings, database, refused=True))
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 1
    asyncio.run(daemon_prunes(settings, database))
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0


def test_only_rows_up_to_the_newest_old_one_are_read_for_deletion(settings_for):
    database = open_store(settings_for())
    add_runs(database, "a", [(200, "ok"), (190, "ok"), (1, "ok")])
    with statements(database.engine) as sql:
        assert prune_runs(database.sessions, NOW - dt.timedelta(days=180)) == 2
    deletes = [s for s in sql if s.startswith("DELETE")]
    assert deletes and all("runs.id <= ?" in s for s in deletes)
    assert prune_runs(database.sessions, NOW - dt.timedelta(days=180)) == 0
