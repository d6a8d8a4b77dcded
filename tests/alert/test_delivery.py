"""Delivery through real receivers on 127.0.0.1: a webhook that fails then recovers, e-mail, ops alerts."""

import datetime as dt
import json
import os

import pytest
from sqlalchemy import select

from monitor.app import open_store
from monitor.config.settings import Channel, OpsSettings, Settings, Subscription
from monitor.store.models import Delivery, Incident
from monitor.testing.localsite import LocalSite, Page
from tests.helpers import hook_url, in_pipeline, local_source, next_day, quick_fetch, serve, site_page


def hook_bodies(receiver: LocalSite, path: str = "/hook") -> list[dict]:
    return [json.loads(r.body) for r in receiver.hits(path) if r.method == "POST"]


class Flaky:
    """A webhook receiver that answers 500 to the first `failures` posts, then 200."""

    def __init__(self, receiver: LocalSite, failures: int) -> None:
        self.receiver, self.failures = receiver, failures
        self.update()

    def update(self) -> None:
        posts = len([r for r in self.receiver.hits("/hook") if r.method == "POST"])
        status = 500 if posts < self.failures else 200
        self.receiver.set(
            "/hook",
            Page(
                b'{"ok":true}' if status == 200 else b"busy", status=status, etag=False, content_type="application/json"
            ),
        )


def make_settings(tmp_path, channels, subscriptions, **extra):
    return Settings(
        data_dir=tmp_path,
        fetch=quick_fetch(),
        channels=channels,
        subscription=subscriptions,
        **extra,
    )


def test_a_flaky_webhook_gets_every_alert_exactly_once(tmp_path, site):
    with LocalSite() as receiver:
        flaky = Flaky(receiver, failures=2)
        settings = make_settings(
            tmp_path,
            {"hook": Channel(urls=[hook_url(receiver)])},
            [Subscription(name="ra", channels=["hook"])],
        )
        database = open_store(settings)
        source = local_source(site, "nmpa-ggtg")
        serve(site, source, site_page("nmpa-ggtg.html"))

        in_pipeline(settings, database, lambda p: p.run_once([source]))
        serve(site, source, next_day(site_page("nmpa-ggtg.html")))
        in_pipeline(settings, database, lambda p: p.run_once([source]))  # attempt 1 fails
        for _ in range(5):
            flaky.update()
            in_pipeline(settings, database, lambda p: p.dispatcher.dispatch_due(force=True))
        posts = hook_bodies(receiver)
        assert len(posts) == 3  # two refused, then one accepted, then nothing more to send
        # every attempt carries the same idempotency key: a receiver can drop a repeat
        keys = {r.headers.get("X-CGT-Alert-Id") for r in receiver.hits("/hook") if r.method == "POST"}
        assert len(keys) == 1 and next(iter(keys)).startswith("cgt-")
        assert all("体内基因治疗产品" in post["title"] for post in posts)
        with database.sessions() as session:
            (row,) = session.scalars(select(Delivery)).all()
            assert row.status == "sent" and row.attempts == 3


def test_partial_success_retries_only_the_service_that_failed(tmp_path, site, inbox):
    with LocalSite() as receiver:
        flaky = Flaky(receiver, failures=1)
        hook = hook_url(receiver)
        settings = make_settings(
            tmp_path, {"both": Channel(urls=[inbox.apprise_url(), hook])}, [Subscription(name="ra", channels=["both"])]
        )
        database = open_store(settings)
        source = local_source(site, "nmpa-ggtg")
        serve(site, source, site_page("nmpa-ggtg.html"))

        in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
        serve(site, source, next_day(site_page("nmpa-ggtg.html")))
        _, first = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
        assert first.failed == 1 and len(inbox.mails) == 1
        flaky.update()
        assert in_pipeline(settings, database, lambda pipeline: pipeline.dispatcher.dispatch_due(force=True)).sent == 1
        assert len(inbox.mails) == 1  # the e-mail service already had it
        assert len(hook_bodies(receiver)) == 2


@pytest.mark.slow
def test_a_broken_source_alerts_ops_once_and_once_on_recovery(tmp_path, site, inbox):
    settings = make_settings(
        tmp_path,
        {"ops-mail": Channel(urls=[inbox.apprise_url(to="ops@example.org")])},
        [Subscription(name="ops", channels=["ops-mail"], ops=True)],
        ops=OpsSettings(source_failures=2),
    )
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")

    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    serve(site, source, site_page("nmpa-412-challenge.html"), status=412)
    for _ in range(4):
        in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    subjects = [m.subject for m in inbox.mails]
    assert subjects == ["[cgt-monitor ops] source 'nmpa-ggtg' is failing"]
    assert "412" in (inbox.mails[0].part("plain") or inbox.mails[0].part("html") or "")
    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert [m.subject for m in inbox.mails][1:] == ["[cgt-monitor ops] source 'nmpa-ggtg' recovered"]
    with database.sessions() as session:
        (incident,) = session.scalars(select(Incident)).all()
        assert incident.resolved_at is not None


def test_a_failing_channel_alerts_ops_through_another_channel(tmp_path, site, inbox):
    dead = inbox.apprise_url().replace(f":{inbox.port}", ":9")
    settings = make_settings(
        tmp_path,
        {"team": Channel(urls=[dead]), "ops-mail": Channel(urls=[inbox.apprise_url(to="ops@example.org")])},
        [Subscription(name="ra", channels=["team"]), Subscription(name="ops", channels=["ops-mail"], ops=True)],
        ops=OpsSettings(channel_failures=2),
    )
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")

    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda p: p.run_once([source]))
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    in_pipeline(settings, database, lambda p: p.run_once([source]))
    for _ in range(3):
        in_pipeline(settings, database, lambda p: p.dispatcher.dispatch_due(force=True))
    assert [m.subject for m in inbox.mails] == ["[cgt-monitor ops] channel 'team' is failing"]

    fixed = settings.model_copy(update={"channels": {**settings.channels, "team": Channel(urls=[inbox.apprise_url()])}})

    for _ in range(2):
        in_pipeline(fixed, database, lambda p: p.dispatcher.dispatch_due(force=True))
    subjects = [m.subject for m in inbox.mails]
    assert subjects.count("[cgt-monitor ops] channel 'team' recovered") == 1
    assert sum("体内基因治疗产品" in s for s in subjects) == 1


def test_alerts_older_than_the_give_up_age_are_dead_and_reported(tmp_path, site, inbox):
    dead = inbox.apprise_url().replace(f":{inbox.port}", ":9")
    settings = make_settings(
        tmp_path,
        {"team": Channel(urls=[dead]), "ops-mail": Channel(urls=[inbox.apprise_url(to="ops@example.org")])},
        [Subscription(name="ra", channels=["team"]), Subscription(name="ops", channels=["ops-mail"], ops=True)],
    )
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")

    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda p: p.run_once([source]))
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    in_pipeline(settings, database, lambda p: p.run_once([source]))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.delivery.give_up_after_h + 1)
    report = in_pipeline(settings, database, lambda p: p.dispatcher.dispatch_due(now=later, force=True))
    assert report.dead == 1
    in_pipeline(settings, database, lambda p: p.dispatcher.dispatch_due(now=later, force=True))
    assert [m.subject for m in inbox.mails] == ["[cgt-monitor ops] channel 'team' is failing"]


@pytest.mark.slow
def test_two_dispatchers_at_once_send_each_alert_once(tmp_path, site):
    """The daemon and a `deliveries retry` (or two daemons) racing over one outbox: claims decide."""
    import subprocess
    import sys

    from tests.helpers import ROOT, deployment

    with LocalSite() as receiver:
        receiver.set("/hook", Page(b'{"ok":true}', content_type="application/json", etag=False, delay_s=1.0))
        hook = hook_url(receiver)
        env = deployment(tmp_path, site, hook)
        site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
        subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"],
            env={**os.environ, **env},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        site.set("/xxgk/ggtg/index.html", Page(next_day(site_page("nmpa-ggtg.html"))))
        # record the change without sending: the receiver is told to refuse, then both dispatchers race
        receiver.set("/hook", Page(b"down", status=503, etag=False))
        subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"], env={**os.environ, **env}, cwd=ROOT, capture_output=True
        )
        receiver.set("/hook", Page(b'{"ok":true}', content_type="application/json", etag=False, delay_s=1.0))
        before = len(hook_bodies(receiver))
        racers = [
            subprocess.Popen(
                [sys.executable, "-m", "monitor", "deliveries", "retry"],
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for racer in racers:
            racer.communicate(timeout=60)
        assert len(hook_bodies(receiver)) - before == 1
