"""A whole check against a real HTTP server and a real SMTP server, both on 127.0.0.1."""

import asyncio
import datetime as dt
import json

from sqlalchemy import event, func, select

from monitor.app import open_store, running_pipeline
from monitor.store.models import Change, Delivery, Notice, Run, SourceState
from tests.helpers import in_pipeline, local_source, next_day, serve, site_page


def cycle(settings, sources, database=None):
    return in_pipeline(settings, database, lambda pipeline: pipeline.run_once(sources))


def test_baseline_then_relevant_new_notice_is_emailed_once(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))

    reports, dispatch = cycle(settings, [source], database)
    assert reports[0].summary.baseline and reports[0].summary.items == 20
    assert dispatch.sent == 0 and inbox.mails == []

    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    reports, dispatch = cycle(settings, [source], database)
    summary = reports[0].summary
    assert (summary.new, summary.relevant_new, summary.deliveries) == (2, 1, 1)
    assert dispatch.sent == 1

    (mail,) = inbox.mails
    assert "体内基因治疗产品" in mail.subject  # UTF-8 subject survives the SMTP round trip
    html = mail.part("html")
    assert html and 'href="http://127.0.0.1' in html and "20260923101512123.html" in html
    assert "基因治疗" in (mail.part("plain") or "")

    with database.sessions() as session:
        kinds = session.scalars(select(Change.kind)).all()
        assert sorted(kinds) == ["new", "new"]  # the baseline wrote no changes
        assert session.scalar(select(func.count()).select_from(Notice)) == 22

    # a third identical cycle: nothing new, nothing re-sent
    reports, dispatch = cycle(settings, [source], database)
    assert reports[0].summary.outcome in ("ok", "not_modified") and dispatch.sent == 0
    assert len(inbox.mails) == 1


def test_unchanged_page_is_answered_with_304(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    cycle(settings, [source], database)
    reports, _ = cycle(settings, [source], database)
    assert reports[0].summary.outcome == "not_modified"


def test_challenge_page_is_blocked_and_loses_nothing(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    cycle(settings, [source], database)
    serve(site, source, site_page("nmpa-412-challenge.html"), status=412)
    reports, _ = cycle(settings, [source], database)
    assert reports[0].summary.outcome == "blocked"
    with database.sessions() as session:
        state = session.get(SourceState, source.name)
        assert state.status == "blocked" and "412" in state.status_reason
        assert session.scalar(select(func.count()).select_from(Change)) == 0
        listed = session.scalar(select(func.count()).select_from(Notice).where(Notice.listed.is_(True)))
        assert listed == 20


def test_challenge_served_with_200_is_blocked_too(site, settings_for):
    settings = settings_for()
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-412-challenge.html"))
    reports, _ = cycle(settings, [source])
    assert reports[0].summary.outcome == "blocked"


def test_selector_rot_is_a_health_event_not_everything_gone(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    cycle(settings, [source], database)
    redesigned = site_page("nmpa-ggtg.html").replace(b'<div class="list">', b'<div class="news-list">')
    serve(site, source, redesigned)
    reports, _ = cycle(settings, [source], database)
    assert reports[0].summary.outcome == "rot"
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Change)) == 0
        assert session.get(SourceState, source.name).consecutive_failures == 1


def test_json_source_via_form_post(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    source = local_source(site, "cde-guidelines", fetch="auto")  # this local API answers a plain client
    data = json.loads(site_page("cde-guidelines.json"))
    serve(site, source, json.dumps(data, ensure_ascii=False).encode(), content_type="application/json")
    cycle(settings, [source], database)
    data["data"]["records"].insert(
        0,
        {
            "title": "溶瘤病毒类药物临床试验设计指导原则",
            "issueDate": "20260923",
            "zdyzIdCODE": "0123456789abcdef0123456789abcdef",
        },
    )
    serve(site, source, json.dumps(data, ensure_ascii=False).encode(), content_type="application/json")
    reports, dispatch = cycle(settings, [source], database)
    assert reports[0].summary.new == 1 and dispatch.sent == 1
    assert site.hits("/zdyz/getDomesticGuideList")[-1].method == "POST"
    assert "zdyzIdCODE=0123456789abcdef0123456789abcdef" in (inbox.mails[0].part("html") or "")


def test_a_dead_channel_keeps_the_alert_pending_until_it_recovers(site, inbox, settings_for):
    dead = inbox.apprise_url().replace(f":{inbox.port}", ":9")  # nothing listens on port 9
    settings = settings_for(dead)
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    cycle(settings, [source], database)
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    _, dispatch = cycle(settings, [source], database)
    assert dispatch.sent == 0 and dispatch.failed == 1
    with database.sessions() as session:
        (row,) = session.scalars(select(Delivery)).all()
        assert row.status == "pending" and row.attempts == 1 and row.last_error

    recovered = settings_for(inbox.apprise_url())

    assert in_pipeline(recovered, database, lambda pipeline: pipeline.dispatcher.dispatch_due(force=True)).sent == 1
    assert in_pipeline(recovered, database, lambda pipeline: pipeline.dispatcher.dispatch_due(force=True)).sent == 0
    assert len(inbox.mails) == 1
    with database.sessions() as session:
        assert session.scalar(select(Run.outcome).order_by(Run.id.desc()).limit(1)) in ("ok", "not_modified")


def test_a_redirect_loop_is_recorded_and_the_other_sources_still_alert(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    nmpa = local_source(site, "nmpa-ggtg")
    looping = local_source(site, "govcn-zhengce")
    serve(site, nmpa, site_page("nmpa-ggtg.html"))
    serve(site, looping, b"", status=302, headers={"Location": looping.url})
    cycle(settings, [nmpa, looping], database)
    serve(site, nmpa, next_day(site_page("nmpa-ggtg.html")))
    reports, dispatch = cycle(settings, [nmpa, looping], database)
    outcomes = {r.summary.source: r.summary for r in reports}
    assert outcomes["govcn-zhengce"].outcome == "error" and "TooManyRedirects" in outcomes["govcn-zhengce"].reason
    assert dispatch.sent == 1 and len(inbox.mails) == 1
    with database.sessions() as session:
        assert session.get(SourceState, "govcn-zhengce").consecutive_failures == 2


def test_an_unexpected_failure_inside_a_check_is_recorded_not_raised(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))

    class Broken:
        def classify(self, title, body="", attachments=""):
            raise RuntimeError("taxonomy file unreadable")

    async def go():
        async with running_pipeline(settings, database=database) as pipeline:
            pipeline.classifier = Broken()
            return await pipeline.check(source)

    report = asyncio.run(go())
    assert report.summary.outcome == "error" and "taxonomy file unreadable" in report.summary.reason
    with database.sessions() as session:
        state = session.get(SourceState, source.name)
        assert state.status == "error" and state.consecutive_failures == 1


def test_a_page_of_broken_utf8_is_recorded_as_a_decoding_problem_and_stores_no_garbage(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    good = site_page("nmpa-ggtg.html")
    start = good.index(b"<body")
    broken = good[:start] + bytes(b for i, b in enumerate(good[start:]) if i % 7 != 3)  # bytes cut throughout
    serve(site, source, broken, content_type="text/html; charset=utf-8")
    (report,), _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert report.summary.outcome == "error" and "undecodable page" in report.summary.reason
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notice)) == 0
        assert session.get(SourceState, source.name).status == "error"


def baselined(site, settings_for, served: dict | None = None, **changes):
    """Settings, store and the NMPA list source after its first check of the recorded page (`served`: how)."""
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg", **changes)
    serve(site, source, site_page("nmpa-ggtg.html"), **(served or {}))
    cycle(settings, [source], database)
    return settings, database, source


def test_a_changed_page_is_compared_and_recorded_in_one_write_transaction(site, settings_for):
    settings, database, source = baselined(site, settings_for)
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    begun: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begun.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        report = in_pipeline(settings, database, lambda pipeline: pipeline.check(source))
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert report.summary.new == 2 and len(report.verdicts) == 2
    # the snapshot read before the fetch, then one write transaction: compare, classify, record
    assert begun == ["BEGIN", "BEGIN IMMEDIATE"]
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Change)) == 2
        assert session.scalar(select(func.count()).select_from(Notice).where(Notice.listed.is_(True))) == 22


def test_a_check_whose_snapshot_another_instance_overtook_adds_nothing(site, settings_for):
    settings, database, source = baselined(site, settings_for, {"etag": False})

    async def both() -> tuple:
        async with (
            running_pipeline(settings, database=database) as one,
            running_pipeline(settings, database=database) as two,
        ):
            await two.check(source)  # remembers the snapshot of the first day
            serve(site, source, next_day(site_page("nmpa-ggtg.html")), etag=False)
            first = await one.check(source)
            return first, await two.check(source)

    first, second = asyncio.run(both())
    assert first.summary.new == 2
    assert (second.summary.outcome, second.summary.new, second.summary.changed) == ("ok", 0, 0)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Change)) == 2
        assert session.scalar(select(func.count()).select_from(Run).where(Run.outcome == "ok")) == 3


def _counting_reads(monkeypatch) -> list[str]:
    """The names of the sources whose list page was parsed."""
    from monitor.check import pipeline

    parsed: list[str] = []
    real = pipeline.interpret

    def counting(fetched, source, *args):
        parsed.append(source.name)
        return real(fetched, source, *args)

    monkeypatch.setattr(pipeline, "interpret", counting)
    return parsed


def test_the_very_same_page_again_is_recorded_as_a_poll_without_being_parsed(site, settings_for, monkeypatch):
    settings, database, source = baselined(site, settings_for, {"etag": False})  # every check gets the whole page
    page = site_page("nmpa-ggtg.html")
    parsed = _counting_reads(monkeypatch)

    reports, _ = cycle(settings, [source], database)
    assert parsed == [] and (reports[0].summary.outcome, reports[0].summary.items) == ("ok", 20)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 2
        assert session.get(SourceState, source.name).status == "ok"

    serve(site, source, page.replace(b"</body>", b"<!-- a counter, say --></body>"), etag=False)
    reports, _ = cycle(settings, [source], database)
    assert parsed == [source.name] and reports[0].summary.new == 0  # read again: other bytes, same rows
    reports, _ = cycle(settings, [source], database)
    assert parsed == [source.name]  # and those bytes are now the ones seen


def test_the_same_page_whose_dates_have_gone_stale_is_read_again_and_marked_suspect(site, settings_for, monkeypatch):
    # the recorded page's dates are older than 30 days
    settings, database, source = baselined(site, settings_for, {"etag": False}, stale_after_days=30)
    with database.sessions.begin() as session:  # watched for a long while without a new notice
        session.get(SourceState, source.name).last_new_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    parsed = _counting_reads(monkeypatch)

    cycle(settings, [source], database)
    assert parsed == [source.name]
    with database.sessions() as session:
        state = session.get(SourceState, source.name)
        assert state.status == "suspect" and "dates frozen" in state.status_reason


def test_the_same_bytes_answered_with_a_server_error_are_an_error_not_a_poll(site, settings_for):
    settings, database, source = baselined(site, settings_for, {"etag": False})
    serve(
        site, source, site_page("nmpa-ggtg.html"), etag=False, status=503
    )  # a cache in front of the site, say, with a stale body
    reports, _ = cycle(settings, [source], database)
    assert reports[0].summary.outcome == "error"


def test_the_same_bytes_declared_in_another_charset_are_read_again(site, settings_for, monkeypatch):
    settings, database, source = baselined(site, settings_for, {"etag": False})
    parsed = _counting_reads(monkeypatch)
    page = site_page("nmpa-ggtg.html")
    serve(site, source, page, etag=False, content_type="text/html; charset=iso-8859-1")
    cycle(settings, [source], database)
    assert parsed == [source.name]  # the text is another, whatever the bytes
