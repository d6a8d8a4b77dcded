"""Browser mode against a real Chromium and the imitation challenge served on 127.0.0.1."""

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from monitor.check.interpret import ListProbe
from monitor.check.requests import SourceRequests, wait_selector
from monitor.config.settings import BrowserSettings
from monitor.fetch import BrowserFetcher, BrowserRequest, HttpFetcher, RequestOptions
from monitor.fetch.browser import CHROMIUM_FLAGS
from monitor.fetch.browserprocs import chromium_processes, descendants, process_role
from monitor.fetch.modes import fetch_by_mode
from monitor.testing.challengesite import QUERY_TOKEN, ChallengeSite
from monitor.testing.localsite import LocalSite, Page
from monitor.testing.mailsink import free_port
from monitor.values import FetchOutcome
from tests.helpers import ROOT, catalogue, items_of, quick_fetch, require, site_page, wait_for

LIST = "/xxgk/ggtg/index.html"
ROWS = "div.list ul li"

pytestmark = pytest.mark.browser


@pytest.fixture
def guarded():
    with ChallengeSite(uses=3) as served:
        served.set(LIST, Page(site_page("nmpa-ggtg.html")))
        yield served


def http_fetcher(**settings) -> HttpFetcher:
    return HttpFetcher(quick_fetch(timeout_s=10, **settings))


def nmpa(url: str):
    return catalogue()["nmpa-ggtg"].model_copy(update={"url": url})


def fetch_all(settings: BrowserSettings, mode: str, urls: list[str], request=None, options=None, http=None):
    """Fetch each URL in turn through one fetcher pair, as one running pipeline would."""

    async def go():
        async with http or http_fetcher() as plain, BrowserFetcher(settings, plain) as browser:
            results = [
                await fetch_by_mode(mode, plain, browser, url, options or RequestOptions(), request) for url in urls
            ]
            return results, browser.launches

    return asyncio.run(go())


def test_headless_chromium_passes_the_challenge_that_stops_plain_httpx(chromium, guarded):
    (plain,), _ = fetch_all(chromium, "http", [guarded.url(LIST)])
    assert plain.outcome is FetchOutcome.BLOCKED and "412" in (plain.reason or "")

    (browsed,), launches = fetch_all(chromium, "browser", [guarded.url(LIST)], BrowserRequest(wait_for=ROWS))
    assert browsed.outcome is FetchOutcome.OK and browsed.status == 200
    assert browsed.mode == "browser" and browsed.elapsed_s > 0 and launches == 1
    items = items_of(browsed, nmpa(guarded.url(LIST)))
    assert len(items) == 20
    assert guarded.passes == 1  # the reload after the script set its cookie


def test_cookies_handed_to_httpx_serve_until_the_site_challenges_again(chromium, guarded):
    url = guarded.url(LIST)
    results, launches = fetch_all(chromium, "auto", [url] * 4, BrowserRequest(wait_for=ROWS))
    assert [r.mode for r in results] == ["browser", "http+cookies", "http+cookies", "browser"]
    assert all(r.outcome is FetchOutcome.OK for r in results)
    assert launches == 1  # one shared browser
    with_cookies = [r for r in guarded.hits(LIST) if not r.headers.get("User-Agent", "").startswith("cgt-monitor")]
    agents = {r.headers["User-Agent"] for r in with_cookies}
    assert len(with_cookies) >= 4  # two browser reloads, two plain requests with the handed-off cookies
    assert len(agents) == 1 and "Headless" not in agents.pop()  # httpx spoke with the browser's voice


def test_a_small_page_that_passed_is_not_taken_for_the_challenge_it_still_carries(chromium):
    source = catalogue()["nhc-qjjys-rlyczygl"]
    path = "/" + source.url.split("/", 3)[3]
    with ChallengeSite() as site:
        site.set(path, Page(site_page("nhc-qjjys-rlyczygl.html")))
        local = source.model_copy(update={"url": site.url(path), "min_delay_s": 0.0})
        request = BrowserRequest(wait_for=wait_selector(local))
        results, _ = fetch_all(chromium, "auto", [local.url] * 2, request, RequestOptions(expect=ListProbe(local)))
    handed = results[1]
    assert handed.mode == "http+cookies" and handed.outcome is FetchOutcome.OK
    assert "$_ts" in handed.text and len(handed.text) < 20_000  # small, with the marker, and still the list
    assert len(items_of(handed, local)) > 0


def test_an_api_that_wants_signed_requests_is_called_from_inside_the_page(chromium):
    """Without a list page to capture from, the request is made from the Referer page with the page's own
    XMLHttpRequest, which the site's script signs."""
    api, landing = "/zdyz/getDomesticGuideList", "/zdyz/listpage/9cd8db3b7530c6fa0c86485e563f93c7"
    source = catalogue()["cde-guidelines"]
    with ChallengeSite(signed={api}) as site:
        site.set(api, Page(site_page("cde-guidelines.json"), content_type="application/json;charset=UTF-8"))
        site.set(landing, Page(b"<html><head></head><body>CDE</body></html>"))
        request = source.request.model_copy(
            update={"headers": {**source.request.headers, "Referer": site.url(landing)}}
        )
        changes = {"url": site.url(api), "min_delay_s": 0.0, "fetch": "auto", "capture": None, "request": request}
        local = source.model_copy(update=changes)

        async def go():
            async with http_fetcher() as plain, BrowserFetcher(chromium, plain) as browser:
                return [await SourceRequests(plain, browser).list_page(local) for _ in range(3)]

        results = asyncio.run(go())
        posts = [r for r in site.requests if r.method == "POST"]
    assert [r.outcome for r in results] == [FetchOutcome.OK] * 3
    assert [r.mode for r in results] == ["browser"] * 3
    assert all(len(items_of(r, local)) == 15 for r in results)
    unsigned = [r for r in posts if f"{QUERY_TOKEN}=" not in r.path]
    signed = [r for r in posts if f"{QUERY_TOKEN}=" in r.path]
    # the plain POST, then one try with the handed-off cookies; after that the host goes straight to the page
    assert len(unsigned) == 2 and len(signed) == 3
    assert all(b"pageNum=1" in r.body and r.headers.get("X-Requested-With") == "XMLHttpRequest" for r in signed)


def _browser_processes(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # a child may have its command line rewritten into one space-separated string
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        if marker.encode() in args and not any(a.startswith(b"--type=") for a in args):
            found.append(int(entry.name))
    return found


def test_a_browser_that_dies_is_replaced_on_the_next_fetch(chromium, guarded):
    marker = f"--cgt-monitor-test-marker={uuid.uuid4().hex}"  # an inert switch to find this browser's process
    settings = chromium.model_copy(update={"extra_args": [marker]})

    async def go():
        async with http_fetcher() as plain, BrowserFetcher(settings, plain) as browser:
            request = BrowserRequest(wait_for=ROWS)
            first = await browser.fetch(guarded.url(LIST), RequestOptions(), request)
            (pid,) = _browser_processes(marker)
            os.kill(pid, signal.SIGKILL)
            assert await asyncio.to_thread(wait_for, lambda: not _alive(pid))
            second = await browser.fetch(guarded.url(LIST), RequestOptions(), request)
            return first, second, browser.launches

    first, second, launches = asyncio.run(go())
    assert first.outcome is FetchOutcome.OK and second.outcome is FetchOutcome.OK
    assert launches == 2


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_max_pages_caps_the_pages_open_at_once(chromium):
    with LocalSite() as site:
        for n in range(3):
            site.set(f"/slow{n}.html", Page(b"<html><body><ul><li>row</li></ul></body></html>", delay_s=0.4))
        settings = chromium.model_copy(update={"max_pages": 1})

        async def go():
            async with http_fetcher(per_host_concurrency=8) as plain, BrowserFetcher(settings, plain) as browser:
                request = BrowserRequest(wait_for="li")
                return await asyncio.gather(
                    *(browser.fetch(site.url(f"/slow{n}.html"), RequestOptions(), request) for n in range(3))
                )

        results = asyncio.run(go())
        starts = sorted(r.at for r in site.requests if r.path.startswith("/slow"))
    assert all(r.outcome is FetchOutcome.OK for r in results)
    # one page at a time: each request started only after the previous page's 0.4 s answer had come
    assert len(starts) == 3 and all(later - earlier >= 0.4 for earlier, later in itertools.pairwise(starts))


def test_a_challenge_the_browser_cannot_pass_is_reported_blocked_promptly(chromium):
    # the recorded 412 page: its script is not served here, so nothing ever sets the cookie or reloads
    with LocalSite() as site:
        site.set(LIST, Page(site_page("nmpa-412-challenge.html"), status=412))
        (fetched,), _ = fetch_all(chromium, "auto", [site.url(LIST)], BrowserRequest(wait_for=ROWS))
    assert fetched.outcome is FetchOutcome.BLOCKED
    assert "412" in (fetched.reason or "") and "did not reload" in (fetched.reason or "")
    assert fetched.elapsed_s < chromium.page_timeout_s  # gave up on the stalled page, not on the timeout


def test_the_page_timeout_bounds_a_fetch(chromium):
    with LocalSite() as site:
        site.set("/slow.html", Page(b"<html><body>late</body></html>", delay_s=3.0))
        settings = chromium.model_copy(update={"page_timeout_s": 1.0})
        (fetched,), _ = fetch_all(settings, "browser", [site.url("/slow.html")])
    assert fetched.outcome is FetchOutcome.ERROR and "Timeout" in (fetched.reason or "")


def _our_xvfb() -> list[int]:
    """Xvfb processes started by this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if not stat:
            continue
        name, parent = stat[stat.index("(") + 1 : stat.rindex(")")], int(stat[stat.rindex(")") + 2 :].split()[1])
        if name == "Xvfb" and parent == os.getpid():
            found.append(int(entry.name))
    return found


def _listens_on(pid: int, socket_path: str) -> bool:
    """Does this process hold the Unix socket bound to `socket_path`?"""
    inodes = {
        fields[6]
        for fields in (line.split() for line in Path("/proc/net/unix").read_text().splitlines()[1:])
        if len(fields) >= 8 and fields[7] == socket_path
    }
    held = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    return any(f"socket:[{inode}]" in held for inode in inodes)


def test_a_non_headless_browser_runs_under_xvfb(chromium, guarded):
    require(None if _which("Xvfb") else "Xvfb is not installed (apt-get install xvfb)")
    marker = f"--cgt-monitor-test-marker={uuid.uuid4().hex}"
    settings = chromium.model_copy(update={"extra_args": [marker]})

    async def go():
        async with http_fetcher() as plain, BrowserFetcher(settings, plain) as browser:
            request = BrowserRequest(wait_for=ROWS, headless=False)
            fetched = await browser.fetch(guarded.url(LIST), RequestOptions(), request)
            (pid,) = _browser_processes(marker)
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            env = dict(
                line.split(b"=", 1) for line in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in line
            )
            display = env.get(b"DISPLAY", b"").decode()
            xvfb = _our_xvfb()
            owners = [pid for pid in xvfb if _listens_on(pid, f"/tmp/.X11-unix/X{display.lstrip(':')}")]
            return fetched, args, display, owners, xvfb

    fetched, args, display, owners, xvfb = asyncio.run(go())
    assert fetched.outcome is FetchOutcome.OK and guarded.passes == 1  # passed the challenge with a window
    assert not any(a.startswith(b"--headless") for a in args)
    assert display.startswith(":") and len(xvfb) == 1 and owners == xvfb  # the display of the Xvfb we started
    assert _our_xvfb() == []  # which went away with the browser


def _which(name: str) -> bool:
    return any(Path(d, name).exists() for d in os.environ.get("PATH", "").split(os.pathsep))


def test_an_existing_chrome_is_attached_over_cdp_and_left_running(chromium, guarded, tmp_path):
    port = free_port()
    chrome = subprocess.Popen(
        [
            chromium.executable_path,
            "--headless",
            f"--remote-debugging-port={port}",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={tmp_path / 'profile'}",
            *CHROMIUM_FLAGS,
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _answers(endpoint + "/json/version"), timeout=20)
        settings = chromium.model_copy(update={"cdp_url": endpoint})
        (fetched,), launches = fetch_all(settings, "browser", [guarded.url(LIST)], BrowserRequest(wait_for=ROWS))
        assert fetched.outcome is FetchOutcome.OK and launches == 1
        assert len(items_of(fetched, nmpa(guarded.url(LIST)))) == 20
        assert chrome.poll() is None and _answers(endpoint + "/json/version")  # still there for its owner
    finally:
        chrome.terminate()
        chrome.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


# --- the browser on a budget: closed when idle, one renderer, no images, fonts or media ---


def _tree_of(marker: str) -> list[int]:
    """The browser process started with `marker`, and every process below it."""
    return [pid for root in _browser_processes(marker) for pid in [root, *descendants(root)]]


def test_an_idle_browser_closes_its_cookies_serve_meanwhile_and_a_spent_cookie_relaunches_it(chromium, guarded):
    marker = f"--cgt-monitor-test-marker={uuid.uuid4().hex}"
    settings = chromium.model_copy(update={"idle_close_s": 1.0, "extra_args": [marker]})
    url = guarded.url(LIST)

    async def go():
        async with http_fetcher() as plain, BrowserFetcher(settings, plain) as browser:
            request = BrowserRequest(wait_for=ROWS)
            first = await fetch_by_mode("auto", plain, browser, url, RequestOptions(), request)
            tree = _tree_of(marker)
            assert browser.running and len(tree) > 1
            closed = await asyncio.to_thread(wait_for, lambda: not browser.running, 15)
            left = [pid for pid in tree if _alive(pid)]
            after_close = (closed, browser.idle_closes, left, _browser_processes(marker), chromium_processes())
            # the challenge's cookies are good for three uses: the browser's reload took one
            handed = [await fetch_by_mode("auto", plain, browser, url, RequestOptions(), request) for _ in "12"]
            closed_while_handed = not browser.running and _browser_processes(marker) == []
            again = await fetch_by_mode("auto", plain, browser, url, RequestOptions(), request)
            relaunched = len(_browser_processes(marker)) == 1
            return first, after_close, handed, closed_while_handed, again, relaunched, browser.launches

    first, after_close, handed, closed_while_handed, again, relaunched, launches = asyncio.run(go())
    closed, idle_closes, left, markers, ours = after_close
    assert first.outcome is FetchOutcome.OK and first.mode == "browser"
    assert closed and idle_closes == 1
    assert left == [] and markers == [] and ours == []  # no Chromium process (nor driver) outlived the close
    assert [h.mode for h in handed] == ["http+cookies"] * 2 and all(h.outcome is FetchOutcome.OK for h in handed)
    assert closed_while_handed  # the plain client served with the cookies alone
    assert again.outcome is FetchOutcome.OK and again.mode == "browser" and relaunched and launches == 2
    assert len(items_of(again, nmpa(url))) == 20
    assert guarded.passes == 4


def test_a_fetch_arriving_while_the_idle_browser_closes_gets_a_new_one(chromium, guarded):
    marker = f"--cgt-monitor-test-marker={uuid.uuid4().hex}"
    settings = chromium.model_copy(update={"idle_close_s": 0.5, "extra_args": [marker]})

    async def go():
        async with http_fetcher() as plain, BrowserFetcher(settings, plain) as browser:
            request = BrowserRequest(wait_for=ROWS)
            first = await browser.fetch(guarded.url(LIST), RequestOptions(), request)
            async with asyncio.timeout(15):
                while not browser.closing:  # fetch as soon as the close has begun, while it runs
                    await asyncio.sleep(0.005)
            second = await browser.fetch(guarded.url(LIST), RequestOptions(), request)
            # the second fetch's own idle period has not passed: its browser is still there
            still_up = browser.running and len(_browser_processes(marker)) == 1
            return first, second, still_up, browser.launches, browser.idle_closes, _tree_of(marker)

    first, second, still_up, launches, idle_closes, tree = asyncio.run(go())
    assert first.outcome is FetchOutcome.OK and second.outcome is FetchOutcome.OK
    assert launches == 2 and idle_closes == 1 and still_up
    assert len(tree) > 1 and not [pid for pid in tree if _alive(pid)]  # all of it closed with the fetcher


def test_a_page_is_served_by_one_renderer_process(chromium):
    marker = f"--cgt-monitor-test-marker={uuid.uuid4().hex}"
    settings = chromium.model_copy(update={"extra_args": [marker]})
    page = b'<html><body><ul><li>row</li></ul><script src="/slow.js"></script></body></html>'
    with LocalSite() as site:
        site.set("/list.html", Page(page))
        site.set("/slow.js", Page(b"document.body.dataset.done = 1;", "application/javascript", delay_s=1.5))
        seen: list[list[str]] = []

        async def go():
            async with http_fetcher() as plain, BrowserFetcher(settings, plain) as browser:
                fetching = asyncio.create_task(
                    browser.fetch(site.url("/list.html"), RequestOptions(), BrowserRequest(wait_for="body[data-done]"))
                )
                while not fetching.done():  # the page sits loading until its script comes
                    seen.append(await asyncio.to_thread(lambda: [process_role(p) for p in _tree_of(marker)]))
                    await asyncio.sleep(0.05)
                return await fetching

        fetched = asyncio.run(go())
    assert fetched.outcome is FetchOutcome.OK
    open_page = [roles for roles in seen if "renderer" in roles]
    assert len(open_page) >= 5  # sampled through the page's 1.5 s
    assert max(roles.count("renderer") for roles in seen) == 1  # no second renderer, nor a spare kept warm
    assert max(roles.count("ui-renderer") for roles in seen) <= 1  # the browser's own interface
    assert not any("gpu-process" in roles for roles in seen)  # composited in the browser process
    assert max(len(roles) for roles in seen) <= 8  # browser, its interface, the page, zygotes, utilities


def test_images_fonts_and_media_of_a_page_are_never_requested(chromium):
    # each element reports when its load is over, loaded or not: the page is read only after all three
    page = b"""<html><head><style>
    @font-face { font-family: shown; src: url(/font.woff2) format("woff2"); }
    body { font-family: shown; }
    </style></head><body><ul><li>row</li></ul>
    <img src="/picture.png" onload="done('img')" onerror="done('img')">
    <video src="/clip.mp4" preload="auto" onloadeddata="done('video')" onerror="done('video')"></video>
    <script src="/app.js"></script>
    <script>
    function done(what) { document.body.dataset[what] = 1; }
    document.fonts.load("1em shown").then(() => done("font"), () => done("font"));
    </script></body></html>"""
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
    )
    with LocalSite() as site:
        site.set("/list.html", Page(page))
        site.set("/app.js", Page(b"window.app = 1;", "application/javascript"))
        site.set("/picture.png", Page(png, "image/png"))
        site.set("/font.woff2", Page(b"not a font", "font/woff2"))
        site.set("/clip.mp4", Page(b"not a film", "video/mp4"))
        request = BrowserRequest(wait_for="body[data-img][data-video][data-font]")
        (fetched,), _ = fetch_all(chromium, "browser", [site.url("/list.html")], request)
        asked = {r.path for r in site.requests}
    assert fetched.outcome is FetchOutcome.OK and "<li>row</li>" in fetched.text
    assert "/list.html" in asked and "/app.js" in asked  # the page and its script were fetched
    assert not asked & {"/picture.png", "/font.woff2", "/clip.mp4"}


def test_a_pipeline_without_browser_fetches_never_imports_playwright(site):
    site.set("/list.html", Page(b"<html><body><ul><li>row</li></ul></body></html>"))
    code = f"""
import asyncio, sys
from monitor.config.settings import BrowserSettings
from monitor.fetch import BrowserFetcher, HttpFetcher, RequestOptions
from monitor.fetch.modes import fetch_by_mode
from tests.helpers import quick_fetch

async def go():
    async with HttpFetcher(quick_fetch()) as plain, BrowserFetcher(BrowserSettings(), plain) as browser:
        fetched = await fetch_by_mode("auto", plain, browser, {site.url("/list.html")!r}, RequestOptions())
        print(fetched.outcome.value, fetched.mode, browser.running, "playwright" in sys.modules)

asyncio.run(go())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.split() == ["ok", "http", "False", "False"], done.stderr


def test_a_page_in_the_browser_never_reaches_another_local_service(chromium):
    """The page's own origin is 127.0.0.1:A; its script asks 127.0.0.1:B, which is refused before it is sent,
    and a redirect to B ends the fetch refused: B is never asked."""
    with LocalSite() as site, LocalSite() as internal:
        internal.set(LIST, Page(site_page("nmpa-ggtg.html")))
        internal.set("/secret.json", Page(b'{"secret": 1}', "application/json"))
        script = f"fetch({internal.url('/secret.json')!r}).finally(() => document.body.dataset.done = 1);"
        site.set(
            "/page.html", Page(f"<html><body><ul><li>row</li></ul><script>{script}</script></body></html>".encode())
        )
        site.set("/moved.html", Page(b"", status=302, headers={"Location": internal.url(LIST)}))
        request = BrowserRequest(wait_for="body[data-done]")
        (asked_out, moved), _ = fetch_all(
            chromium, "browser", [site.url("/page.html"), site.url("/moved.html")], request
        )
        assert asked_out.outcome is FetchOutcome.OK and "<li>row</li>" in asked_out.text
        assert not internal.hits("/secret.json")  # refused before it was sent
        assert moved.outcome is FetchOutcome.ERROR
        assert "is a private or local address" in moved.reason and "redirect in the browser" in moved.reason
        assert not internal.hits(LIST)  # the browser's proxy refused the redirect before it was sent


def test_a_local_service_the_deployment_allows_is_reached_from_the_page(chromium):
    with LocalSite() as site, LocalSite() as internal:
        internal.set("/data.json", Page(b'{"rows": 1}', "application/json"))
        script = f"fetch({internal.url('/data.json')!r}).finally(() => document.body.dataset.done = 1);"
        site.set("/page.html", Page(f"<html><body><script>{script}</script></body></html>".encode()))
        allowing = http_fetcher(allow_private=[internal.base_url.split("//")[1]])
        (fetched,), _ = fetch_all(
            chromium, "browser", [site.url("/page.html")], BrowserRequest(wait_for="body[data-done]"), http=allowing
        )
        assert fetched.outcome is FetchOutcome.OK
        assert internal.hits("/data.json")


def test_the_browser_reaches_the_address_the_policy_resolved_not_its_own_resolvers(chromium, monkeypatch):
    """Names the machine cannot resolve, answered by the policy's resolver: the page loads only if Chromium
    went where the policy decided. `api.site.test` also resolves to loopback and is not the page's origin,
    so the page's call to it is refused before it is sent (no second answer for Chromium to rebind to)."""
    from monitor.fetch import netpolicy

    async def resolver(host, port):
        return ["127.0.0.1"] if host.endswith("site.test") else []

    monkeypatch.setattr(netpolicy, "_addresses", resolver)
    with LocalSite() as site, LocalSite() as internal:
        internal.set("/secret.json", Page(b'{"secret": 1}', "application/json"))
        api = f"http://api.site.test:{internal.base_url.rsplit(':', 1)[1]}/secret.json"
        script = f"fetch({api!r}).finally(() => document.body.dataset.done = 1);"
        site.set("/page.html", Page(f"<html><body><p>own</p><script>{script}</script></body></html>".encode()))
        page = f"http://www.site.test:{site.base_url.rsplit(':', 1)[1]}/page.html"
        (fetched,), _ = fetch_all(chromium, "browser", [page], BrowserRequest(wait_for="body[data-done]"))
        assert fetched.outcome is FetchOutcome.OK and "<p>own</p>" in fetched.text
        assert site.hits("/page.html") and not internal.hits("/secret.json")


def test_a_page_cannot_send_webrtc_packets_past_the_proxy(chromium):
    """STUN over UDP would go straight to the address a script names; the browser sends only what it can
    proxy, so a local UDP service hears nothing."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener, LocalSite() as site:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        script = (
            f"const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{port}'}}]}});"
            "pc.createDataChannel('x'); pc.createOffer().then(o => pc.setLocalDescription(o));"
            "setTimeout(() => document.body.dataset.done = 1, 1500);"
        )
        site.set("/page.html", Page(f"<html><body><p>own</p><script>{script}</script></body></html>".encode()))
        (fetched,), _ = fetch_all(
            chromium, "browser", [site.url("/page.html")], BrowserRequest(wait_for="body[data-done]")
        )
        assert fetched.outcome is FetchOutcome.OK
        with pytest.raises(TimeoutError):
            listener.recvfrom(2048)


def test_a_host_that_refuses_the_connection_is_reported_as_such_not_as_a_proxy_answer(chromium):
    with socket_bound() as port:  # bound, never listening: the connection is refused
        (fetched,), _ = fetch_all(chromium, "browser", [f"http://127.0.0.1:{port}/list.html"])
    assert fetched.outcome is FetchOutcome.ERROR
    assert fetched.reason.startswith(f"cannot connect to 127.0.0.1: 127.0.0.1:{port}: "), fetched.reason
    assert "refused" in fetched.reason.lower()


@contextlib.contextmanager
def socket_bound():
    import socket

    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]
