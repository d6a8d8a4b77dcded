import asyncio
import itertools

from monitor.config.settings import FetchSettings
from monitor.fetch import HttpFetcher, RequestOptions
from monitor.testing.localsite import Page
from monitor.values import FetchOutcome
from tests.helpers import site_page


def fetch(url, options=None, **settings):
    async def go():
        async with HttpFetcher(FetchSettings(**{"per_host_min_delay_s": 0.0, "backoff_s": 0.01, **settings})) as f:
            return await f.fetch(url, options)

    return asyncio.run(go())


def test_ok_page_is_decoded_with_validators(site):
    site.set("/list.html", Page("<li>细胞治疗</li>".encode("gb18030"), content_type="text/html; charset=gbk"))
    fetched = fetch(site.url("/list.html"))
    assert fetched.outcome is FetchOutcome.OK
    assert fetched.text == "<li>细胞治疗</li>"
    assert fetched.etag


def test_conditional_get_answers_not_modified(site):
    site.set("/list.html", Page(b"<li>a</li>"))
    first = fetch(site.url("/list.html"))
    second = fetch(site.url("/list.html"), RequestOptions(etag=first.etag))
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert site.hits("/list.html")[-1].headers.get("If-None-Match") == first.etag


def test_server_errors_are_retried_then_reported(site):
    site.set("/flaky.html", Page(b"oops", status=503))
    fetched = fetch(site.url("/flaky.html"), retries=2)
    assert fetched.outcome is FetchOutcome.ERROR
    assert fetched.reason == "HTTP 503"
    assert len(site.hits("/flaky.html")) == 3


def test_network_errors_are_reported_not_raised():
    fetched = fetch("http://127.0.0.1:9/nothing", retries=1)
    assert fetched.outcome is FetchOutcome.ERROR
    assert "Connect" in (fetched.reason or "")


def test_the_412_challenge_is_blocked_not_empty(site):
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-412-challenge.html"), status=412))
    fetched = fetch(site.url("/xxgk/ggtg/index.html"))
    assert fetched.outcome is FetchOutcome.BLOCKED
    assert "412" in (fetched.reason or "")


def test_the_cde_waf_refusal_is_blocked(site):
    site.set("/zdyz/index", Page(site_page("cde-403-waf.html"), status=403))
    fetched = fetch(site.url("/zdyz/index"))
    assert fetched.outcome is FetchOutcome.BLOCKED
    assert "firewall" in (fetched.reason or "")


def test_a_rendered_list_page_is_not_mistaken_for_a_challenge(site):
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    assert fetch(site.url("/xxgk/ggtg/index.html")).outcome is FetchOutcome.OK


def test_responses_over_the_size_cap_are_refused(site):
    site.set("/huge.html", Page(b"x" * 20_000))
    fetched = fetch(site.url("/huge.html"), max_bytes=10_000)
    assert fetched.outcome is FetchOutcome.ERROR
    assert "larger than" in (fetched.reason or "")


def test_requests_to_one_host_are_spaced(site):
    site.set("/a.html", Page(b"a"))

    async def go():
        settings = FetchSettings(per_host_min_delay_s=0.2, per_host_concurrency=2)
        async with HttpFetcher(settings) as fetcher:
            await asyncio.gather(*(fetcher.fetch(site.url("/a.html")) for _ in range(4)))

    asyncio.run(go())
    starts = sorted(r.at for r in site.hits("/a.html"))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4
    # spaced at 0.2 s when sent; unspaced, two of them would arrive within a millisecond of each other.
    # Arrival jitter on a loaded machine reaches a tenth of a second, so single gaps get a wide margin
    # and the span of all three (0.6 s when sent) checks the spacing as a whole; the first arrival alone
    # also waits for its connection to open, which shortens the span it starts
    assert min(gaps) >= 0.04
    assert starts[-1] - starts[0] >= 0.45


def test_form_posts_carry_body_and_headers(site):
    site.set("/zdyz/getDomesticGuideList", Page(b'{"code":200}', content_type="application/json"))
    options = RequestOptions(method="POST", form={"pageNum": "1"}, headers={"Referer": "https://www.cde.org.cn/"})
    fetch(site.url("/zdyz/getDomesticGuideList"), options)
    (seen,) = site.hits("/zdyz/getDomesticGuideList")
    assert seen.method == "POST" and seen.body == b"pageNum=1"
    assert seen.headers["Referer"] == "https://www.cde.org.cn/"


def test_refusal_etiquette_comes_from_the_deployment_settings():
    async def go():
        settings = FetchSettings(
            refusal_backoff_s=60, refusal_backoff_max_s=600, refused_host_spacing_s=3, browser_only_h=1
        )
        async with HttpFetcher(settings) as fetcher:
            return fetcher.backoff.base_s, fetcher.backoff.cap_s, fetcher.refused_spacing_s

    assert asyncio.run(go()) == (60, 600, 3)


def test_a_cookie_the_site_sets_is_sent_back_and_a_page_setting_none_keeps_it(site):
    site.set("/start.html", Page(b"<li>a</li>", headers={"Set-Cookie": "visit=abc123; Path=/"}))
    site.set("/list.html", Page(b"<li>b</li>"))

    async def go() -> None:
        async with HttpFetcher(FetchSettings(per_host_min_delay_s=0.0)) as fetcher:
            for path in ("/start.html", "/list.html", "/list.html"):
                await fetcher.fetch(site.url(path))

    asyncio.run(go())
    assert [hit.headers.get("Cookie") for hit in site.hits("/list.html")] == ["visit=abc123", "visit=abc123"]
