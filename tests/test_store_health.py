"""The real daemon, its database on a small real filesystem that fills up (or PostgreSQL turned read-only)
while it runs:
the operator is told once per channel, the daemon stays up and quiet, and once the disk takes writes again
it records the outage, says it is over, and delivers the notice that came meanwhile — once."""

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.testing.localsite import Page
from tests.disk import small_disk, truncate_wal
from tests.helpers import ROOT, next_day, run_cli, sigterm, site_page, start_daemon, wait_for

pytestmark = pytest.mark.slow

LIST = "/xxgk/ggtg/index.html"
OTHER = "/b/xxgk/ggtg/index.html"


def _deployment(tmp_path: Path, data: Path, site, inbox, hooks, database_url: str | None = None) -> dict[str, str]:
    catalogue = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = catalogue.index('[[source]]\nname = "nmpa-ggtg"')
    entry = catalogue[start : catalogue.index("[[source]]", start + 10)].replace(
        "https://www.nmpa.gov.cn", site.base_url
    )
    other = entry.replace('name = "nmpa-ggtg"', 'name = "nmpa-ggtg-b"').replace(LIST, OTHER)
    (tmp_path / "sources.toml").write_text(entry + other, encoding="utf-8")
    hook = f"json://127.0.0.1:{hooks.base_url.rsplit(':', 1)[1]}/hook"
    (tmp_path / "cgt-monitor.toml").write_text(
        f'data_dir = "{data}"\n'
        + (f'database_url = "{database_url}"\n' if database_url else "")
        + "[fetch]\nper_host_min_delay_s = 0.0\nretries = 0\n"
        # the second source's first check comes 15 s after the start, when the disk is full
        "[schedule]\njitter_s = 0\nstartup_spread_s = 30\ndispatch_every_s = 2\n"
        "[ops]\nstore_probe_s = 1\n"
        f'[channels.mail]\nurl = "{inbox.apprise_url()}"\n'
        f'[channels.ops-mail]\nurl = "{inbox.apprise_url(to="ops@example.org")}"\n'
        f'[channels.ops-hook]\nurl = "{hook}"\n'
        '[[subscription]]\nname = "ra"\nchannels = ["mail"]\n'
        '[[subscription]]\nname = "ops"\nchannels = ["ops-mail", "ops-hook"]\nops = true\n',
        encoding="utf-8",
    )
    return {
        "CGT_MONITOR_SOURCES": str(tmp_path / "sources.toml"),
        "CGT_MONITOR_CONFIG": str(tmp_path / "cgt-monitor.toml"),
    }


def _query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_disk_that_fills_up_mid_run_is_one_alert_then_a_recovery_with_nothing_lost(tmp_path, site, inbox):
    with small_disk(tmp_path / "disk", "8m") as disk, _hooks() as hooks:
        env = _deployment(tmp_path, disk.path, site, inbox, hooks)
        database = disk.path / "cgt-monitor.db"

        def fill() -> None:
            truncate_wal(database)  # else small writes still fit in the log's old frames
            disk.fill()

        reason = _ride_out(env, site, inbox, hooks, f"sqlite:///file:{database}?mode=ro&uri=true", fill, disk.free)
    assert reason.startswith("the disk is full"), reason
    _assert_told_once(inbox, hooks, "cgt-monitor.db")


@pytest.mark.postgres
def test_a_database_turned_read_only_mid_run_is_one_alert_then_a_recovery_with_nothing_lost(
    tmp_path, site, inbox, pg_database
):
    """As when PostgreSQL fails over to a standby, or an operator makes it read-only: every session's
    transactions become read-only at once (a configuration reload reaches the daemon's open sessions)."""
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")

    def read_only(on: bool) -> None:
        with admin.connect() as connection:
            setting = "SET default_transaction_read_only = on" if on else "RESET default_transaction_read_only"
            connection.execute(text(f"ALTER SYSTEM {setting}"))
            connection.execute(text("SELECT pg_reload_conf()"))

    with _hooks() as hooks:
        env = _deployment(tmp_path, tmp_path, site, inbox, hooks, database_url=pg_database)
        try:
            reason = _ride_out(env, site, inbox, hooks, pg_database, lambda: read_only(True), lambda: read_only(False))
        finally:
            read_only(False)
            admin.dispose()
    assert reason.startswith("the database is read-only"), reason
    _assert_told_once(inbox, hooks, pg_database.rsplit("/", 1)[1])


def _ride_out(env, site, inbox, hooks, url: str, fault, heal) -> str:
    """Baseline both sources, start the daemon, refuse writes after its first check and before the check of
    the source with a new notice, heal; the daemon's log must speak of it once each way. Returns the
    recorded outage's reason."""
    page = site_page("nmpa-ggtg.html")
    site.set(LIST, Page(page))
    site.set(OTHER, Page(page))
    baseline = run_cli("run", "--once", env=env)
    assert baseline.returncode == 0, baseline.stderr
    site.set(OTHER, Page(next_day(page)))  # a new notice, for the check the store will refuse

    daemon = start_daemon(env)
    try:
        first = "select 1 from runs where source_name = 'nmpa-ggtg'"
        assert wait_for(lambda: len(_query(url, first)) == 2, 30), "the daemon did not check the first source"
        assert not site.hits(OTHER)[1:], "the second source was checked before the store refused writes"
        fault()
        assert wait_for(lambda: bool(_ops_mails(inbox)) and bool(_posts(hooks)), 45), "no operator alert"
        time.sleep(6)  # several probes and dispatch rounds while refused
        assert daemon.poll() is None
        assert len(_ops_mails(inbox)) == 1 and len(_posts(hooks)) == 1
        assert _ra_mails(inbox) == []
        heal()
        assert wait_for(lambda: len(_ra_mails(inbox)) == 1 and len(_posts(hooks)) == 2, 45), "no recovery"
        time.sleep(3)  # nothing more comes
        outages = "select reason, resolved_at > opened_at from incidents where subject_kind = 'database'"
        ((reason, resolved),) = _query(url, outages)
        assert resolved
    finally:
        stderr, _ = sigterm(daemon)
    assert daemon.returncode == 0, stderr
    assert stderr.count("the database refuses writes") == 1, stderr
    assert stderr.count("takes writes again") == 1, stderr
    assert "Traceback" not in stderr and "check of" not in stderr and "dispatch failed" not in stderr, stderr
    return str(reason)


def _assert_told_once(inbox, hooks, name: str) -> None:
    (notice,) = _ra_mails(inbox)
    assert "体内基因治疗产品" in notice.subject + (notice.part("plain") or "")
    subjects = [m.subject for m in _ops_mails(inbox)]
    assert subjects == [
        f"[cgt-monitor ops] database '{name}' is failing",
        f"[cgt-monitor ops] database '{name}' recovered",
    ]
    assert [p["title"] for p in _posts(hooks)] == subjects
    assert len(inbox.mails) == 3


def _hooks():
    from monitor.testing.localsite import LocalSite

    hooks = LocalSite()
    hooks.set("/hook", Page(b"{}", content_type="application/json"))
    return hooks


def _posts(hooks) -> list[dict]:
    return [json.loads(r.body) for r in hooks.hits("/hook") if r.method == "POST"]


def _ops_mails(inbox):
    return [m for m in inbox.mails if m.recipients == ("ops@example.org",)]


def _ra_mails(inbox):
    return [m for m in inbox.mails if m.recipients == ("ra-team@example.org",)]


def _seen_then_one_new_notice(env, site) -> None:
    """Both lists seen once (the baseline), then one of them gains a notice the next check must alert."""
    page = site_page("nmpa-ggtg.html")
    site.set(LIST, Page(page))
    site.set(OTHER, Page(page))
    assert run_cli("run", "--once", env=env).returncode == 0
    site.set(OTHER, Page(next_day(page)))


def test_one_cycle_on_a_read_only_disk_ends_with_one_clear_line(tmp_path, site, inbox):
    with small_disk(tmp_path / "disk", "8m") as disk, _hooks() as hooks:
        env = _deployment(tmp_path, disk.path, site, inbox, hooks)
        _seen_then_one_new_notice(env, site)
        disk.read_only()
        cycle = run_cli("run", "--once", env=env)
        disk.read_only(False)
    assert cycle.returncode == 1
    lines = cycle.stderr.strip().splitlines()
    assert len(lines) == 1, cycle.stderr
    assert lines[0].startswith("error: the database refuses writes: the database "), lines
    assert "read-only" in lines[0] or "cannot be opened" in lines[0], lines


def test_a_daemon_started_on_a_read_only_disk_alerts_once_and_carries_on_when_it_is_writable(tmp_path, site, inbox):
    with small_disk(tmp_path / "disk", "8m") as disk, _hooks() as hooks:
        env = _deployment(tmp_path, disk.path, site, inbox, hooks)
        _seen_then_one_new_notice(env, site)
        disk.read_only()
        daemon = start_daemon(env)
        try:
            assert wait_for(lambda: bool(_ops_mails(inbox)) and bool(_posts(hooks)), 45), "no operator alert"
            time.sleep(4)  # tries again, backing off, without another alert
            assert daemon.poll() is None
            assert len(_ops_mails(inbox)) == 1 and len(_posts(hooks)) == 1 and _ra_mails(inbox) == []
            disk.read_only(False)
            assert wait_for(lambda: len(_ra_mails(inbox)) == 1 and len(_posts(hooks)) == 2, 60), "no recovery"
            time.sleep(2)
        finally:
            stderr, _ = sigterm(daemon)
    assert daemon.returncode == 0, stderr
    assert stderr.count("the database refuses writes") == 1, stderr
    assert stderr.count("takes writes again") == 1, stderr
    assert "Traceback" not in stderr and "database unavailable" not in stderr, stderr
    _assert_told_once(inbox, hooks, "cgt-monitor.db")
