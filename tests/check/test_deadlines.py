"""Every check bounded: servers that trickle, pages built to be slow to parse, and a daemon told to stop."""

import asyncio
import time

import pytest
from sqlalchemy import select

from monitor.app import open_store, running_pipeline
from monitor.extract import markup
from monitor.store.models import Notice
from monitor.testing.localsite import Page
from tests.helpers import deployment, in_pipeline, local_source, serve, sigterm, site_page, start_daemon, wait_for


def test_a_server_trickling_its_answer_ends_in_a_recorded_deadline(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg", deadline_s=2)
    serve(site, source, site_page("nmpa-ggtg.html")[:400], trickle_s=0.2)  # each byte in time, the whole never
    started = time.monotonic()
    (report,), _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert time.monotonic() - started < 10
    assert report.summary.outcome == "error" and report.summary.reason.startswith("deadline:")


def test_a_trickling_attachment_costs_its_text_not_the_check(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg", follow=True, deadline_s=3)
    page = site_page("nmpa-ggtg.html")
    serve(site, source, page)
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))  # baseline
    marker = "<!-- 信息公开公告通知 -->".encode()
    row = b'<li><a href="../../xxgk/ggtg/a/P020261001.pdf" title="\xe9\x80\x9a\xe5\x91\x8a">x</a><span>(2026-10-01)</span></li>'
    serve(site, source, page.replace(marker, marker + row, 1))
    site.set("/xxgk/ggtg/a/P020261001.pdf", Page(b"%PDF-1.4 " * 200, content_type="application/pdf", trickle_s=0.1))
    started = time.monotonic()
    (report,), _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert time.monotonic() - started < 15
    assert report.summary.outcome == "ok" and report.summary.new == 1  # stored, classified on its title
    with database.sessions() as session:
        assert session.scalars(select(Notice).where(Notice.key.like("%P020261001%"))).one()


def test_a_page_built_to_be_slow_to_parse_does_not_hold_up_another_source(site, settings_for, monkeypatch):
    monkeypatch.setattr(markup, "MAX_DEPTH", 10**9)  # a slow parse, which the depth limit would refuse unparsed
    settings = settings_for()
    database = open_store(settings)
    healthy = local_source(site, "nmpa-ggtg")
    hostile = local_source(site, "gdmpa-tzgg")
    serve(site, healthy, site_page("nmpa-ggtg.html"))
    serve(site, hostile, b"<html><body>" + b"<div>" * 50_000 + b"x" + b"</div>" * 50_000 + b"</body></html>")
    done: dict[str, float] = {}

    async def both():
        async with running_pipeline(settings, database=database) as pipeline:
            started = time.monotonic()
            await pipeline.check_all(
                [hostile, healthy], on_done=lambda r: done.setdefault(r.source.name, time.monotonic() - started)
            )

    asyncio.run(both())
    assert done["nmpa-ggtg"] < done["gdmpa-tzgg"]  # the healthy source did not wait for the parse
    assert done["nmpa-ggtg"] < 3


@pytest.mark.slow
def test_sigterm_stops_the_daemon_promptly_whatever_its_sources_are_doing(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html"), trickle_s=0.05))  # ~30 minutes
    daemon = start_daemon(env)
    assert wait_for(lambda: site.hits("/xxgk/ggtg/index.html"), timeout=30)
    time.sleep(1)
    stderr, took = sigterm(daemon)
    assert daemon.returncode == 0, stderr
    assert took < 10, stderr
    assert "abandoning 1 jobs" in stderr and "daemon stopped" in stderr


def test_a_page_nested_a_million_levels_deep_is_a_recorded_error_not_a_parse_that_never_ends(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg", deadline_s=30)
    serve(site, source, b"<html><body>" + b"<div>" * 1_000_000 + b"x</body></html>")
    started = time.monotonic()
    (report,), _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert time.monotonic() - started < 15  # refused at once, long before the check's deadline
    assert report.summary.outcome == "error"
    assert "levels deep: not parsed" in report.summary.reason and source.url in report.summary.reason
