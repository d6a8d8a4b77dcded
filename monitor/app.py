"""Wiring: settings + catalogue → database, fetcher, classifier, dispatcher and pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from monitor.alert.dispatch import Dispatcher
from monitor.alert.send import AppriseSender, Sender
from monitor.check.pipeline import Pipeline
from monitor.check.requests import SourceRequests
from monitor.classify import default_classifier
from monitor.config.settings import Settings
from monitor.fetch import BrowserFetcher, HttpFetcher
from monitor.store.db import open_database, schema_is_current, session_factory, upgrade_database, write_refusal

log = logging.getLogger(__name__)


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def open_store(settings: Settings, upgrade: bool = True) -> Database:
    """Open the configured database, bringing its schema to the current version first."""
    engine = open_database(settings.resolved_database_url())
    if upgrade and not schema_is_current(engine):
        upgrade_database(engine)
    return Database(engine, session_factory(engine))


class StoreMisconfigured(RuntimeError):
    """The database answers, or cannot be addressed at all, in a way waiting will not change."""


# what a server says when it is up but refuses this configuration: a wrong password or database name
_REFUSALS = ("password authentication failed", "does not exist", "no pg_hba.conf entry", "invalid dsn")


def _permanent(exc: Exception) -> str | None:
    """Why waiting for the database is pointless, or None when it may come back (down, starting, locked)."""
    if isinstance(exc, (ArgumentError, NoSuchModuleError)):
        return f"the database URL is not usable: {exc}"
    message = str(exc).lower()
    if isinstance(exc, OperationalError) and any(refusal in message for refusal in _REFUSALS):
        return str(exc).strip().splitlines()[0]
    return None


async def wait_for_store(
    settings: Settings, max_delay_s: float = 60.0, on_refusal: Callable[[str], Awaitable[None]] | None = None
) -> Database:
    """The database, waited for: a daemon started while PostgreSQL is down (or the disk is read-only)
    says so once per try, backing off, and carries on when it is back. A refusal that no wait changes (a
    wrong password, an unknown database, a URL that names no database) ends the start with that reason.
    A store that refuses writes (`write_refusal`) goes to `on_refusal` instead, which says it once."""
    delay = 1.0
    while True:
        try:
            return await asyncio.to_thread(open_store, settings)
        except (SQLAlchemyError, OSError) as exc:
            if why := _permanent(exc):
                raise StoreMisconfigured(f"{why} (database_url in the deployment file)") from None
            if on_refusal is not None and (refused := write_refusal(exc)) is not None:
                await on_refusal(refused)  # said once for the episode, not once per try
                log.debug("trying the database again in %.0f s", delay)
            else:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                log.warning("database unavailable (%s): trying again in %.0f s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)


@contextmanager
def scratch_copy(settings: Settings) -> Iterator[tuple[Settings, Database]]:
    """For a dry run: the store as it is, read into memory, and a throw-away data directory, so nothing the
    run does (or the schema upgrade it needs) touches the real database or data directory."""
    url = make_url(settings.resolved_database_url())
    with tempfile.TemporaryDirectory(prefix="cgt-monitor-dry-run-") as scratch:
        scratch_settings = settings.model_copy(update={"data_dir": Path(scratch)})
        if url.get_backend_name() != "sqlite":
            yield scratch_settings, open_store(settings, upgrade=False)  # reads only; never migrated here
            return
        memory = sqlite3.connect(":memory:", check_same_thread=False)
        path = Path(url.database or "")
        if url.database and path.is_file():
            try:  # read-only, with the live daemon's write-ahead log
                with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as stored:
                    stored.backup(memory)
            except sqlite3.OperationalError:  # no write access for the WAL's index: the file alone
                with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as stored:
                    stored.backup(memory)
        engine = create_engine("sqlite://", creator=lambda: memory, poolclass=StaticPool)
        upgrade_database(engine)
        yield scratch_settings, Database(engine, session_factory(engine))
        engine.dispose()


@asynccontextmanager
async def running_pipeline(
    settings: Settings, sender: Sender | None = None, database: Database | None = None
) -> AsyncIterator[Pipeline]:
    database = database or open_store(settings)
    dispatcher = Dispatcher(database.sessions, settings, sender or AppriseSender(settings.delivery.send_timeout_s))
    # the browser starts only when a source needs it, and is closed (with its Xvfb) when the pipeline is
    async with HttpFetcher(settings.fetch) as fetcher, BrowserFetcher(settings.browser, fetcher) as browser:
        requests = SourceRequests(fetcher, browser)
        yield Pipeline(settings, database.sessions, requests, default_classifier(), dispatcher)
