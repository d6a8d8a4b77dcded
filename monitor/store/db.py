"""Engine set-up (SQLite in WAL mode by default, PostgreSQL by URL) and Alembic upgrades."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:  # Alembic is imported only when the schema has to move
    from alembic.config import Config


def migrations_dir() -> Path:
    packaged = resources.files("monitor").joinpath("bundled/migrations")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # transactions are begun by _sqlite_begin, not by the driver: DDL (migrations) becomes transactional and
    # write transactions can take the write lock up front
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (web, CLI) never block the daemon's writes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite's own page cache, 2 MiB by default, held per connection for the process's life: a check reads one
    # source's rows, the next another's, so it seldom hits; the operating system caches the file anyway
    cursor.execute("PRAGMA cache_size=-512")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_IMMEDIATE = "cgt_write_transaction"


def open_database(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(engine)
    # one write transaction: a kill leaves the schema as it was, and two processes upgrading at once wait
    with engine.connect().execution_options(**{_IMMEDIATE: True}) as connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest schema revision these migrations know."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def newest_revision_file() -> str:
    """The head revision as the migration files name it (NNNN_what.py, revision "NNNN", one line of them):
    known without loading Alembic, which a start on a current schema does not need."""
    names = (path.name for path in (migrations_dir() / "versions").iterdir())
    return max(match.group(1) for name in names if (match := _REVISION_FILE.match(name)))


def schema_is_current(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except DBAPIError:  # no schema yet
        return False
    return version == newest_revision_file()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One write transaction, committed on leaving the block (rolled back on an exception).

    On SQLite it takes the write lock when it begins (BEGIN IMMEDIATE): what it reads is what it writes
    over, so two processes on one database wait for each other instead of failing on a stale snapshot.
    """
    with sessions.begin() as session:
        session.connection(execution_options={_IMMEDIATE: True})
        yield session


# SQLite's primary result codes (the low byte of an extended code) for a store that takes no more writes
_SQLITE_REFUSALS = {
    13: "the disk is full",  # SQLITE_FULL: "database or disk is full"
    8: "the database is read-only",  # SQLITE_READONLY: "attempt to write a readonly database"
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN: a read-only or vanished directory
    10: "disk I/O error",  # SQLITE_IOERR (ENOSPC on the write-ahead log comes back as one of these)
}
# the shared-memory index of the write-ahead log could not grow: a full disk, seen before any write
_SQLITE_EXTENDED = {4874: "the disk is full"}  # SQLITE_IOERR_SHMSIZE
_PG_REFUSALS = {
    "53100": "the disk is full",  # disk_full
    "25006": "the database is read-only",  # read_only_sql_transaction: a standby, or read-only by setting
    "58030": "disk I/O error",  # io_error
}


def write_refusal(exc: BaseException) -> str | None:
    """Why the store refuses writes (full disk, read-only, I/O error), or None for any other failure.

    A refusal is a state of the store, not of the write: every write fails alike until an operator acts,
    so callers treat it as one health problem rather than as the failure of whatever they were doing.
    Judged by the driver's error code, never by the text of the message.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if (reason := _refusal_of(current)) is not None:
            return reason
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def _refusal_of(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlite_errorcode", None)
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(code, int):
        reason = _SQLITE_EXTENDED.get(code) or _SQLITE_REFUSALS.get(code & 0xFF)
    elif isinstance(sqlstate, str):
        reason = _PG_REFUSALS.get(sqlstate)
    else:
        return None
    if reason is None:
        return None
    said = str(exc).strip().splitlines()
    return f"{reason} ({said[0]})" if said and said[0] not in reason else reason


def database_name(url: str) -> str:
    """How an operator knows this database: the SQLite file's name, or the server's database name."""
    parsed = make_url(url)
    return Path(parsed.database or "").name or parsed.render_as_string(hide_password=True)


def free_space(engine: Engine) -> int | None:
    """Bytes free on the filesystem of a SQLite database file (None for a server, or a file not there)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    try:
        stat = os.statvfs(Path(str(engine.url.database)).expanduser().parent)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def insert_ignoring(session: Session, table: Table, returning: tuple[str, ...] = ()) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for this session's database (SQLite or PostgreSQL), RETURNING these
    columns; the rows go as parameters of the execution."""
    return _insert_ignoring(session.get_bind().dialect.name, table, returning)


@lru_cache(maxsize=64)
def _insert_ignoring(dialect: str, table: Table, returning: tuple[str, ...]) -> Any:
    # built once: a statement is immutable, and building one (with its cache key) costs as much as running it
    statement: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(table).on_conflict_do_nothing()
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """One row unless it exists already; True when it was inserted.

    A row that exists already (written by another instance, or by a retry) is "already done", never an
    error that would fail the transaction around it.
    """
    key = next(iter(table.primary_key.columns))
    # RETURNING rather than rowcount, which drivers report differently for a skipped row
    statement = insert_ignoring(session, table, (key.name,))
    return session.execute(statement, values).first() is not None
