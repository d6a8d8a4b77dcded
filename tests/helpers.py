"""Helpers shared by the tests: recorded pages, catalogue sources on the local site, running the CLI.

Fixtures (servers started per test) live in conftest.py; plain functions live here and are imported.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from monitor.app import Database, running_pipeline
from monitor.check.interpret import source_items
from monitor.check.pipeline import Pipeline
from monitor.config.settings import FetchSettings, Settings
from monitor.config.sources import Source, load_sources
from monitor.store.db import session_factory, upgrade_database
from monitor.store.models import Change, Delivery, Notice, SourceState
from monitor.testing.localsite import LocalSite, Page
from monitor.values import Fetched, Item

ROOT = Path(__file__).resolve().parents[1]
SITES = ROOT / "tests" / "fixtures" / "sites"
# recorded pages the offline demo serves too: one copy, in the package
DEMO_PAGES = ROOT / "monitor" / "demo" / "pages" / "recorded"


def fixture_file(name: str) -> Path:
    """A recorded page by file name, from the tests' fixtures or the demo's recorded pages."""
    path = SITES / name
    return path if path.exists() else DEMO_PAGES / name


def site_page(name: str) -> bytes:
    return fixture_file(name).read_bytes()


def items_of(fetched: Fetched, source: Source, base_url: str | None = None) -> list[Item]:
    """What the source's extractor reads from a fetched page (links resolved against where it came from)."""
    return source_items(source, fetched.text, base_url or fetched.final_url or source.url)


def require(reason: str | None) -> None:
    """Skip where a machine part is missing locally; in CI (env CI set) that is a failure."""
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"this test needs it in CI: {reason}")
    pytest.skip(f"skipped: {reason}")


def quick_fetch(**changes: Any) -> FetchSettings:
    """Fetch settings without politeness delays or retries: tests talk to 127.0.0.1 only."""
    return FetchSettings(**{"per_host_min_delay_s": 0.0, "retries": 0, "timeout_s": 5, **changes})


def catalogue() -> dict[str, Source]:
    return {source.name: source for source in load_sources(ROOT / "sources.toml")}


def local_source(site: LocalSite, name: str, path: str | None = None, **changes: object) -> Source:
    """A catalogue source pointed at the local site, same selectors; `path` defaults to the real URL's path."""
    real = catalogue()[name]
    path = path or "/" + real.url.split("/", 3)[3]
    return real.model_copy(update={"url": site.url(path), **changes})


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


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


NEW_ROW = (
    '<li>\n<a href="../../xxgk/ggtg/ypggtg/ypqtggtg/20260923101512123.html" target="_blank" '
    'title="国家药监局药审中心关于发布《体内基因治疗产品药学研究与评价技术指导原则（试行）》的通告">…</a>\n'
    "<span>(2026-09-23)</span>\n</li>\n"
    '<li>\n<a href="../../xxgk/ggtg/ypggtg/ypqtggtg/20260923093022108.html" target="_blank" '
    'title="国家药监局关于注销复方甘草片等12个药品注册证书的公告">…</a>\n<span>(2026-09-23)</span>\n</li>\n'
)


def next_day(page: bytes) -> bytes:
    marker = "<!-- 信息公开公告通知 -->".encode()
    return page.replace(marker, marker + NEW_ROW.encode(), 1)


def deployment(tmp_path: Path, site: LocalSite, mail_url: str) -> dict[str, str]:
    catalogue = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = catalogue.index('[[source]]\nname = "nmpa-ggtg"')
    end = catalogue.index("[[source]]", start + 10)
    entry = catalogue[start:end].replace("https://www.nmpa.gov.cn", site.base_url)
    (tmp_path / "sources.toml").write_text(entry, encoding="utf-8")
    (tmp_path / "cgt-monitor.toml").write_text(
        f'data_dir = "{tmp_path}"\n[fetch]\nper_host_min_delay_s = 0.0\nretries = 0\n'
        f'[channels.mail]\nurl = "{mail_url}"\n'
        '[[subscription]]\nname = "ra"\nchannels = ["mail"]\n',
        encoding="utf-8",
    )
    return {
        "CGT_MONITOR_SOURCES": str(tmp_path / "sources.toml"),
        "CGT_MONITOR_CONFIG": str(tmp_path / "cgt-monitor.toml"),
    }


def seeded(engine: Engine) -> tuple[Any, int, int, dt.datetime]:
    upgrade_database(engine)
    sessions = session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        session.add(
            SourceState(
                name="s",
                agency="NMPA",
                region="CN",
                url="https://x",
                baselined=True,
                status="ok",
                consecutive_failures=0,
                item_count=1,
            )
        )
        session.flush()
        notice = Notice(source_name="s", key="k", title="t", url="https://x/1", first_seen_at=now, last_seen_at=now)
        session.add(notice)
        session.flush()
        change = Change(notice_id=notice.id, source_name="s", kind="new", detected_at=now, title="t", url="u")
        session.add(change)
        session.flush()
        session.add(
            Delivery(
                change_id=change.id,
                notice_id=notice.id,
                subscription="ra",
                channel="mail",
                created_at=now,
                next_attempt_at=now,
            )
        )
    return sessions, notice.id, change.id, now


def start_daemon(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """The real daemon (`cgt-monitor [ARGS] run`) in a child process, its log on a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *args, "run"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sigterm(daemon: subprocess.Popen[str], timeout: float = 30) -> tuple[str, float]:
    """Ask the daemon to stop as systemd does; its log and how long it took to exit."""
    daemon.send_signal(signal.SIGTERM)
    stopping = time.monotonic()
    try:
        _, stderr = daemon.communicate(timeout=timeout)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    return stderr, time.monotonic() - stopping
