"""One document reposted by several agencies is one notice with several sightings: one alert, all links."""

from sqlalchemy import select

from monitor.app import open_store
from monitor.store.models import Change, Notice
from tests.helpers import in_pipeline, local_source, serve, site_page

DOC = "《细胞治疗产品生产质量管理指南（试行）》"


def nmpa_page(extra_row: str = "") -> bytes:
    marker = "<!-- 信息公开公告通知 -->".encode()
    return site_page("nmpa-ggtg.html").replace(marker, marker + extra_row.encode(), 1)


def shanghai_page(rows: str) -> bytes:
    return f'<html><body><div class="pageList"><ul>{rows}</ul></div></body></html>'.encode()


def test_a_repost_on_another_source_is_a_sighting_not_a_second_alert(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    nmpa = local_source(site, "nmpa-ggtg")
    shanghai = local_source(site, "sh-yjj-zjyw")
    old_row = '<li><a href="./20260901/0123456789abcdef0123456789abcdef.html" title="旧闻">旧闻</a><span>2026-09-01</span></li>'
    serve(site, nmpa, nmpa_page())
    serve(site, shanghai, shanghai_page(old_row))

    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([nmpa, shanghai]))  # baselines
    nmpa_row = (
        f'<li><a href="../../xxgk/ggtg/a/20260923101512777.html" title="国家药监局关于发布{DOC}的通告">…</a>'
        "<span>(2026-09-23)</span></li>"
    )
    sh_row = (
        '<li><a href="./20260924/fedcba9876543210fedcba9876543210.html" '
        f'title="国家药监局关于发布{DOC}的通告（2026年第4号）">…</a><span>2026-09-24</span></li>'
    )
    serve(site, nmpa, nmpa_page(nmpa_row))
    serve(site, shanghai, shanghai_page(sh_row + old_row))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([nmpa]))
    reports, _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([shanghai]))
    assert reports[0].summary.new == 1 and reports[0].summary.deliveries == 0
    assert len(inbox.mails) == 1

    with database.sessions() as session:
        original, repost = session.scalars(
            select(Notice).where(Notice.title.contains("细胞治疗产品生产质量管理指南")).order_by(Notice.id)
        ).all()
        assert repost.canonical_id == original.id and original.source_name == "nmpa-ggtg"
        change = session.scalars(select(Change).where(Change.notice_id == repost.id)).one()
        assert change.previous["duplicate_of"] == original.id


def test_sightings_found_before_the_alert_goes_out_are_listed_in_it(site, inbox, settings_for):
    settings = settings_for(inbox.apprise_url(), mode="digest")
    database = open_store(settings)
    nmpa = local_source(site, "nmpa-ggtg")
    shanghai = local_source(site, "sh-yjj-zjyw")
    serve(site, nmpa, nmpa_page())
    serve(
        site,
        shanghai,
        shanghai_page(
            '<li><a href="./20260901/0123456789abcdef0123456789abcdef.html" title="旧闻">旧闻</a><span>2026-09-01</span></li>'
        ),
    )

    in_pipeline(settings, database, lambda p: p.run_once([nmpa, shanghai]))
    serve(
        site,
        nmpa,
        nmpa_page(
            f'<li><a href="../../xxgk/ggtg/a/20260923101512777.html" title="国家药监局关于发布{DOC}的通告">…</a><span>(2026-09-23)</span></li>'
        ),
    )
    serve(
        site,
        shanghai,
        shanghai_page(
            f'<li><a href="./20260924/fedcba9876543210fedcba9876543210.html" title="转发国家药监局关于发布{DOC}的通知">…</a><span>2026-09-24</span></li>'
        ),
    )
    in_pipeline(settings, database, lambda p: p.run_once([nmpa, shanghai]))
    in_pipeline(settings, database, lambda p: p.dispatcher.dispatch_due(force=True))
    (mail,) = inbox.mails
    html = mail.part("html") or ""
    # whichever source's check landed first is the notice; the other is listed as a sighting
    assert "Also published by" in html
    assert "fedcba9876543210fedcba9876543210" in html and "20260923101512777" in html


def test_a_repost_of_a_document_nobody_was_alerted_of_is_alerted(site, inbox, settings_for):
    """The Shanghai page already carried the document when it was first seen (a baseline): NMPA's notice is news."""
    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    nmpa = local_source(site, "nmpa-ggtg")
    shanghai = local_source(site, "sh-yjj-zjyw")
    serve(site, nmpa, nmpa_page())
    serve(
        site,
        shanghai,
        shanghai_page(
            f'<li><a href="./20260920/fedcba9876543210fedcba9876543210.html" title="转发{DOC}的通知">…</a><span>2026-09-20</span></li>'
        ),
    )

    in_pipeline(
        settings, database, lambda pipeline: pipeline.run_once([nmpa, shanghai])
    )  # baselines: the Shanghai repost is stored, alerted to nobody
    serve(
        site,
        nmpa,
        nmpa_page(
            f'<li><a href="../../xxgk/ggtg/a/20260923101512777.html" title="国家药监局关于发布{DOC}的通告">…</a><span>(2026-09-23)</span></li>'
        ),
    )
    reports, dispatch = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([nmpa]))
    assert reports[0].summary.deliveries == 1 and dispatch.sent == 1
    assert "细胞治疗产品生产质量管理指南" in inbox.mails[0].subject
