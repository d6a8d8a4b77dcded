"""Shared fixtures: a real HTTP server and a real SMTP server on 127.0.0.1, recorded pages, settings."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.app import Database, running_pipeline
from monitor.config.settings import Channel, FetchSettings, Settings, Subscription
from monitor.config.sources import Source, load_sources
from monitor.localsite import LocalSite, Page
from monitor.mailsink import MailSink, free_port
from monitor.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
SITES = ROOT / "tests" / "fixtures" / "sites"


def site_page(name: str) -> bytes:
    return (SITES / name).read_bytes()


def catalogue() -> dict[str, Source]:
    return {source.name: source for source in load_sources(ROOT / "sources.toml")}


def local_source(site: LocalSite, name: str, path: str | None = None, **changes: object) -> Source:
    """A catalogue source pointed at the local site, same selectors; `path` defaults to the real URL's path."""
    real = catalogue()[name]
    path = path or "/" + real.url.split("/", 3)[3]
    return real.model_copy(update={"url": site.url(path), **changes})


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as served:
        yield served


@pytest.fixture
def inbox() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture
def settings_for(tmp_path: Path):
    """Settings on a fresh SQLite database in tmp_path, one e-mail channel, one subscription."""

    def make(mail_url: str | None = None, **subscription: object) -> Settings:
        channels = {"mail": Channel(urls=[mail_url])} if mail_url else {}
        subs = [Subscription(name="ra", channels=["mail"], **subscription)] if mail_url else []
        return Settings(
            data_dir=tmp_path,
            fetch=FetchSettings(per_host_min_delay_s=0.0, retries=0, timeout_s=5),
            channels=channels,
            subscription=subs,
        )

    return make


def in_pipeline(settings: Settings, database: Database | None, action: Callable[[Pipeline], Awaitable[Any]]) -> Any:
    """`action(pipeline)` on a fresh pipeline over `database`: what one start of the process would do."""

    async def go() -> Any:
        async with running_pipeline(settings, database=database) as pipeline:
            return await action(pipeline)

    return asyncio.run(go())


def hook_url(receiver: LocalSite, path: str = "/hook") -> str:
    """An apprise JSON webhook URL pointing at a local receiver."""
    return f"json://127.0.0.1:{receiver.base_url.rsplit(':', 1)[1]}{path}"


def serve(site: LocalSite, source: Source, body: bytes, **page: object) -> None:
    site.set("/" + source.url.split("/", 3)[3].split("?")[0], Page(body, **page))  # type: ignore[arg-type]


# --- PostgreSQL: a real server, from .ci/run (CGT_MONITOR_TEST_PG_URL) or started here when installed ---


def _start_postgres(tmp: Path) -> tuple[str, list[str]] | None:
    initdb = shutil.which("initdb") or "/usr/lib/postgresql/15/bin/initdb"
    pg_ctl = shutil.which("pg_ctl") or "/usr/lib/postgresql/15/bin/pg_ctl"
    if not (Path(initdb).exists() and Path(pg_ctl).exists()):
        return None
    data = tmp / "pgdata"
    port = free_port()
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        tmp.chmod(0o777)
    subprocess.run(
        [*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(tmp / "pg.log"),
            "-w",
            "-o",
            f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", [*run_as, pg_ctl, "-D", str(data), "-m", "fast", "stop"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if url := os.environ.get("CGT_MONITOR_TEST_PG_URL"):
        yield url
        return
    # not under pytest's 0700 tmp root: the server runs as the postgres user when we are root
    scratch = Path(tempfile.mkdtemp(prefix="cgt-monitor-pg-"))
    started = _start_postgres(scratch)
    if started is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI: .ci/run must install it and set CGT_MONITOR_TEST_PG_URL")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    url, stop = started
    yield url
    subprocess.run(stop, capture_output=True)
    shutil.rmtree(scratch, ignore_errors=True)


def run_cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=timeout,
        cwd=ROOT,
    )


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
