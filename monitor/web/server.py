"""Serving the desk with uvicorn: alone (`cgt-monitor serve`) or inside the daemon's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence

import uvicorn

from monitor.app import Database
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.web.app import create_app

log = logging.getLogger(__name__)


class _QuietSignals(uvicorn.Server):
    """Inside the daemon, SIGTERM and SIGINT are the daemon's: it stops the desk with the rest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(
    settings: Settings, database: Database | None, host: str | None, port: int | None, sources: Sequence[Source]
) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, database, sources),
        host=host or settings.web.host,
        port=port if port is not None else settings.web.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # the client address decides read access: never taken from a header
        server_header=False,
    )


def serve(settings: Settings, host: str | None = None, port: int | None = None, sources: Sequence[Source] = ()) -> None:
    """The desk alone, until Ctrl-C or SIGTERM."""
    config = _config(settings, None, host, port, sources)
    log.info("review desk on http://%s:%d/", config.host, config.port)
    uvicorn.Server(config).run()


class DeskInDaemon:
    """The desk as a task of the daemon's loop, started and stopped with it."""

    def __init__(self, settings: Settings, database: Database, sources: Sequence[Source] = ()) -> None:
        self.server = _QuietSignals(_config(settings, database, None, None, sources))
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started and not self.task.done():
            await asyncio.sleep(0.05)
        if self.task.done():
            self.task.result()  # it could not bind: say why
        log.info("review desk on http://%s:%d/", self.server.config.host, self.server.config.port)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, timeout=5)
