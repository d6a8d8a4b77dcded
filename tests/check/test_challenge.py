"""Sites behind a JS cookie challenge and a firewall: the imitation site, the pipeline's modes, WAF back-off."""

import asyncio
import itertools
import re

import httpx
import pytest

from monitor.app import open_store, running_pipeline
from monitor.check.interpret import ListProbe
from monitor.config.settings import BrowserSettings
from monitor.fetch import HttpFetcher, RequestOptions
from monitor.fetch.backoff import HostBackoff
from monitor.fetch.blocked import block_reason, looks_like_challenge
from monitor.store.models import SourceState
from monitor.testing.challengesite import SCRIPT_PATH, SEED_COOKIE, TOKEN_COOKIE, Burst, ChallengeSite, digest
from monitor.testing.localsite import LocalSite, Page
from monitor.values import FetchOutcome
from tests.helpers import ROOT, catalogue, next_day, quick_fetch, run_cli, site_page

LIST = "/xxgk/ggtg/index.html"


@pytest.fixture
def guarded():
    with ChallengeSite(uses=3) as served:
        served.set(LIST, Page(site_page("nmpa-ggtg.html")))
        yield served


def nmpa_at(site: LocalSite, **changes):
    return catalogue()["nmpa-ggtg"].model_copy(update={"url": site.url(LIST), **changes})


# --- the imitation site ---


def test_the_imitation_answers_a_plain_client_as_the_real_site_does(guarded):
    answer = httpx.get(guarded.url(LIST))
    real = site_page("nmpa-412-challenge.html").decode()
    assert answer.status_code == 412
    assert "HttpOnly" in answer.headers["set-cookie"] and SEED_COOKIE in answer.headers["set-cookie"]
    for page in (answer.text, real):  # the same shape as the recorded 412 page
        assert looks_like_challenge(page) and len(page) < 5_000
        assert "$_ts.cd=" in page and re.search(r'<script[^>]+src="/[^"]+\.js"', page)
        assert block_reason(412, page) == block_reason(412, real)
    assert httpx.get(guarded.url(SCRIPT_PATH)).status_code == 200  # the script itself is not guarded


def test_the_cookie_the_script_computes_opens_the_site_for_its_user_agent_and_then_expires(guarded):
    first = httpx.get(guarded.url(LIST), headers={"User-Agent": "ua-1"})
    seed = first.cookies[SEED_COOKIE]
    nonce = re.search(r'<meta id="[^"]+" content="([^"]+)"', first.text).group(1)
    cookies = {SEED_COOKIE: seed, TOKEN_COOKIE: digest(nonce)}  # what the page's JavaScript computes
    assert httpx.get(guarded.url(LIST), cookies={SEED_COOKIE: seed, TOKEN_COOKIE: "0" * 8}).status_code == 412
    served = httpx.get(guarded.url(LIST), cookies=cookies, headers={"User-Agent": "ua-1"})
    assert served.status_code == 200 and "国家药监局" in served.text
    assert "$_ts" in served.text  # a page that passed still carries the inline settings
    assert httpx.get(guarded.url(LIST), cookies=cookies, headers={"User-Agent": "ua-2"}).status_code == 412
    statuses = [
        httpx.get(guarded.url(LIST), cookies=cookies, headers={"User-Agent": "ua-1"}).status_code for _ in "123"
    ]
    assert statuses == [200, 200, 412]  # three uses, then the challenge again


# --- the pipeline ---


def check(settings, database, source):
    async def go():
        async with running_pipeline(settings, database=database) as pipeline:
            return await pipeline.check(source)

    return asyncio.run(go())


def state_of(database, name):
    with database.sessions() as session:
        state = session.get(SourceState, name)
        return state.status, state.status_reason, state.fetch_mode, state.last_elapsed_s, state.item_count


def test_auto_passes_with_the_browser_then_polls_with_its_cookies_until_they_expire(chromium, guarded, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = nmpa_at(guarded, fetch="auto")
    day2 = next_day(site_page("nmpa-ggtg.html"))

    async def polls():
        seen = []
        async with running_pipeline(settings, database=database) as pipeline:
            for poll in range(4):
                if poll == 2:
                    guarded.set(LIST, Page(day2))
                report = await pipeline.check(source)
                seen.append((report.summary.outcome, report.summary.new, *state_of(database, source.name)[2:4]))
        return seen

    seen = asyncio.run(polls())
    assert [(outcome, new, mode) for outcome, new, mode, _ in seen] == [
        ("baseline", 20, "browser"),
        ("not_modified", 0, "http+cookies"),  # the browser's validators, asked with its cookies
        ("ok", 2, "http+cookies"),
        ("ok", 0, "browser"),  # three uses: the cookie expired, and the browser passed the challenge again
    ]
    assert all(elapsed > 0 for *_, elapsed in seen)
    assert guarded.passes == 4


def test_a_plain_source_behind_the_challenge_is_blocked_not_empty(guarded, settings_for):
    settings = settings_for()
    database = open_store(settings)
    report = check(settings, database, nmpa_at(guarded, fetch="http"))
    assert report.summary.outcome == "blocked"
    status, reason, mode, _, _ = state_of(database, "nmpa-ggtg")
    assert status == "blocked" and "412" in reason and mode == "http"
    assert guarded.challenges == 1  # no browser for a source that did not ask for one


def test_sources_test_uses_the_browser_for_a_source_behind_the_challenge(chromium, guarded, tmp_path):
    text = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = text.index('[[source]]\nname = "nmpa-ggtg"')
    end = text.index("[[source]]", start + 1)
    real_origin = "/".join(catalogue()["nmpa-ggtg"].url.split("/")[:3])
    table = text[start:end].replace(real_origin, guarded.base_url)  # the catalogue entry, pointed at 127.0.0.1
    assert 'fetch = "auto"' in table
    (tmp_path / "sources.toml").write_text(table, encoding="utf-8")
    result = run_cli("--sources", str(tmp_path / "sources.toml"), "sources", "test", "nmpa-ggtg", "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 20
    assert guarded.passes >= 1


# --- the firewall: back-off and spacing ---


def fetcher(**kwargs) -> HttpFetcher:
    return HttpFetcher(quick_fetch(), **kwargs)


def test_a_burst_refused_by_the_firewall_puts_the_host_on_back_off(settings_for):
    with ChallengeSite(challenge=False, burst=Burst(max_requests=2, window_s=60, ban_s=600)) as site:
        site.set("/zdyz/index", Page(b"<html><body><ul><li>x</li></ul></body></html>"))

        async def go():
            async with fetcher() as http:
                return [await http.fetch(site.url("/zdyz/index")) for _ in range(4)]

        results = asyncio.run(go())
        assert [r.outcome for r in results] == [FetchOutcome.OK] * 2 + [FetchOutcome.BLOCKED] * 2
        refused, waiting = results[2], results[3]
        assert "firewall" in refused.reason and refused.retry_after_s > 0
        assert re.search(r"next try after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ min\)", refused.reason)
        assert waiting.retry_after_s and "not asked again yet" in waiting.reason
        assert len(site.requests) == 3 and site.refusals == 1  # the fourth poll never reached the host


def test_back_off_doubles_up_to_its_cap_with_jitter_and_resets_after_an_answer():
    now = [1000.0]
    low = HostBackoff(base_s=10, cap_s=60, jitter=0.2, clock=lambda: now[0], rng=lambda a, b: a)
    high = HostBackoff(base_s=10, cap_s=60, jitter=0.2, clock=lambda: now[0], rng=lambda a, b: b)
    assert [round(low.refused("h")) for _ in range(4)] == [8, 16, 32, 60]
    assert [round(high.refused("h")) for _ in range(3)] == [12, 24, 48]
    assert low.remaining("h") == 60
    now[0] += 45
    assert low.remaining("h") == 15 and low.remaining("other") == 0
    low.cleared("h")
    assert low.remaining("h") == 0 and round(low.refused("h")) == 8


@pytest.mark.slow
def test_after_a_refusal_the_host_is_polled_one_request_at_a_time_with_spacing(site):
    now = [0.0]
    backoff = HostBackoff(base_s=30, clock=lambda: now[0])
    site.set("/zdyz/index", Page(site_page("cde-403-waf.html"), status=403))
    site.set("/slow", Page(b"<ul><li>x</li></ul>", delay_s=0.6))
    site.set("/quick", Page(b"<ul><li>x</li></ul>"))

    async def go():
        async with fetcher(backoff=backoff, refused_spacing_s=0.3) as http:
            refused = await http.fetch(site.url("/zdyz/index"))
            now[0] += 3600  # the back-off is over
            polls = []
            for path in ("/slow", "/quick"):
                polls += await asyncio.gather(*(http.fetch(site.url(path)) for _ in range(3)))
            return refused, polls

    refused, polls = asyncio.run(go())
    assert refused.outcome is FetchOutcome.BLOCKED and "firewall" in refused.reason
    assert all(p.outcome is FetchOutcome.OK for p in polls)

    def gaps(path):
        starts = [r.at for r in site.hits(path)]
        assert len(starts) == 3
        return [b - a for a, b in itertools.pairwise(starts)]

    # one request at a time: each slow answer (0.6 s) is over before the next request starts
    assert all(gap >= 0.55 for gap in gaps("/slow"))
    # and starts at least the spacing apart (0.3 s; a little less as seen by the server)
    assert all(gap >= 0.25 for gap in gaps("/quick"))


def test_a_source_on_back_off_is_reported_blocked_with_the_time_of_the_next_try(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    api = site.url("/zdyz/getDomesticGuideList")
    source = catalogue()["cde-guidelines"].model_copy(update={"url": api, "fetch": "auto"})
    site.set("/zdyz/getDomesticGuideList", Page(site_page("cde-403-waf.html"), status=403))
    report = check(settings, database, source)
    assert report.summary.outcome == "blocked" and report.fetched.retry_after_s > 0
    status, reason, _, _, _ = state_of(database, source.name)
    assert status == "blocked" and "firewall" in reason and "next try after" in reason
    assert len(site.requests) == 1  # a firewall refusal is not a challenge: no browser was sent after it


def test_a_rendered_page_with_the_challenge_script_is_content_when_the_list_is_there():
    source = catalogue()["nhc-qjjys-rlyczygl"]
    page = site_page("nhc-qjjys-rlyczygl.html").decode()
    passed = page.replace("<head>", "<head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script>", 1)
    assert len(passed) < 20_000 and looks_like_challenge(passed)
    probe = ListProbe(source)
    assert block_reason(200, passed, probe) is None
    assert block_reason(200, site_page("nmpa-412-challenge.html").decode(), probe) is not None
    assert block_reason(200, passed) is not None  # without knowing the list, a small page with the marker is suspect


def test_an_http_fetch_with_the_list_probe_tells_a_passed_page_from_the_challenge(site):
    source = catalogue()["nhc-qjjys-rlyczygl"]
    passed = site_page("nhc-qjjys-rlyczygl.html").replace(b"<head>", b"<head><script>$_ts={};</script>", 1)
    site.set("/list.shtml", Page(passed))
    site.set("/challenge.shtml", Page(site_page("nmpa-412-challenge.html")))

    async def go():
        async with fetcher() as http:
            options = RequestOptions(expect=ListProbe(source))
            return await http.fetch(site.url("/list.shtml"), options), await http.fetch(
                site.url("/challenge.shtml"), options
            )

    listed, challenge = asyncio.run(go())
    assert listed.outcome is FetchOutcome.OK
    assert challenge.outcome is FetchOutcome.BLOCKED and "challenge" in challenge.reason


def test_without_chromium_the_challenge_is_reported_with_what_to_install(guarded, settings_for):
    settings = settings_for().model_copy(update={"browser": BrowserSettings(executable_path="/nonexistent/chromium")})
    database = open_store(settings)
    report = check(settings, database, nmpa_at(guarded, fetch="auto"))
    assert report.summary.outcome == "blocked"
    _, reason, _, _, _ = state_of(database, "nmpa-ggtg")
    assert "412" in reason and "no Chromium at /nonexistent/chromium" in reason


def test_the_demo_polls_its_challenge_protected_source_with_the_browser_then_its_cookies(chromium, tmp_path):
    result = run_cli("demo", "--demo-dir", str(tmp_path), env={"COLUMNS": "240"})
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if re.match(r"│ nmpa-ggtg +│", line)]  # the cycle tables
    assert "behind an imitation of its JS cookie challenge" in result.stdout
    assert len(rows) == 2 and "browser" in rows[0] and "http+cookies" in rows[1]
    assert "3 CGT-relevant, 3 e-mails received" in result.stdout


DETAIL_PATH = "/xxgk/ggtg/a/20260923101512999.html"
DETAIL_PAGE = """<html><head><meta name="PubDate" content="2026-09-23 10:15"></head><body>
<div class="text"><p>为指导嵌合抗原受体T细胞（CAR-T）治疗产品的研发，制定本指导原则。</p></div></body></html>"""


def test_a_followed_source_behind_the_challenge_reads_its_detail_pages_through_the_browser(chromium, settings_for):
    """The detail page is fetched in the source's fetch mode: its challenge is passed, not stored as an error."""
    settings = settings_for()
    database = open_store(settings)
    row = (
        '<li><a href="../../xxgk/ggtg/a/20260923101512999.html" title="国家药监局关于发布一项技术指导原则的通告">…</a>'
        "<span>(2026-09-23)</span></li>"
    )
    marker = "<!-- 信息公开公告通知 -->".encode()
    with ChallengeSite(uses=1) as site:  # each cookie serves one request: every page needs the browser
        site.set(LIST, Page(site_page("nmpa-ggtg.html")))
        source = nmpa_at(site, fetch="auto", follow=True)
        assert check(settings, database, source).summary.outcome == "baseline"
        site.set(LIST, Page(site_page("nmpa-ggtg.html").replace(marker, marker + row.encode(), 1)))
        site.set(DETAIL_PATH, Page(DETAIL_PAGE.encode()))
        report = check(settings, database, source)
        detail_requests = [r for r in site.requests if r.path == DETAIL_PATH]
    assert report.summary.outcome == "ok" and report.summary.new == 1
    (new,) = report.diff.new
    assert new.detail is not None and new.detail.error is None and "CAR-T" in new.detail.body
    assert report.verdicts[new.key].relevant  # judged on the body the browser read
    assert len(detail_requests) >= 2  # challenged first, then passed
