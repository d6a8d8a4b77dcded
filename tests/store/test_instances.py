"""Two daemons on one database: each notice recorded once and alerted once, and no check fails over it."""

import asyncio

import pytest
from sqlalchemy import func, select

from monitor.app import open_store, running_pipeline
from monitor.config.settings import Channel, Settings, Subscription
from monitor.store.models import Change, Delivery, Notice
from tests.helpers import local_source, quick_fetch, serve, site_page

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
    database_url, site, inbox, tmp_path
):
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        fetch=quick_fetch(),
        channels={"mail": Channel(urls=[inbox.apprise_url()])},
        subscription=[Subscription(name="ra", channels=["mail"])],
    )
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
