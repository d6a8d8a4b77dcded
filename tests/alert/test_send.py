"""Sending to real receivers on 127.0.0.1: long titles through a real SMTP server, one stuck channel."""

import asyncio
import csv
import threading
import time

import pytest
from sqlalchemy import select

from monitor.alert.render import SUBJECT_MAX_CHARS, AlertNotice, render
from monitor.alert.send import AppriseSender
from monitor.app import open_store
from monitor.config.settings import Channel, DeliverySettings, Settings, Subscription
from monitor.store.models import Delivery
from monitor.testing.localsite import LocalSite, Page
from tests.helpers import ROOT, hook_url, in_pipeline, local_source, next_day, quick_fetch, serve, site_page


def longest_real_titles(n: int = 3) -> list[str]:
    with (ROOT / "bench" / "data" / "titles.tsv").open(encoding="utf-8") as table:
        titles = [row["title"] for row in csv.DictReader(table, delimiter="\t")]
    return sorted(titles, key=len)[-n:]


def notice(title: str) -> AlertNotice:
    return AlertNotice(
        title=title,
        url="https://www.nmpa.gov.cn/xxgk/ggtg/1.html",
        agency="NMPA",
        region="CN",
        published=None,
        doc_type="guideline",
        deadline=None,
        terms=("基因治疗",),
        topics=("gene_therapy",),
    )


@pytest.mark.parametrize(
    "title",
    [
        *longest_real_titles(),
        "关于发布"
        + "《基因修饰细胞治疗产品非临床研究技术指导原则（试行）》" * 5
        + "的通告（2026年第1号）",  # 140 chars
        "细胞治疗" * 25_000,  # 100,000 characters: a hostile page
    ],
    ids=lambda title: f"{len(title)}-chars",
)
def test_a_long_title_reaches_a_real_smtp_server_with_a_capped_subject_and_the_whole_title(inbox, title):
    sender = AppriseSender(timeout_s=60)
    channel = Channel(urls=[inbox.apprise_url()])
    started = time.monotonic()
    result = asyncio.run(sender.send("mail", channel, lambda fmt, limit: render([notice(title)], fmt, limit=limit)))
    assert result.ok, result.detail
    assert time.monotonic() - started < 30
    (mail,) = inbox.mails
    subject = str(mail.message["Subject"])
    assert len(subject) <= SUBJECT_MAX_CHARS
    assert subject.endswith("…") == (len(f"[cgt-monitor] NMPA: {title}") > SUBJECT_MAX_CHARS)
    raw = mail.message.as_bytes()
    assert max(len(line) for line in raw.splitlines()) <= 998
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert title in text  # the whole title is in the body


def test_a_stalled_webhook_does_not_delay_the_email_channel(site, inbox, tmp_path):
    """The webhook answers after 40 s; the send to it is stopped at its deadline, and e-mail goes at once.

    The deadline leaves a loaded machine time to start the sender's child process (Python and apprise)."""
    with LocalSite() as receiver:
        receiver.set("/hook", Page(b'{"ok":true}', delay_s=40, etag=False, content_type="application/json"))
        settings = Settings(
            data_dir=tmp_path,
            fetch=quick_fetch(),
            delivery=DeliverySettings(send_timeout_s=8),
            # apprise's own read timeout raised past the stall: only our deadline can end the send
            channels={
                "hook": Channel(urls=[hook_url(receiver) + "?rto=60"]),
                "mail": Channel(urls=[inbox.apprise_url()]),
            },
            subscription=[Subscription(name="ra", channels=["hook", "mail"])],
        )
        database = open_store(settings)
        source = local_source(site, "nmpa-ggtg")
        serve(site, source, site_page("nmpa-ggtg.html"))
        in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
        serve(site, source, next_day(site_page("nmpa-ggtg.html")))
        mail_at: list[float] = []

        def watch() -> None:
            while not inbox.mails and time.monotonic() - started < 45:
                time.sleep(0.02)
            mail_at.append(time.monotonic())

        started = time.monotonic()
        watcher = threading.Thread(target=watch)
        watcher.start()
        _, dispatch = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
        finished = time.monotonic()
        watcher.join()
    assert dispatch.sent == 1 and dispatch.failed == 1
    assert finished - started < 30  # the 40 s stall was cut at the 8 s deadline
    assert mail_at[0] < finished - 3  # the e-mail did not wait for the webhook's deadline
    with database.sessions() as session:
        hook_row = session.scalars(select(Delivery).where(Delivery.channel == "hook")).one()
        assert hook_row.status == "pending" and "no answer within 8 s" in hook_row.last_error


def test_a_stuck_service_does_not_keep_the_alert_from_the_other_services_of_its_channel(tmp_path):
    """One channel, two webhooks: the stalled one is stopped at the deadline, the other gets the alert."""
    with LocalSite() as receiver:
        receiver.set("/stuck", Page(b"{}", delay_s=40, etag=False, content_type="application/json"))
        receiver.set("/fine", Page(b"{}", etag=False, content_type="application/json"))
        channel = Channel(urls=[hook_url(receiver, "/stuck") + "?rto=60", hook_url(receiver, "/fine")])
        started = time.monotonic()
        result = asyncio.run(
            AppriseSender(timeout_s=6).send("hooks", channel, lambda fmt, limit: render([notice("细胞治疗")], fmt))
        )
        elapsed = time.monotonic() - started
        fine_posts = [r for r in receiver.hits("/fine") if r.method == "POST"]
    stuck, fine = result.targets
    assert fine.ok and len(fine_posts) == 1
    assert not stuck.ok and stuck.stopped and "no answer within 6 s" in stuck.detail
    assert result.succeeded == [1]  # a retry goes to the stuck service only
    assert elapsed < 25  # the 40 s stall was cut at the 6 s deadline


def test_the_plain_text_part_of_an_alert_email_carries_the_link(inbox):
    channel = Channel(urls=[inbox.apprise_url()])
    alert = notice("国家药监局药审中心关于发布《基因治疗产品长期随访临床研究技术指导原则（试行）》的通告")
    result = asyncio.run(AppriseSender().send("mail", channel, lambda fmt, limit: render([alert], fmt, limit=limit)))
    assert result.ok, result.detail
    (mail,) = inbox.mails
    assert alert.url in mail.message.get_body(preferencelist=("plain",)).get_content()


def test_an_alert_sent_twice_reaches_the_mailbox_with_one_message_id(inbox):
    """A crash between a send and its record repeats that send: the same Message-ID lets the mailbox drop it."""
    channel = Channel(urls=[inbox.apprise_url()])
    compose = lambda fmt, limit: render([notice("细胞治疗产品")], fmt, limit=limit)  # noqa: E731
    for _ in range(2):
        assert asyncio.run(AppriseSender().send("mail", channel, compose, alert_id="cgt-41")).ok
    first, second = inbox.mails
    assert first.message["Message-ID"] == second.message["Message-ID"] == "<cgt-41@cgt-monitor>"
    assert len(first.message.get_all("Message-ID")) == 1
