"""A store that refuses writes: one log line and one operator alert per channel for the whole episode, the
outage recorded once it is over, and no send forgotten (and so repeated) because its outcome could not be
written. Alerts go through the real apprise sender to a local webhook and a local SMTP server."""

import asyncio
import contextlib
import datetime as dt
import json
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from monitor.alert.dispatch import Dispatcher
from monitor.alert.send import AppriseSender
from monitor.alert.storehealth import StoreHealth
from monitor.app import open_store
from monitor.config.settings import Channel, OpsSettings, Settings, Subscription
from monitor.store.db import write_refusal, write_transaction
from monitor.store.models import Delivery, Incident, Run, utcnow
from monitor.testing.localsite import LocalSite, Page
from tests.disk import ReadOnlySwitch
from tests.helpers import hook_url, in_pipeline, local_source, next_day, quick_fetch, seeded, serve, site_page


@pytest.fixture
def receiver():
    with LocalSite() as hooks:
        hooks.set("/hook", Page(b"{}", content_type="application/json"))
        yield hooks


def _settings(tmp_path, receiver, inbox, **ops):
    return Settings(
        data_dir=tmp_path,
        fetch=quick_fetch(),
        channels={
            "mail": Channel(urls=[inbox.apprise_url()]),
            "ops-hook": Channel(urls=[hook_url(receiver)]),
            "ops-mail": Channel(urls=[inbox.apprise_url(to="ops@example.org")]),
        },
        subscription=[
            Subscription(name="ra", channels=["mail"]),
            Subscription(name="ops", channels=["ops-hook", "ops-mail"], ops=True),
            Subscription(name="oncall", channels=["ops-hook"], ops=True),  # one channel, two subscriptions
        ],
        ops=OpsSettings(store_probe_s=0.2),
    )


def _refusal(database):
    """A real refusal from the store: a write attempted while it refuses."""
    with pytest.raises(DBAPIError) as raised, write_transaction(database.sessions) as session:
        session.add(Incident(subject_kind="test", subject="x", opened_at=utcnow(), reason="-"))
    why = write_refusal(raised.value)
    assert why is not None
    return why


def _posts(receiver):
    return [json.loads(r.body) for r in receiver.hits("/hook") if r.method == "POST"]


def _ops_mails(inbox):
    return [m for m in inbox.mails if m.subject.startswith("[cgt-monitor ops]")]


def test_checks_refused_at_the_same_moment_make_one_episode(tmp_path, receiver, inbox, caplog):
    """After a recovery every held-back check runs at once: their refusals are one episode, one line, one
    alert per channel."""
    settings = _settings(tmp_path, receiver, inbox)
    database = open_store(settings)
    switch = ReadOnlySwitch(database.engine)

    async def at_once():
        health = StoreHealth(settings, AppriseSender(20), database.sessions)
        switch.on()
        why = _refusal(database)
        await asyncio.gather(*(health.note(why) for _ in range(5)))
        switch.off()

    with caplog.at_level(logging.INFO, logger="monitor.alert.storehealth"):
        asyncio.run(at_once())
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert len(_posts(receiver)) == 1 and len(_ops_mails(inbox)) == 1


def test_an_episode_is_one_log_line_and_one_alert_per_channel_then_a_recorded_incident(
    tmp_path, receiver, inbox, caplog
):
    settings = _settings(tmp_path, receiver, inbox)
    database = open_store(settings)
    switch = ReadOnlySwitch(database.engine)
    sender = AppriseSender(20)

    async def episode():
        health = StoreHealth(settings, sender, database.sessions)
        switch.on()
        why = _refusal(database)
        assert why.startswith("the database is read-only")
        for _ in range(3):  # three checks refused, each noting it
            await health.note(why)
        for _ in range(3):  # and probes while it lasts
            assert not await health.probe()
        assert health.refused
        switch.off()
        assert await health.probe()
        assert not health.refused
        return health

    with caplog.at_level(logging.DEBUG, logger="monitor.alert.storehealth"):
        asyncio.run(episode())
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 2, lines
    assert lines[0][0] == logging.ERROR and "the database refuses writes: the database is read-only" in lines[0][1]
    assert lines[1][0] == logging.WARNING and "takes writes again" in lines[1][1]
    assert not any(r.exc_info for r in caplog.records)

    (post,) = _posts(receiver)  # one channel, however many subscriptions name it
    assert "database 'cgt-monitor.db' is failing" in post["title"] and "read-only" in post["message"]
    (mail,) = _ops_mails(inbox)
    assert mail.subject == "[cgt-monitor ops] database 'cgt-monitor.db' is failing"
    assert mail.message["To"] == "ops@example.org"

    with database.sessions() as session:
        (incident,) = session.scalars(select(Incident).where(Incident.subject_kind == "database"))
        assert incident.resolved_at is not None and incident.resolved_at > incident.opened_at
        assert "read-only" in incident.reason
        rows = session.scalars(select(Delivery).where(Delivery.incident_id == incident.id)).all()
        assert sorted((r.subscription, r.channel, r.event) for r in rows) == [
            ("oncall", "ops-hook", "resolved"),
            ("ops", "ops-hook", "resolved"),
            ("ops", "ops-mail", "resolved"),
        ]
    # the "resolved" alert goes through the outbox as any other
    report = in_pipeline(settings, database, lambda pipeline: pipeline.dispatcher.dispatch_due())
    assert report.sent == 3
    assert [p["title"] for p in _posts(receiver)][1:] == ["[cgt-monitor ops] database 'cgt-monitor.db' recovered"] * 2
    assert [m.subject for m in _ops_mails(inbox)][1:] == ["[cgt-monitor ops] database 'cgt-monitor.db' recovered"]


def test_a_new_episode_alerts_again_and_a_failing_channel_is_told_later(tmp_path, receiver, inbox):
    settings = _settings(tmp_path, receiver, inbox)
    database = open_store(settings)
    switch = ReadOnlySwitch(database.engine)
    receiver.set("/hook", Page(b"down", status=503))

    async def two_episodes():
        health = StoreHealth(settings, AppriseSender(20), database.sessions)
        switch.on()
        await health.note(_refusal(database))
        assert len(_ops_mails(inbox)) == 1 and len(_posts(receiver)) == 1  # the hook refused it
        await health.note(_refusal(database))  # the hook is not tried again before its back-off
        assert len(_posts(receiver)) == 1
        receiver.set("/hook", Page(b"{}", content_type="application/json"))
        await asyncio.sleep(0.3)
        assert not await health.probe()  # still refused; the hook is told now, the mail is not told again
        assert len(_posts(receiver)) == 2 and len(_ops_mails(inbox)) == 1
        await health.probe()
        assert len(_posts(receiver)) == 2
        switch.off()
        assert await health.probe()
        switch.on()
        await health.note(_refusal(database))
        switch.off()

    asyncio.run(two_episodes())
    assert len(_ops_mails(inbox)) == 2 and len(_posts(receiver)) == 3
    ids = {m.message["Message-ID"] for m in _ops_mails(inbox)}
    assert len(ids) == 2  # an episode's alert, and only its repeats, share an id


def test_a_daemon_restarted_within_an_episode_alerts_with_the_same_id(tmp_path, receiver, inbox):
    settings = _settings(tmp_path, receiver, inbox)
    database = open_store(settings)
    with write_transaction(database.sessions) as session:  # a check recorded: the last write names the episode
        session.add(Run(source_name="s", started_at=utcnow(), finished_at=utcnow(), outcome="ok"))
    switch = ReadOnlySwitch(database.engine)

    async def twice():
        switch.on()
        for _ in range(2):  # a start, then a restart while the store still refuses
            await StoreHealth(settings, AppriseSender(20), database.sessions).note(_refusal(database))

    asyncio.run(twice())
    mails = _ops_mails(inbox)
    assert len(mails) == 2 and mails[0].message["Message-ID"] == mails[1].message["Message-ID"]
    ids = [r.headers.get("X-CGT-Alert-Id") for r in receiver.hits("/hook")]
    assert len(ids) == 2 and ids[0] == ids[1] and ids[0]


def test_a_check_refused_by_the_store_is_raised_not_recorded_or_logged(site, tmp_path, receiver, inbox, caplog):
    settings = _settings(tmp_path, receiver, inbox)
    database = open_store(settings)
    switch = ReadOnlySwitch(database.engine)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    switch.on()
    with caplog.at_level(logging.WARNING), pytest.raises(DBAPIError) as raised:
        in_pipeline(settings, database, lambda pipeline: pipeline.check(source))
    assert (write_refusal(raised.value) or "").startswith("the database is read-only")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    switch.off()
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert len([m for m in inbox.mails if m.message["To"] == "ra-team@example.org"]) == 1  # nothing lost


class _RefusedWhileSending:
    """The real sender; the store starts refusing writes while the send is under way."""

    def __init__(self, switch):
        self.inner = AppriseSender(20)
        self.switch = switch
        self.sends = 0

    async def send(self, *args, **kwargs):
        self.sends += 1
        result = await self.inner.send(*args, **kwargs)
        self.switch.on()
        return result


def test_a_send_the_store_could_not_record_is_recorded_later_not_sent_again(tmp_path, inbox, settings_for):
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    seeded(database.engine)  # one pending alert of one notice
    switch = ReadOnlySwitch(database.engine)
    sender = _RefusedWhileSending(switch)
    dispatcher = Dispatcher(database.sessions, settings, sender)
    later = utcnow() + dt.timedelta(seconds=settings.delivery.claim_lease_s + 60)

    async def go():
        with contextlib.suppress(DBAPIError):
            await dispatcher.dispatch_due()
        assert len(inbox.mails) == 1
        # still refused, its claim run out: nothing is sent again
        with contextlib.suppress(DBAPIError):
            await dispatcher.dispatch_due(now=later)
        assert sender.sends == 1
        switch.off()
        return await dispatcher.dispatch_due(now=later)

    report = asyncio.run(go())
    assert sender.sends == 1 and len(inbox.mails) == 1  # not sent again once the store took writes
    assert report.sent == 1 and dispatcher.unrecorded == 0
    with database.sessions() as session:
        (row,) = session.scalars(select(Delivery))
        assert (row.status, row.attempts, row.claimed_by) == ("sent", 1, None)
