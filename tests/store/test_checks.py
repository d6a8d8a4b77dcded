"""What a check costs the store: an unchanged page reads and writes no notice; a change reads only its rows."""

import contextlib
import datetime as dt

from sqlalchemy import event, func, select

from monitor.app import open_store
from monitor.store.checks import compared_rows, listing_digest, load_snapshot, record_history
from monitor.store.db import write_transaction
from monitor.store.models import Change, Incident, Notice, Run, SourceState
from monitor.values import Item
from tests.helpers import in_pipeline, local_source, next_day, serve, site_page


@contextlib.contextmanager
def statements(engine):
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def check(settings, database, source):
    return in_pipeline(settings, database, lambda pipeline: pipeline.check(source))


def test_an_unchanged_page_records_the_poll_and_touches_no_notice(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"), etag=False)  # no 304: the listing itself is compared
    check(settings, database, source)

    with statements(database.engine) as sql:
        report = check(settings, database, source)
    assert report.summary.outcome == "ok" and report.summary.items == 20 and report.summary.new == 0
    assert [s for s in sql if "notices" in s] == []
    assert any(s.startswith("INSERT INTO runs") for s in sql)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 2
        assert session.scalar(select(func.count()).select_from(Change)) == 0
        assert session.get(SourceState, source.name).last_ok_at is not None


def test_the_page_changing_after_an_unchanged_poll_is_still_seen(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"), etag=False)
    check(settings, database, source)
    check(settings, database, source)
    serve(site, source, next_day(site_page("nmpa-ggtg.html")), etag=False)
    report = check(settings, database, source)
    assert (report.summary.new, report.summary.gone) == (2, 0)
    with database.sessions() as session:
        state = session.get(SourceState, source.name)
        assert len(state.listing) == 22 and state.listing[:2] == [item.key for item in report.diff.new]
        assert state.listing_digest == listing_digest(report.items)
        listed = session.scalar(select(func.count()).select_from(Notice).where(Notice.listed.is_(True)))
        assert listed == 22


def test_a_change_on_a_healthy_source_reads_its_row_once_and_asks_for_no_incident(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"), etag=False)
    assert not check(settings, database, source).summary.stayed_healthy  # first sight: never checked before
    serve(site, source, next_day(site_page("nmpa-ggtg.html")), etag=False)
    with statements(database.engine) as sql:
        report = check(settings, database, source)
    assert report.summary.new == 2 and report.summary.stayed_healthy
    whole_row = [s for s in sql if s.startswith("SELECT") and "FROM sources" in s and "sources.agency" in s]
    assert len(whole_row) == 1  # the snapshot before the fetch reads only its few columns
    assert [s for s in sql if "incidents" in s] == []


def test_a_change_reads_only_the_rows_of_this_page_and_the_last_listing(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    first = check(settings, database, source)
    now = dt.datetime.now(dt.UTC)
    history = [Item(key=f"old-{i}", title=f"旧通知 {i}", url=f"https://x/{i}") for i in range(2_000)]
    with write_transaction(database.sessions) as session:
        assert record_history(session, source, history, {}, now) == 2_000

    page = [*first.items[1:], Item(key="fresh", title="新通知", url="https://x/fresh")]
    with database.sessions() as session:
        snapshot = load_snapshot(session, source)
        known, listing = compared_rows(session, source, snapshot.listing, page)
    assert set(known) == {item.key for item in first.items}  # "fresh" is new; no history row was read
    assert [item.key for item in listing] == [item.key for item in first.items]


def test_a_source_back_with_the_same_page_resolves_its_incident(site, settings_for):
    settings = settings_for()
    settings = settings.model_copy(update={"ops": settings.ops.model_copy(update={"source_failures": 2})})
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"), etag=False)
    check(settings, database, source)
    serve(site, source, b"down for maintenance", status=503)
    for _ in range(2):
        assert check(settings, database, source).summary.outcome == "error"
    serve(site, source, site_page("nmpa-ggtg.html"), etag=False)  # the very listing of before
    back = check(settings, database, source).summary
    assert back.outcome == "ok" and not back.stayed_healthy
    with database.sessions() as session:
        (incident,) = session.scalars(select(Incident)).all()
        assert incident.resolved_at is not None
        assert session.get(SourceState, source.name).consecutive_failures == 0
