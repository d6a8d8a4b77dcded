"""A store that refuses writes is told apart from every other failure, from the errors the databases raise."""

import os
import pwd
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from monitor.store.db import open_database, session_factory, upgrade_database, write_refusal, write_transaction
from monitor.store.models import Incident, utcnow
from tests.disk import small_disk, truncate_wal


def _write(engine, reason="probe"):
    with write_transaction(session_factory(engine)) as session:
        session.add(Incident(subject_kind="test", subject="x", opened_at=utcnow(), reason=reason))


def _refused(engine, reason="probe"):
    with pytest.raises(DBAPIError) as raised:
        _write(engine, reason)
    return write_refusal(raised.value)


def test_a_full_filesystem_is_a_refusal(tmp_path):
    with small_disk(tmp_path / "disk", "2m") as disk:
        engine = open_database(f"sqlite:///{disk.path}/cgt.db")
        upgrade_database(engine)
        _write(engine)  # its connection stays open, and with it the log's index, as in a running daemon
        truncate_wal(disk.path / "cgt.db")
        disk.fill()
        assert _refused(engine) == "the disk is full (database or disk is full)"
        engine.dispose()
        # a process that starts on the full disk cannot even make the log's index
        assert (_refused(engine) or "").startswith("the disk is full")
        disk.free()
        _write(engine)  # room again: the same engine writes
        engine.dispose()


def test_a_database_at_its_page_limit_is_full(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/cgt.db")
    upgrade_database(engine)
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA max_page_count = 1"))
    engine.dispose()
    assert _refused(engine, "x" * 200_000) == "the disk is full (database or disk is full)"


def test_a_read_only_database_is_a_refusal(tmp_path):
    if os.geteuid() == 0:  # root writes through file modes: a read-only mount instead
        with small_disk(tmp_path / "disk", "2m") as disk:
            engine = open_database(f"sqlite:///{disk.path}/cgt.db")
            upgrade_database(engine)
            engine.dispose()
            disk.read_only()
            why = _refused(engine)
            engine.dispose()
            fresh = _refused(open_database(f"sqlite:///{disk.path}/new.db"))
    else:
        engine = open_database(f"sqlite:///{tmp_path}/cgt.db")
        upgrade_database(engine)
        engine.dispose()
        for name in ("cgt.db", "cgt.db-wal", "cgt.db-shm"):
            if (tmp_path / name).exists():
                (tmp_path / name).chmod(0o444)
        why = _refused(engine)
        tmp_path.chmod(0o555)
        try:
            fresh = _refused(open_database(f"sqlite:///{tmp_path}/new.db"))
        finally:
            tmp_path.chmod(0o755)
    assert why is not None and why.startswith(("the database is read-only", "the database file cannot be opened"))
    assert fresh is not None and fresh.startswith(("the database is read-only", "the database file cannot be opened"))


def test_other_failures_are_not_refusals(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/cgt.db")
    upgrade_database(engine)
    with pytest.raises(DBAPIError) as missing, engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    assert write_refusal(missing.value) is None
    with pytest.raises(IntegrityError) as duplicate, engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('again')"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('again')"))
    assert write_refusal(duplicate.value) is None
    # a lock held by another process is waited out elsewhere: it is not a refusal
    locker = create_engine(f"sqlite:///{tmp_path}/cgt.db", connect_args={"timeout": 0, "isolation_level": None})
    with locker.connect() as holding:
        holding.exec_driver_sql("BEGIN IMMEDIATE")
        impatient = create_engine(f"sqlite:///{tmp_path}/cgt.db", connect_args={"timeout": 0, "isolation_level": None})
        with pytest.raises(DBAPIError) as locked, impatient.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        assert "locked" in str(locked.value)
        assert write_refusal(locked.value) is None
        holding.exec_driver_sql("ROLLBACK")
    assert write_refusal(ValueError("database or disk is full")) is None  # the code decides, not the words


@pytest.mark.postgres
def test_postgres_read_only_transaction_is_a_refusal(pg_database):
    engine = open_database(pg_database)
    upgrade_database(engine)

    def read_only(connection, _record):
        connection.execute("SET default_transaction_read_only = on")
        connection.commit()  # a session setting, kept past the pool's reset

    event.listen(engine, "connect", read_only)
    engine.dispose()
    why = _refused(engine)
    assert why is not None and why.startswith("the database is read-only (cannot execute INSERT")
    engine.dispose()


@pytest.mark.postgres
def test_postgres_full_tablespace_is_a_refusal(pg_database):
    # not under pytest's 0700 tmp root: the server (the postgres user) must reach the tablespace
    with small_disk(Path(tempfile.mkdtemp(prefix="cgt-monitor-space-")), "1m") as disk:
        space = disk.path / "pg"
        space.mkdir()
        postgres = pwd.getpwnam("postgres")
        os.chown(space, postgres.pw_uid, postgres.pw_gid)
        admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE TABLESPACE small LOCATION '{space}'"))
        try:
            with pytest.raises(DBAPIError) as raised, admin.connect() as connection:
                connection.execute(text("CREATE TABLE big (payload text) TABLESPACE small"))
                connection.execute(text("ALTER TABLE big ALTER COLUMN payload SET STORAGE PLAIN"))
                for _ in range(400):  # 4 kB rows that cannot be compressed, past the 1 MB disk
                    connection.execute(
                        text("INSERT INTO big SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 125)")
                    )
            why = write_refusal(raised.value)
            assert why is not None and why.startswith("the disk is full (could not extend file")
        finally:
            with admin.connect() as connection:
                connection.execute(text("DROP TABLE IF EXISTS big"))
                connection.execute(text("DROP TABLESPACE small"))
            admin.dispose()
