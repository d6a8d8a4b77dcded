"""Wiring: settings + catalogue → database, fetcher, classifier, dispatcher and pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.alert.dispatch import Dispatcher
from monitor.alert.send import AppriseSender, Sender
from monitor.check.pipeline import Pipeline
from monitor.check.requests import SourceRequests
from monitor.classify import default_classifier
from monitor.config.settings import Settings
from monitor.fetch import BrowserFetcher, HttpFetcher
from monitor.store.db import open_database, session_factory, upgrade_database


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def open_store(settings: Settings, upgrade: bool = True) -> Database:
    """Open the configured database, bringing its schema to the current version first."""
    engine = open_database(settings.resolved_database_url())
    if upgrade:
        upgrade_database(engine)
    return Database(engine, session_factory(engine))


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
