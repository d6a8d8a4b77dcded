"""CDE's JSON APIs open only to the list page's own request, which the site's script signs with a query token:
the catalogue's CDE sources, pointed at the imitation site on 127.0.0.1, capture that request in Chromium."""

import asyncio
import json
import re
import time
import tomllib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from monitor.check.requests import SourceRequests
from monitor.config.sources import Source, parse_sources
from monitor.fetch import BrowserFetcher, HttpFetcher, RequestOptions
from monitor.fetch.browser import CHROMIUM_FLAGS, PageRequest
from monitor.testing.challengesite import (
    QUERY_TOKEN,
    SEED_COOKIE,
    TOKEN_COOKIE,
    ChallengeSite,
    api_list_page,
    digest,
    query_token,
)
from monitor.testing.localsite import Page
from monitor.values import FetchOutcome
from tests.helpers import ROOT, catalogue, fixture_file, items_of, quick_fetch, run_cli, site_page

CDE = ("cde-guidelines", "cde-drafts", "cde-news", "cde-policy")
REAL = "https://www.cde.org.cn"
EXPECTED = {case["source"]: case for case in tomllib.loads(fixture_file("expected.toml").read_text("utf-8"))["case"]}
JSON = "application/json;charset=UTF-8"


def path_of(url: str) -> str:
    return urlsplit(url).path


def cde_tables(base_url: str) -> str:
    """The four CDE tables of sources.toml as written there, with the site's origin replaced by `base_url`."""
    text = (ROOT / "sources.toml").read_text(encoding="utf-8")
    tables = []
    for name in CDE:
        start = text.index(f'[[source]]\nname = "{name}"')
        end = text.find("[[source]]", start + 1)
        tables.append(text[start : end if end > 0 else len(text)])
    local = "".join(tables).replace(REAL, base_url)
    assert local.count('fetch = "browser"') == len(CDE) and local.count("capture = {") == len(CDE)
    return local


@pytest.fixture
def cde():
    """The imitation CDE: each API signed, each list page posting the source's form to it."""
    real = catalogue()
    with ChallengeSite(signed={path_of(real[name].url) for name in CDE}) as site:
        text = cde_tables(site.base_url)
        sources = {s.name: s for s in parse_sources(tomllib.loads(text), text, ROOT / "sources.toml")}
        for name, source in sources.items():
            site.set(path_of(source.url), Page(site_page(f"{name}.json"), content_type=JSON))
            assert source.capture_page is not None
            site.set(path_of(source.capture_page), Page(api_list_page(path_of(source.url), form(source))))
        # politeness is not under test: the real 10 s spacing would only make the test wait
        yield site, {name: s.model_copy(update={"min_delay_s": 0.0}) for name, s in sources.items()}


def list_pages(settings, sources: list[Source], page: int = 1):
    async def go():
        async with HttpFetcher(quick_fetch(timeout_s=10)) as plain, BrowserFetcher(settings, plain) as browser:
            requests = SourceRequests(plain, browser)
            return [await requests.list_page(source, page) for source in sources], plain.handoff

    return asyncio.run(go())


def signed_posts(site: ChallengeSite, path: str):
    return [r for r in site.hits(path) if r.method == "POST" and QUERY_TOKEN in parse_qs(urlsplit(r.path).query)]


def test_the_imitation_api_wants_a_fresh_query_token_for_its_own_path():
    api = "/zdyz/getDomesticGuideList"
    with ChallengeSite(signed={api}) as site:
        site.set(api, Page(site_page("cde-guidelines.json"), content_type=JSON))
        first = httpx.post(site.url(api))
        assert first.status_code == 412
        nonce = re.search(r'<meta id="[^"]+" content="([^"]+)"', first.text).group(1)
        token = digest(nonce)  # what the page's script puts in its cookie
        cookies = {SEED_COOKIE: first.cookies[SEED_COOKIE], TOKEN_COOKIE: token}

        def post(query: dict[str, str]) -> int:
            return httpx.post(site.url(api), params=query, cookies=cookies, data={"pageNum": "1"}).status_code

        now = time.time()
        assert post({}) == 412  # the cookies alone: refused
        assert post({QUERY_TOKEN: query_token(token, "/zdyz/getOpinionList", now)}) == 412  # another path's
        assert post({QUERY_TOKEN: query_token(token, api, now - 3600)}) == 412  # an old one
        assert post({QUERY_TOKEN: query_token("0" * 8, api, now)}) == 412  # made with another cookie
        assert post({QUERY_TOKEN: query_token(token, api, now)}) == 200
        assert site.unsigned == 4


def test_each_cde_source_captures_its_list_page_request_and_yields_its_items(chromium, cde):
    site, sources = cde
    results, _ = list_pages(chromium, [sources[name] for name in CDE])
    for name, fetched in zip(CDE, results, strict=True):
        source = sources[name]
        assert fetched.outcome is FetchOutcome.OK, (name, fetched.reason)
        assert fetched.mode == "browser" and fetched.final_url == source.url  # not the one-off token
        items = items_of(fetched, source)
        assert len(items) == EXPECTED[name]["items"] and items[0].title == EXPECTED[name]["first_title"]
        assert items[0].url.replace(site.base_url, REAL) == EXPECTED[name]["first_url"]  # some links are the record's
        (post,) = site.hits(path_of(source.url))  # one request, and it was the page's own, signed
        assert signed_posts(site, path_of(source.url)) == [post]
        assert post.headers.get("X-Requested-With") == "XMLHttpRequest"
        assert parse_qs(post.body.decode(), keep_blank_values=True) == {k: [v] for k, v in form(source).items()}
    assert site.unsigned == 0  # no request of ours went without the token
    assert site.challenges >= 1  # the first list page was the 412 challenge, passed in the browser


def form(source: Source) -> dict[str, str]:
    assert source.request.form is not None
    return source.request.form


def test_page_two_is_asked_from_the_list_page_as_the_page_asks_for_page_one(chromium, cde):
    site, sources = cde
    source = sources["cde-guidelines"]
    # the page knows its own form better than the catalogue: its page size and fields are the ones used
    own_form = {**form(source), "pageSize": "10", "isFbtg": "1"}
    site.set(path_of(source.capture_page or ""), Page(api_list_page(path_of(source.url), own_form)))
    (fetched,), _ = list_pages(chromium, [source], page=2)
    assert fetched.outcome is FetchOutcome.OK, fetched.reason
    assert len(items_of(fetched, source)) == EXPECTED[source.name]["items"]
    own, ours = signed_posts(site, path_of(source.url))  # the page's own request first, then page 2
    assert parse_qs(own.body.decode(), keep_blank_values=True) == {k: [v] for k, v in own_form.items()}
    assert parse_qs(ours.body.decode(), keep_blank_values=True) == {
        k: [v] for k, v in {**own_form, "pageNum": "2"}.items()
    }
    assert site.unsigned == 0


def test_without_the_page_s_own_request_the_api_is_refused(chromium, cde):
    """What a client other than the page's own script gets: the browser's cookies in httpx, and a fetch() in a
    page that passed the challenge (the script hooks XMLHttpRequest, as for jQuery pages), are refused."""
    from playwright.async_api import async_playwright

    site, sources = cde
    source = sources["cde-news"]
    api, list_url = site.url(path_of(source.url)), source.capture_page or ""

    async def go():
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=chromium.executable_path, args=[*CHROMIUM_FLAGS])
            try:
                page = await browser.new_page()
                async with page.expect_response(lambda r: path_of(r.url) == path_of(api), timeout=20_000) as own:
                    try:
                        await page.goto(list_url)
                    except Exception as exc:  # the challenge reloads the page under the first navigation
                        assert "interrupted by another navigation" in str(exc)
                answer = await own.value
                fetched = await page.evaluate(
                    """(url) => fetch(url, {method: "POST", body: "pageNum=1",
                        headers: {"Content-Type": "application/x-www-form-urlencoded"}}).then(r => r.status)""",
                    api,
                )
                cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
                return answer.status, fetched, cookies, await page.evaluate("navigator.userAgent")
            finally:
                await browser.close()

    own_status, fetch_status, cookies, user_agent = asyncio.run(go())
    assert own_status == 200 and fetch_status == 412
    assert {SEED_COOKIE, TOKEN_COOKIE} <= set(cookies)
    plain = httpx.post(api, data=form(source), cookies=cookies, headers={"User-Agent": user_agent})
    assert plain.status_code == 412
    assert site.unsigned == 2  # the fetch() and httpx; the page's own request had its token


def test_sources_test_reads_the_cde_news_list_through_its_page_with_picture_news_links(chromium, cde, tmp_path):
    site, _ = cde
    (tmp_path / "sources.toml").write_text(cde_tables(site.base_url), encoding="utf-8")
    result = run_cli("--sources", str(tmp_path / "sources.toml"), "sources", "test", "cde-news", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    records = json.loads(site_page("cde-news.json"))["data"]["records"]
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        view = "newspic/view" if record["isPic"] else "news/viewInfoCommon"
        assert row["url"] == f"{site.base_url}/main/{view}/{record['newsIdCode']}"
    assert len(signed_posts(site, "/main/news/getList")) == 1 and site.unsigned == 0


def test_a_list_page_that_never_asks_or_is_refused_is_reported_not_taken_for_a_list(chromium, cde):
    site, sources = cde
    quiet, refused = sources["cde-drafts"], sources["cde-policy"]
    site.set(path_of(quiet.capture_page or ""), Page(b"<html><head></head><body><ul></ul></body></html>"))
    fetch_page = f"""<html><head></head><body><script>
      fetch({json.dumps(path_of(refused.url))}, {{method: "POST", body: "pageNum=1"}});  // past the hook
    </script></body></html>"""
    site.set(path_of(refused.capture_page or ""), Page(fetch_page.encode()))
    (silent, blocked), _ = list_pages(chromium.model_copy(update={"page_timeout_s": 3.0}), [quiet, refused])
    assert silent.outcome is FetchOutcome.ERROR
    assert "from the list page" in (silent.reason or "") and "did not request /zdyz/getOpinionList" in silent.reason
    assert blocked.outcome is FetchOutcome.BLOCKED and "412" in (blocked.reason or "")
    assert site.unsigned == 1


def test_page_n_is_the_page_s_own_form_or_json_body_with_the_page_field_changed():
    configured = RequestOptions(method="POST", form={"pageNum": "3", "pageSize": "20"})
    form = PageRequest("POST", {"Content-Type": "application/x-www-form-urlencoded"}, "pageNum=1&pageSize=10&q=")
    assert form.paged(configured, "pageNum", 3).form == {"pageNum": "3", "pageSize": "10", "q": ""}
    body = PageRequest("POST", {"content-type": "application/json;charset=UTF-8"}, '{"pageNum": 1, "size": 10}')
    paged = body.paged(configured, "pageNum", 3)
    assert paged.json_body == {"pageNum": 3, "size": 10} and paged.form is None
    for other in (PageRequest("GET", {}, None), PageRequest("POST", {"content-type": "text/plain"}, "x")):
        assert other.paged(configured, "pageNum", 3) is configured  # the configured request, as it is
