import datetime as dt

from sqlalchemy import select

from monitor.app import open_store
from monitor.store.models import Delivery
from tests.helpers import in_pipeline, local_source, next_day, serve, site_page

EXTRA = '<li><a href="./x/20260923120000001.html" title="人源干细胞产品非临床研究技术指导原则">…</a><span>(2026-09-23)</span></li>'


def test_a_digest_waits_for_its_time_then_sends_one_message(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url(), mode="digest", digest_at="09:00")
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))

    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    marker = "<!-- 信息公开公告通知 -->".encode()
    day2 = next_day(site_page("nmpa-ggtg.html")).replace(marker, marker + EXTRA.encode(), 1)
    serve(site, source, day2)
    _, report = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert report.sent == 0 and inbox.mails == []  # not due yet

    with database.sessions() as session:
        due = max(row.next_attempt_at for row in session.scalars(select(Delivery)))

    report = in_pipeline(
        settings, database, lambda pipeline: pipeline.dispatcher.dispatch_due(now=due + dt.timedelta(seconds=1))
    )
    assert (report.sent, report.messages) == (2, 1)
    (mail,) = inbox.mails
    assert mail.subject.startswith("[cgt-monitor] 2 new notices")
    text = mail.part("plain") or ""
    assert "体内基因治疗产品" in text and "人源干细胞产品" in text


def test_with_a_public_desk_the_mail_links_to_the_notice_on_it(site, inbox, settings_for):
    from monitor.config.settings import WebSettings
    from monitor.store.models import Notice

    settings = settings_for(inbox.apprise_url())
    settings = settings.model_copy(update={"web": WebSettings(public_url="https://cgt-desk.example.com/")})
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    with database.sessions() as session:
        notice_id = session.scalars(select(Delivery.notice_id)).one()
        assert session.get(Notice, notice_id) is not None
    (mail,) = inbox.mails
    link = f"https://cgt-desk.example.com/notices/{notice_id}?state=done#review"
    assert link in (mail.part("plain") or "") and link.replace("&", "&amp;") in (mail.part("html") or "")
