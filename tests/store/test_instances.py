"""Two daemons on one database: each notice recorded once and alerted once, and no check fails over it."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from monitor.app import open_store, running_pipeline
from monitor.store.models import Change, Delivery, Notice
from monitor.testing.localsite import Page
from tests.helpers import ROOT, local_source, serve, site_page, wait_for

MARKER = "<!-- 信息公开公告通知 -->".encode()
ROUNDS = 6


def row(n: int) -> bytes:
    return (
        f'<li><a href="../../xxgk/ggtg/ypggtg/2026100{n}101512123.html" '
        f'title="关于发布第{n}项基因治疗产品非临床研究技术指导原则的通告">…</a><span>(2026-10-0{n})</span></li>'
    ).encode()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue("pg_database")


def test_two_instances_checking_one_source_at_once_record_and_alert_each_notice_once(
    database_url, site, inbox, tmp_path, settings_for
):
    settings = settings_for(inbox.apprise_url(), database_url=database_url)
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    page = site_page("nmpa-ggtg.html")

    async def both() -> list:
        outcomes = []
        async with (
            running_pipeline(settings, database=database) as one,
            running_pipeline(settings, database=database) as two,
        ):
            for n in range(ROUNDS + 1):  # round 0 is the baseline
                published = b"".join(row(i) for i in range(1, n + 1))
                serve(site, source, page.replace(MARKER, MARKER + published, 1))
                reports = await asyncio.gather(one.check(source), two.check(source))
                outcomes += [r.summary.outcome for r in reports]
                await asyncio.gather(one.dispatcher.dispatch_due(), two.dispatcher.dispatch_due())
        return outcomes

    outcomes = asyncio.run(both())
    assert "error" not in outcomes, outcomes  # a conflict is "already done", never a failed check
    with database.sessions() as session:
        new_changes = session.scalars(select(Change.notice_id).where(Change.kind == "new")).all()
        assert len(new_changes) == len(set(new_changes)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(Delivery)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(Notice)) == 20 + ROUNDS
    assert len(inbox.mails) == ROUNDS
    database.engine.dispose()


@pytest.mark.slow
def test_two_daemons_on_one_database_poll_a_source_once(database_url, site, inbox, tmp_path):
    catalogue = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = catalogue.index('[[source]]\nname = "nmpa-ggtg"')
    entry = catalogue[start : catalogue.index("[[source]]", start + 10)].replace(
        "https://www.nmpa.gov.cn", site.base_url
    )
    (tmp_path / "sources.toml").write_text(entry.replace('fetch = "auto"', 'fetch = "http"'), encoding="utf-8")
    (tmp_path / "cgt-monitor.toml").write_text(
        f'database_url = "{database_url}"\n[fetch]\nper_host_min_delay_s = 0.0\nretries = 0\n'
        "[schedule]\nstartup_spread_s = 0\njitter_s = 0\n"
        f'[channels.mail]\nurl = "{inbox.apprise_url()}"\n[[subscription]]\nname = "ra"\nchannels = ["mail"]\n',
        encoding="utf-8",
    )
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html"), delay_s=0.5))
    env = {
        **os.environ,
        "CGT_MONITOR_CONFIG": str(tmp_path / "cgt-monitor.toml"),
        "CGT_MONITOR_SOURCES": str(tmp_path / "sources.toml"),
        "CGT_MONITOR_DATA": str(tmp_path),
    }
    assert subprocess.run([sys.executable, "-m", "monitor", "db", "upgrade"], env=env, cwd=ROOT).returncode == 0
    daemons = [
        subprocess.Popen([sys.executable, "-m", "monitor", "run"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        assert wait_for(lambda: site.hits("/xxgk/ggtg/index.html"), timeout=30)
        time.sleep(4)  # both have started and tried their first check by now
        polls = len(site.hits("/xxgk/ggtg/index.html"))
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        logs = [daemon.communicate(timeout=30)[1] for daemon in daemons]
    assert polls == 1, logs
    assert all("daemon started" in log for log in logs)
