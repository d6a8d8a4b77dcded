"""Fixtures: a real HTTP server, a real SMTP server and a real PostgreSQL server on 127.0.0.1; settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.config.settings import BrowserSettings, Channel, Settings, Subscription
from monitor.fetch.browser import browser_unavailable
from monitor.testing.localsite import LocalSite
from monitor.testing.mailsink import MailSink, free_port
from tests.helpers import quick_fetch, require


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
    """Settings on a fresh SQLite database in tmp_path (or `database_url`), one e-mail channel, one subscription."""

    def make(mail_url: str | None = None, database_url: str | None = None, **subscription: object) -> Settings:
        channels = {"mail": Channel(urls=[mail_url])} if mail_url else {}
        subs = [Subscription(name="ra", channels=["mail"], **subscription)] if mail_url else []
        return Settings(
            database_url=database_url,
            data_dir=tmp_path,
            fetch=quick_fetch(),
            channels=channels,
            subscription=subs,
        )

    return make


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


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped afterwards."""
    name = f"cgt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


# --- Chromium: Debian's, driven by Playwright ---


@pytest.fixture
def chromium() -> BrowserSettings:
    """Browser settings for tests; the test is marked `browser` and skipped (failed in CI) without Chromium."""
    settings = BrowserSettings(page_timeout_s=20)
    require(browser_unavailable(settings))
    return settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from the parts a test uses, so `-m "not browser and not postgres and not slow"` selects the
    quick subset without a list to keep up to date."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "chromium" in fixtures:
            item.add_marker(pytest.mark.browser)
        if "postgres_url" in fixtures:
            item.add_marker(pytest.mark.postgres)
