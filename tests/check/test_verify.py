"""`sources verify` against local servers that each imitate one way a live source goes wrong."""

import asyncio
import datetime as dt

import pytest

from monitor.check.verify import verify_sources
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.extract.dates import SHANGHAI
from monitor.testing.localsite import LocalSite, Page
from monitor.values import Finding
from tests.helpers import quick_fetch, site_page

TODAY = dt.datetime.now(SHANGHAI).date()


def list_page(first_id: int, newest: dt.date, rows: int = 6, href: str = "./{id}.html") -> bytes:
    """An NMPA-style list: rows with a cut link text, the whole title in the attribute, a date in a span."""
    items = "".join(
        f'<li><a href="{href.format(id=20260000000000000 + first_id + n)}" title="国家药监局关于细胞治疗产品第{first_id + n}号的公告">国家…</a>'
        f"<span>({newest - dt.timedelta(days=3 * n)})</span></li>"
        for n in range(rows)
    )
    return f'<html><body><div class="list"><ul>{items}</ul></div></body></html>'.encode()


def source(site: LocalSite, name: str, path: str, **changes: object) -> Source:
    return Source.model_validate(
        {
            "name": name,
            "agency": "NMPA",
            "region": "CN",
            "url": site.url(path),
            "kind": "html",
            "key_pattern": r"/(\d{17})\.html$",
            "page_url": "index_{n0}.html",
            "extract": {"item": "div.list ul li", "title": "a", "link": "a", "date": "span"},
            **changes,
        }
    )


def verify(tmp_path, *sources: Source) -> dict:
    settings = Settings(data_dir=tmp_path, fetch=quick_fetch())
    return {result.source: result for result in asyncio.run(verify_sources(sources, settings))}


def test_a_good_list_passes_with_its_signals(tmp_path, site):
    site.set("/good/index.html", Page(list_page(100, TODAY - dt.timedelta(days=2))))
    site.set("/good/index_1.html", Page(list_page(200, TODAY - dt.timedelta(days=20))))
    (result,) = verify(tmp_path, source(site, "good", "/good/index.html")).values()
    assert not result.failed and result.status == "ok"
    assert result.items == 6 and result.page_2 == 6
    assert result.signals.newest == TODAY - dt.timedelta(days=2) and result.signals.key_share == 1.0
    row = result.as_dict()
    assert row["ok"] and row["age_days"] == 2 and row["stale"] is False and row["elapsed_s"] > 0


def test_each_failure_is_told_apart(tmp_path, site):
    fresh = TODAY - dt.timedelta(days=1)
    site.set("/landing/index.html", Page(list_page(1, fresh, href="/col/col{id}/")))  # items, no key matches
    site.set("/landing/index_1.html", Page(list_page(50, fresh)))
    site.set("/frozen/index.html", Page(list_page(1, TODAY - dt.timedelta(days=400))))
    site.set("/frozen/index_1.html", Page(list_page(50, TODAY - dt.timedelta(days=500))))
    site.set("/nopage2/index.html", Page(list_page(1, fresh)))  # page 2 is a 404
    site.set("/same/index.html", Page(list_page(1, fresh)))
    site.set("/same/index_1.html", Page(list_page(1, fresh)))  # the site ignores the paging
    site.set("/old/index.html", Page(b"", status=302, headers={"Location": "/new/index.html"}))
    site.set("/new/index.html", Page(list_page(1, fresh)))
    site.set("/blocked/index.html", Page(site_page("nmpa-412-challenge.html"), status=412))
    site.set("/rot/index.html", Page('<html><body><div class="news"><p>改版</p></div></body></html>'.encode()))
    names = ["landing", "frozen", "nopage2", "same", "old", "blocked", "rot"]
    results = verify(tmp_path, *(source(site, name, f"/{name}/index.html") for name in names))

    assert set(results["landing"].findings) == {Finding.OFF_PATTERN}
    assert results["landing"].items == 6 and results["landing"].signals.key_share == 0
    assert set(results["frozen"].findings) == {Finding.STALE}
    assert results["frozen"].signals.age_days == 400 and "400 days ago" in results["frozen"].findings[Finding.STALE]
    assert set(results["nopage2"].findings) == {Finding.PAGE_2}
    assert "404" in results["nopage2"].findings[Finding.PAGE_2]
    assert (
        set(results["same"].findings) == {Finding.PAGE_2}
        and "repeats page 1" in results["same"].findings[Finding.PAGE_2]
    )
    # the configured address is out of date, and so is its page 2
    assert set(results["old"].findings) == {Finding.MOVED, Finding.PAGE_2} and results["old"].items == 6
    assert site.url("/new/index.html") in results["old"].findings[Finding.MOVED]
    assert set(results["blocked"].findings) == {Finding.BLOCKED}
    assert set(results["rot"].findings) == {Finding.ROT} and results["rot"].items == 0
    assert all(result.failed for result in results.values())


def test_a_firewall_refusal_is_blocked(tmp_path):
    # a host of its own: a refusal puts the whole host on back-off
    with LocalSite() as waf:
        waf.set("/waf/index.html", Page(site_page("cde-403-waf.html"), status=403))
        (result,) = verify(tmp_path, source(waf, "waf", "/waf/index.html")).values()
    assert set(result.findings) == {Finding.BLOCKED} and "403" in result.findings[Finding.BLOCKED]


@pytest.mark.parametrize("redirect", ["/same/", "/same/index.html"])
def test_a_redirect_to_the_same_page_is_not_a_move(tmp_path, site, redirect):
    site.set("/same", Page(b"", status=301, headers={"Location": redirect}))
    site.set(redirect, Page(list_page(1, TODAY)))
    (result,) = verify(tmp_path, source(site, "same", "/same", page_url=None)).values()
    assert not result.failed, result.findings


def test_a_list_that_may_stay_still_is_never_stale(tmp_path, site):
    site.set("/still/index.html", Page(list_page(1, TODAY - dt.timedelta(days=900))))
    (result,) = verify(tmp_path, source(site, "still", "/still/index.html", stale_after_days=0, page_url=None)).values()
    assert not result.failed and result.signals.age_days == 900
