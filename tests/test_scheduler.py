import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from monitor.config.settings import Settings
from monitor.scheduler import Daemon
from monitor.testing.localsite import Page
from monitor.testing.mailsink import free_port
from tests.helpers import ROOT, catalogue, deployment, sigterm, site_page, start_daemon, wait_for

pytestmark = pytest.mark.slow


class _Pipeline:
    settings = Settings()
    sessions = sessionmaker()
    dispatcher = SimpleNamespace(sender=None)


def test_one_job_per_source_with_jitter_coalesce_and_no_overlap():
    sources = [s for s in catalogue().values() if s.enabled]

    async def started_jobs():
        scheduler = Daemon(_Pipeline(), sources).build_scheduler()  # type: ignore[arg-type]
        scheduler.start(paused=True)
        try:
            return {job.id: job for job in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)

    jobs = asyncio.run(started_jobs())
    assert {f"check:{s.name}" for s in sources} <= set(jobs)
    nmpa = jobs["check:nmpa-ggtg"]
    assert nmpa.coalesce is True and nmpa.max_instances == 1
    assert nmpa.trigger.interval.total_seconds() == catalogue()["nmpa-ggtg"].interval_minutes * 60
    assert nmpa.trigger.jitter
    assert "dispatch" in jobs
    assert jobs["store-health"].trigger.interval.total_seconds() == Settings().ops.store_probe_s
    assert jobs["prune-runs"].trigger.interval.total_seconds() == 24 * 3600


def test_sigterm_finishes_the_in_flight_check_and_exits_cleanly(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    # a slow answer: the check is still in flight when SIGTERM arrives
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html"), delay_s=1.5))
    daemon = start_daemon(env, "-v")
    assert wait_for(lambda: site.hits("/xxgk/ggtg/index.html"), timeout=30)
    stderr, _ = sigterm(daemon)
    assert daemon.returncode == 0, stderr
    assert "daemon stopped" in stderr
    engine = create_engine(f"sqlite:///{tmp_path}/cgt-monitor.db")
    with engine.connect() as connection:
        outcome = connection.execute(text("select outcome from runs where source_name = 'nmpa-ggtg'")).scalar()
    assert outcome == "baseline"  # the in-flight check was recorded before exit


def test_the_daemon_started_while_the_database_is_down_waits_and_says_so(tmp_path):
    port = free_port()  # nothing listens there: PostgreSQL "down"
    config = tmp_path / "cgt-monitor.toml"
    config.write_text(f'database_url = "postgresql://postgres@127.0.0.1:{port}/cgt"\n', encoding="utf-8")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        cwd=ROOT,
        env={**os.environ, "CGT_MONITOR_DATA": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said: list[str] = []
    watchdog = threading.Timer(60, daemon.kill)  # a daemon that never says anything ends the read
    watchdog.start()
    try:
        assert daemon.stderr is not None
        while not any("trying again in" in line for line in said):  # its first try, however slow the start
            line = daemon.stderr.readline()
            assert line, "the daemon ended instead of waiting"
            said.append(line)
        time.sleep(2)
        assert daemon.poll() is None  # still there, waiting
        daemon.send_signal(signal.SIGTERM)
        _, rest = daemon.communicate(timeout=15)
    finally:
        watchdog.cancel()
        if daemon.poll() is None:
            daemon.kill()
    stderr = "".join(said) + rest
    assert "database unavailable" in stderr and "trying again in" in stderr
    assert "Traceback" not in stderr


def start_on(tmp_path, database_url: str) -> subprocess.CompletedProcess[str]:
    """The daemon started on this database, to its end (it is expected to end by itself)."""
    config = tmp_path / "cgt-monitor.toml"
    config.write_text(f'database_url = "{database_url}"\n', encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        cwd=ROOT,
        env={**os.environ, "CGT_MONITOR_DATA": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_database_that_refuses_the_configuration_ends_the_start_with_the_reason(tmp_path, postgres_url):
    """Waiting is for a server that is down; a wrong database name will not come back by itself."""
    wrong = postgres_url.rsplit("/", 1)[0] + "/no_such_database_here"
    done = start_on(tmp_path, wrong)
    assert done.returncode == 1
    assert "StoreMisconfigured" in done.stderr and "no_such_database_here" in done.stderr
    assert "database_url" in done.stderr and "trying again" not in done.stderr and "Traceback" not in done.stderr


def test_a_database_url_that_names_no_database_ends_the_start(tmp_path):
    done = start_on(tmp_path, "nosuchdialect://x/y")
    assert done.returncode == 1 and "the database URL is not usable" in done.stderr
    assert "Traceback" not in done.stderr
