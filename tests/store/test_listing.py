"""The daemon's health for a list that came but looks wrong: `suspect`, not `ok`."""

import datetime as dt

from sqlalchemy import update

from monitor.app import open_store
from monitor.store.models import Incident, SourceState
from tests.helpers import in_pipeline, local_source, next_day, serve, site_page

LANDING = (
    '<html><body><div class="list"><ul>'
    + "".join(
        f'<li><a href="/xxgk/col{n}/index.html" title="栏目{n}：公告通告">栏目{n}</a><span>(2026-09-2{n})</span></li>'
        for n in range(6)
    )
    + "</ul></div></body></html>"
).encode()


def check(settings, database, source):
    return in_pipeline(settings, database, lambda pipeline: pipeline.check(source))


def health(database, name):
    with database.sessions() as session:
        state = session.get(SourceState, name)
        return state.status, state.status_reason, state.consecutive_failures


def test_a_landing_page_is_stored_but_suspect_until_the_list_is_back(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, LANDING)
    report = check(settings, database, source)
    assert report.summary.outcome == "baseline" and report.summary.items == 6  # its items are kept all the same
    status, reason, failures = health(database, source.name)
    assert status == "suspect" and "0 of 6 links match key_pattern" in reason and failures == 1

    for _ in range(settings.ops.source_failures - 1):  # still suspect: an operator is told once, as for rot
        serve(site, source, LANDING + b" ")
        check(settings, database, source)
    with database.sessions() as session:
        (incident,) = session.query(Incident).all()
        assert incident.reason.startswith("suspect: ") and incident.resolved_at is None

    serve(site, source, site_page("nmpa-ggtg.html"))
    check(settings, database, source)
    assert health(database, source.name) == ("ok", None, 0)
    with database.sessions() as session:
        assert session.query(Incident).one().resolved_at is not None


def test_dates_frozen_while_watched_are_suspect_even_when_the_page_answers_304(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg", stale_after_days=30)
    page = site_page("nmpa-ggtg.html")
    serve(site, source, page)
    check(settings, database, source)
    # the recorded page is months old, but the watcher has only just begun: nothing frozen seen yet
    assert health(database, source.name)[0] == "ok"

    with database.sessions.begin() as session:  # as if it had watched for 40 days without a new notice
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
        session.execute(update(SourceState).values(last_new_at=long_ago))
    assert check(settings, database, source).summary.outcome == "not_modified"
    status, reason, _ = health(database, source.name)
    assert status == "suspect" and "dates frozen" in reason and "2026-09-22" in reason

    serve(site, source, page + b"\n")  # a changed page with the same rows: still frozen
    assert check(settings, database, source).summary.outcome == "ok"
    assert health(database, source.name)[0] == "suspect"

    serve(site, source, next_day(page))  # new notices: the list moves again
    report = check(settings, database, source)
    assert report.summary.new == 2 and health(database, source.name) == ("ok", None, 0)
