"""A real browser for sites behind a JS cookie challenge: Playwright driving the system's Chromium.

One browser is launched on first need and shared; every fetch gets its own short-lived context and page, so
no state leaks between sites. The cookies (and User-Agent) a fetch earned are handed to the HTTP client,
which then serves that host cheaply until the challenge comes back. A browser left unused for `idle_close_s`
is closed, driver and all, and launched again by the next fetch that needs it (a spent cookie, a
`fetch = "browser"` source): most polls of a guarded host are the plain client's, so the browser's few
hundred MB are not held between challenges. A browser that dies is replaced on the next fetch. Nothing is
downloaded: the executable is Debian's `chromium` (or a Chrome reached over CDP).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from monitor.config.settings import BrowserSettings
from monitor.fetch import egress, netpolicy
from monitor.fetch.blocked import outcome_of
from monitor.fetch.browserprocs import chromium_processes, pss_kb
from monitor.fetch.http import HttpFetcher, RequestOptions, host_of
from monitor.fetch.xvfb import Xvfb
from monitor.values import Fetched, FetchedBy, FetchOutcome

if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Frame,
        Page,
        Playwright,
        ProxySettings,
        Request,
        Response,
        Route,
    )

log = logging.getLogger(__name__)

# Quiet, lean Chromium: no sync, component updates, extensions or background traffic of its own; QUIC off so
# every request goes over the same TCP path as the HTTP client's. The sandbox needs user namespaces, which the
# hardened service unit (and most containers) do not grant. One renderer process: a page reads one site (the
# route below aborts every other), so isolating sites from each other buys nothing here, and the limit also
# stops Chromium keeping a spare renderer warm. Contexts cannot share a renderer, so each open page (at most
# `max_pages`) still has its own, besides the one the browser's interface itself uses. (Features such as
# that interface's omnibox pop-up cannot be switched off here: a second --disable-features would replace
# Playwright's own list rather than add to it.) Without a GPU, the GPU process only composites in software,
# which the browser process can do itself: one process fewer.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--in-process-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--disable-quic",
    "--renderer-process-limit=1",
    "--disable-site-isolation-trials",
    # WebRTC would send UDP (STUN) straight to any address a page names, past the proxy and its policy
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--force-webrtc-ip-handling-policy",
)
_SHARED_SUFFIXES = frozenset({"gov.cn", "org.cn", "com.cn", "edu.cn", "net.cn", "ac.cn"})
# not needed to pass a challenge or read a list, and what most of a page's bytes and a renderer's memory go to
_SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})
# A challenge page reloads itself as soon as its script has run; one that sits loaded this long will not.
_STALL_S = 1.0
_POLL_S = 0.05
_START_TIMEOUT_S = 60.0  # launching or attaching; separate from the per-page timeout
_GRACE_S = 5.0  # beyond the page timeout, for closing the page after it
_CLOSE_TIMEOUT_S = 10.0  # a browser that will not close in this long goes with its driver, which kills it
# Headers a page's fetch() may not set (the browser supplies them itself).
_FORBIDDEN_HEADERS = frozenset(
    {"referer", "cookie", "host", "origin", "user-agent", "content-length", "connection", "accept-encoding"}
)
# The page's own XMLHttpRequest, as a jQuery page calls its API: anti-bot scripts hook XMLHttpRequest.open to
# add their token to the URL, and a fetch() of ours may pass them by.
_PAGE_REQUEST = """({url, method, headers, body}) => new Promise((resolve, reject) => {
  const xhr = new XMLHttpRequest();
  xhr.open(method, url, true);
  for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
  xhr.onload = () => {
    const seen = {};
    for (const line of xhr.getAllResponseHeaders().trim().split(/[\\r\\n]+/)) {
      const at = line.indexOf(": ");
      if (at > 0) seen[line.slice(0, at).toLowerCase()] = line.slice(at + 2);
    }
    resolve({status: xhr.status, url: xhr.responseURL, headers: seen, text: xhr.responseText});
  };
  xhr.onerror = () => reject(new Error("the page's request to " + url + " failed"));
  xhr.send(body);
})"""


@dataclass(frozen=True)
class BrowserRequest:
    """How the browser approaches a source: what proves the list is there, and where to call an API from."""

    wait_for: str | None = None  # CSS selector present only on the real page
    headless: bool | None = None  # None: the deployment's default
    in_page: bool = False  # issue the request with the page's own XMLHttpRequest (JSON APIs, POSTs)
    landing_url: str | None = None  # the page of the site to call it from (default: the site's root)
    # a list page whose own script requests the URL: its answer is captured; with `page` (form field, N), page
    # N is then asked from that page, as its own request was but for that field
    capture: str | None = None
    page: tuple[str, int] | None = None


@dataclass
class _Answer:
    status: int
    final_url: str
    headers: dict[str, str]
    text: str
    cookies: dict[str, str] = field(default_factory=dict)
    user_agent: str = ""
    passed: bool = True  # the real page (not the challenge) was on screen
    note: str | None = None  # what went wrong on the way, when something did
    where: str | None = None  # which page answered, when not the one asked for


def browser_unavailable(settings: BrowserSettings) -> str | None:
    """Why browser fetches cannot work here, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed"
    if settings.cdp_url is None and not os.access(settings.executable_path, os.X_OK):
        return (
            f"no Chromium at {settings.executable_path} "
            "(install Debian's chromium package, or set [browser] executable_path or cdp_url)"
        )
    return None


class BrowserFetcher:
    def __init__(self, settings: BrowserSettings, http: HttpFetcher) -> None:
        self.settings = settings
        self.http = http  # shares the host gate, back-off and cookie hand-off
        self._pages = asyncio.Semaphore(settings.max_pages)
        self._starting = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browsers: dict[str, Browser] = {}
        self._user_agents: dict[str, str | None] = {}
        self._xvfb: Xvfb | None = None
        # idle closing: fetches under way (waiting for or holding a page) keep the browser; each fetch bumps
        # the generation, so a close armed before it finds it stale and leaves the browser be
        self._busy = 0
        self._generation = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_close: asyncio.Task[None] | None = None
        self._closing = False
        self.launches = 0  # browsers started (or attached), restarts included
        self.idle_closes = 0  # times the browser was closed for want of use
        self.last_launch_s: float | None = None

    async def __aenter__(self) -> BrowserFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        async with self._starting:  # after an idle close under way, if one is
            await self._close_all()
        if self._idle_close is not None and not self._idle_close.done():  # woke too late: nothing left to close
            self._idle_close.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_close

    @property
    def running(self) -> bool:
        """Is a browser (or at least Playwright's driver) up?"""
        return bool(self._browsers) or self._playwright is not None

    @property
    def closing(self) -> bool:
        """Is the idle browser being closed right now?"""
        return self._closing

    async def _close_all(self) -> None:
        """Close the browsers, Playwright's driver and Xvfb; the caller holds `_starting`."""
        for browser in self._browsers.values():
            try:
                async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                    await browser.close()  # for a CDP-attached Chrome: disconnects, leaves it running
            except Exception as exc:  # already gone, or stuck: the driver's exit takes it down
                log.debug("closing the browser: %s", exc)
        self._browsers.clear()
        self._user_agents.clear()
        await self._drop_driver()
        if self._xvfb is not None:
            await asyncio.to_thread(self._xvfb.stop)
            self._xvfb = None

    def _release(self) -> None:
        """A fetch is done with the browser; the last one out arms the idle close."""
        self._busy -= 1
        if self._busy or not self.settings.idle_close_s or not self.running:
            return
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.settings.idle_close_s, self._start_idle_close, self._generation)

    def _start_idle_close(self, generation: int) -> None:
        self._idle_timer = None
        if self._idle_close is None or self._idle_close.done():  # the task is kept so it is not collected
            self._idle_close = asyncio.create_task(self._close_if_idle(generation))

    async def _close_if_idle(self, generation: int) -> None:
        async with self._starting:  # a fetch arriving now waits here, then launches afresh
            if self._busy or generation != self._generation or not self.running:
                return
            processes = chromium_processes()
            weight_mb = pss_kb(processes) / 1024
            self._closing = True
            try:
                await self._close_all()
            finally:
                self._closing = False
            self.idle_closes += 1
        log.info(
            "closed the browser after %.0f s unused (%d processes, %.0f MB PSS); the next fetch that needs it "
            "starts it again",
            self.settings.idle_close_s,
            len(processes),
            weight_mb,
        )

    async def fetch(
        self, url: str, options: RequestOptions, request: BrowserRequest | None = None, follow_up: bool = False
    ) -> Fetched:
        """The page as a browser gets it. `follow_up`: the host has just answered us with a challenge, which
        a browser would pass at once, so the visit does not wait out the host's spacing."""
        request = request or BrowserRequest()
        host = host_of(url)
        started = time.monotonic()
        if waiting := self.http.backing_off(url, host, started, mode=FetchedBy.BROWSER):
            return waiting
        if reason := browser_unavailable(self.settings):
            return _failed(url, f"no browser here: {reason}", started)
        self._busy += 1
        self._generation += 1
        try:
            async with self.http.gate.slot(host, options.min_delay_s, spaced=not follow_up), self._pages:
                answer = await self._visit_with_restart(url, options, request)
        finally:
            self._release()
        if isinstance(answer, str):
            return _failed(url, answer, started)
        return self.http.note_refusal(host, self._fetched(url, host, answer, options, started))

    async def _visit_with_restart(self, url: str, options: RequestOptions, request: BrowserRequest) -> _Answer | str:
        """The page's answer, or why there is none; a browser that died under us is replaced once."""
        from playwright.async_api import Error as PlaywrightError

        key = self._key(request)
        for attempt in (1, 2):
            try:
                browser, user_agent = await self._browser(key)
            except Exception as exc:
                return f"the browser did not start: {_short(exc)}"
            try:
                # the page's own waits are bounded; this also bounds a page whose script never lets go
                async with asyncio.timeout(self.settings.page_timeout_s + _GRACE_S):
                    return await self._visit(browser, user_agent, url, options, request, proxied=key != "cdp")
            except TimeoutError:
                return f"the page did not finish within the {self.settings.page_timeout_s:.0f} s page timeout"
            except _Refused as exc:
                return str(exc)
            except PlaywrightError as exc:
                if not _gone(browser, exc) or attempt == 2:
                    return f"browser fetch failed: {_short(exc)}"
                log.warning("the browser died during a fetch of %s; starting a new one", url)
                await self._forget(key, browser)
        raise AssertionError("unreachable")

    async def _drop_driver(self) -> None:
        if self._playwright is not None:
            try:
                await self._playwright.stop()
            except Exception as exc:
                log.debug("stopping the Playwright driver: %s", exc)
            self._playwright = None

    async def _forget(self, key: str, browser: Browser) -> None:
        """Drop a dead browser so that the next fetch starts a new one."""
        async with self._starting:
            if self._browsers.get(key) is browser:
                del self._browsers[key]
        try:
            await browser.close()
        except Exception as exc:  # it is dead already; closing only tidies the driver's side
            log.debug("closing a dead browser: %s", exc)

    def _key(self, request: BrowserRequest) -> str:
        if self.settings.cdp_url:
            return "cdp"
        headless = self.settings.headless if request.headless is None else request.headless
        return "headless" if headless else "headed"

    async def _browser(self, key: str) -> tuple[Browser, str | None]:
        async with self._starting:
            browser = self._browsers.get(key)
            if browser is not None and browser.is_connected():
                return browser, self._user_agents[key]
            if browser is not None:
                log.warning("the %s browser is gone; starting a new one", key)
            if self._playwright is None:
                from playwright.async_api import async_playwright

                self._playwright = await async_playwright().start()
            started = time.monotonic()
            try:
                browser = await self._start(self._playwright, key)
            except Exception:
                if not any(other.is_connected() for other in self._browsers.values()):
                    await self._drop_driver()  # if it was Playwright's driver that died, the next try starts anew
                raise
            self._browsers[key] = browser
            self._user_agents[key] = await _regular_user_agent(browser) if key == "headless" else None
            self.launches += 1
            self.last_launch_s = time.monotonic() - started
            log.info("%s browser ready in %.2f s (%s)", key, self.last_launch_s, browser.version)
            return browser, self._user_agents[key]

    async def _start(self, playwright: Playwright, key: str) -> Browser:
        timeout_ms = _START_TIMEOUT_S * 1000
        if key == "cdp":
            assert self.settings.cdp_url is not None
            return await playwright.chromium.connect_over_cdp(self.settings.cdp_url, timeout=timeout_ms)
        env: dict[str, str | float | bool] | None = None
        if key == "headed":
            if self._xvfb is None:
                self._xvfb = Xvfb()
            display = await asyncio.to_thread(self._xvfb.start)
            env = {**os.environ, "DISPLAY": display}
        return await playwright.chromium.launch(
            executable_path=self.settings.executable_path,
            headless=key == "headless",
            args=[*CHROMIUM_FLAGS, *self.settings.extra_args],
            env=env,
            timeout=timeout_ms,
            # the daemon drains in-flight checks on SIGTERM: the browser must outlive the signal
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
        )

    async def _visit(
        self,
        browser: Browser,
        user_agent: str | None,
        url: str,
        options: RequestOptions,
        request: BrowserRequest,
        proxied: bool,
    ) -> _Answer:
        """One visit in a fresh context. A browser launched here reaches the network only through this
        visit's `egress` proxy; an attached one (over CDP) may not reach our loopback, so it has the routes'
        checks and the redirect verdict alone."""
        from playwright.async_api import Error as PlaywrightError

        deadline = time.monotonic() + self.settings.page_timeout_s
        reach = _Reach(url, self.http.settings.allow_private)
        async with contextlib.AsyncExitStack() as stack:
            proxy: ProxySettings | None = None
            if proxied:
                way_out = await stack.enter_async_context(egress.Egress(reach.route, reach.failed))
                # Chromium sends loopback requests past any proxy unless told not to
                proxy = {"server": way_out.url, "bypass": "<-loopback>"}
            context = await browser.new_context(
                user_agent=user_agent, locale="zh-CN", ignore_https_errors=options.insecure_tls, proxy=proxy
            )
            stack.push_async_callback(context.close)  # closed before its proxy
            context.on("request", reach.redirected)
            try:
                return await self._navigate(context, url, options, request, reach, deadline)
            except PlaywrightError as exc:
                # a navigation the proxy refused or could not connect fails in Chromium with a code of its own
                # (an empty answer, a failed tunnel, a 502): say why, not how Chromium saw it
                if why := await reach.verdict() or reach.problem(str(exc)):
                    raise _Refused(why) from None
                raise

    async def _navigate(
        self,
        context: BrowserContext,
        url: str,
        options: RequestOptions,
        request: BrowserRequest,
        reach: _Reach,
        deadline: float,
    ) -> _Answer:
        context.set_default_timeout(self.settings.page_timeout_s * 1000)
        await context.route("**/*", _same_site_only(url, reach))
        page = await context.new_page()
        watch = _Navigations(page)
        target = _with_params(url, options.params)
        if request.capture:
            answer, own = await _capture(page, watch, request.capture, target, deadline)
            if request.page is not None and own is not None and answer.status == 200:  # the page got in
                field_name, number = request.page
                answer = await _call_from_page(page, target, own.paged(options, field_name, number))
        elif request.in_page:
            landing = request.landing_url or _origin(url) + "/"
            answer = await _open(page, watch, landing, None, deadline)
            if answer.passed:
                answer = await _call_from_page(page, target, options)
            else:
                answer.where = f"at the landing page {landing}"
        else:
            answer = await _open(page, watch, target, request.wait_for, deadline)
        if refused := await reach.verdict():
            raise _Refused(refused)
        answer.cookies = {c.get("name", ""): c.get("value", "") for c in await context.cookies([url])}
        answer.user_agent = await page.evaluate("navigator.userAgent")
        return answer

    def _fetched(self, url: str, host: str, answer: _Answer, options: RequestOptions, started: float) -> Fetched:
        content = answer.text.encode("utf-8")
        if len(content) > self.http.settings.max_bytes:
            return _failed(url, f"response larger than {self.http.settings.max_bytes} bytes", started)
        outcome, block, reason = outcome_of(answer.status, answer.text, options.expect)
        if outcome is FetchOutcome.OK and answer.where:  # the landing page is not the answer asked for
            outcome, reason = FetchOutcome.ERROR, f"HTTP {answer.status}"
        if outcome is FetchOutcome.OK and answer.note:  # e.g. the list never appeared: let extraction judge
            log.debug("%s: %s", url, answer.note)
        if outcome is not FetchOutcome.OK:
            reason = "; ".join(filter(None, [" ".join(filter(None, [reason, answer.where])), answer.note]))
        if outcome is FetchOutcome.OK:
            self.http.handoff.give(host, answer.cookies, answer.user_agent)
        return Fetched(
            url=url,
            final_url=answer.final_url,
            status=answer.status,
            outcome=outcome,
            headers=answer.headers,
            content=content,
            text=answer.text,
            encoding="utf-8",
            etag=answer.headers.get("etag"),
            last_modified=answer.headers.get("last-modified"),
            elapsed_s=time.monotonic() - started,
            reason=reason,
            block=block,
            mode=FetchedBy.BROWSER,
        )


class _Navigations:
    """The main frame's documents as they come and go: the status of the one on screen, and when it loaded."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._last: tuple[int, dict[str, str]] | None = None
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.loaded_at: float | None = None
        self.navigations = 0
        page.on("response", self._response)
        page.on("framenavigated", self._navigated)
        page.on("load", self._loaded)

    def _response(self, response: Response) -> None:
        request = response.request
        if request.resource_type == "document" and request.frame == self._page.main_frame:
            self._last = (response.status, dict(response.headers))

    def _navigated(self, frame: Frame) -> None:
        if frame == self._page.main_frame and self._last is not None:
            self.status, self.headers = self._last
            self.loaded_at = None
            self.navigations += 1

    def _loaded(self, _page: Page) -> None:
        self.loaded_at = time.monotonic()

    def stalled(self, now: float) -> bool:
        return self.loaded_at is not None and now - self.loaded_at > _STALL_S


async def _open(page: Page, watch: _Navigations, url: str, wait_for: str | None, deadline: float) -> _Answer:
    """Navigate and wait until the real page is on screen: a 2xx document, loaded, showing `wait_for`.

    The challenge answers 412 with a page whose script sets a cookie and reloads; the real page then
    replaces it, possibly before the first navigation has even finished.
    """
    from playwright.async_api import Error as PlaywrightError

    try:
        await page.goto(url, wait_until="commit")
    except PlaywrightError as exc:
        if "interrupted by another navigation" not in str(exc):
            raise
    passed, note = True, None
    while not await _arrived(page, watch, wait_for):
        now = time.monotonic()
        if now >= deadline or watch.stalled(now):
            passed = False
            if now >= deadline:
                note = "the real page did not appear within the browser's page timeout"
            elif watch.status in (202, 412):
                note = "the challenge page loaded but did not reload into the real page"
            elif watch.status is not None and watch.status < 400 and wait_for:
                note = f"the page loaded but shows no '{wait_for}'"
            break
        await asyncio.sleep(_POLL_S)
    try:
        text = await page.content()
    except PlaywrightError:  # navigating right now: the document is between two pages
        await page.wait_for_load_state("domcontentloaded")
        text = await page.content()
    return _Answer(watch.status or 0, page.url, watch.headers, text, passed=passed, note=note)


async def _arrived(page: Page, watch: _Navigations, wait_for: str | None) -> bool:
    from playwright.async_api import Error as PlaywrightError

    if watch.status is None or not 200 <= watch.status < 400 or watch.status == 202:
        return False
    try:
        if await page.evaluate("document.readyState") == "loading":
            return False
        return wait_for is None or await page.query_selector(wait_for) is not None
    except PlaywrightError:  # the document went away under us: a navigation is under way
        return False


async def _call_from_page(page: Page, url: str, options: RequestOptions) -> _Answer:
    """The request issued by the page itself, so whatever the site's script adds to its requests is there."""
    headers = {k: v for k, v in options.headers.items() if k.lower() not in _FORBIDDEN_HEADERS}
    body: str | None = None
    if options.form is not None:
        body = urlencode(options.form)
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
    elif options.json_body is not None:
        body = json.dumps(options.json_body, ensure_ascii=False)
        headers.setdefault("Content-Type", "application/json;charset=UTF-8")
    result: dict[str, Any] = await page.evaluate(
        _PAGE_REQUEST, {"url": url, "method": options.method, "headers": headers, "body": body}
    )
    # the request as configured, not as the site's script may have decorated it
    return _Answer(int(result["status"]), url, dict(result["headers"]), str(result["text"]))


@dataclass(frozen=True)
class PageRequest:
    """The request a list page's own script made: what page N is asked with, but for the page number."""

    method: str
    headers: dict[str, str]
    body: str | None

    def paged(self, options: RequestOptions, field_name: str, number: int) -> RequestOptions:
        """Page `number` as the page itself would ask for it: its own form or JSON body with the page field
        changed (the configured request is the fallback, e.g. for a GET whose query carries the token)."""
        kind = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
        if self.method != "POST" or not self.body:
            return options
        if kind.startswith("application/x-www-form-urlencoded"):
            form = {**dict(parse_qsl(self.body, keep_blank_values=True)), field_name: str(number)}
            return dataclasses.replace(options, method="POST", form=form, json_body=None)
        if kind.startswith("application/json"):
            try:
                body = json.loads(self.body)
            except json.JSONDecodeError:
                return options
            if isinstance(body, dict):
                return dataclasses.replace(options, method="POST", form=None, json_body={**body, field_name: number})
        return options


async def _capture(
    page: Page, watch: _Navigations, list_url: str, url: str, deadline: float
) -> tuple[_Answer, PageRequest | None]:
    """Open the list page and take the answer to the request its own script makes to `url` (same path): the
    request as the site's script sent it, token and all. The first such answer counts, refused or not."""
    path = urlsplit(url).path
    answered: asyncio.Future[Response] = asyncio.get_running_loop().create_future()

    def seen(response: Response) -> None:
        kind = response.request.resource_type
        if not answered.done() and kind in ("xhr", "fetch") and urlsplit(response.url).path == path:
            answered.set_result(response)

    page.on("response", seen)
    try:
        opened = await _open(page, watch, list_url, None, deadline)
        if not answered.done() and not opened.passed:
            opened.where = "from the list page"
            return opened, None
        try:
            response = await asyncio.wait_for(asyncio.shield(answered), max(0.0, deadline - time.monotonic()))
        except TimeoutError:  # the page passed but never asked: its own text is not the answer (nor a challenge)
            note = f"the page did not request {path} within the browser's page timeout"
            return _Answer(
                opened.status, opened.final_url, opened.headers, "", where="from the list page", note=note
            ), None
        own = response.request
        # the address as configured: the token the site's script appended is of no use to anyone later
        answer = _Answer(response.status, url, dict(response.headers), await response.text())
        return answer, PageRequest(own.method, await own.all_headers(), own.post_data)
    finally:
        page.remove_listener("response", seen)


def _same_site_only(url: str, reach: _Reach) -> Any:
    """Let through the site's own documents, scripts and API calls; nothing from elsewhere, no images, and
    nothing on a private or local address but the page's own origin."""
    site = _site_of(urlsplit(url).hostname or "")

    async def handle(route: Route) -> None:
        request = route.request
        if request.resource_type in _SKIPPED_RESOURCES or _site_of(urlsplit(request.url).hostname or "") != site:
            await route.abort()
        elif reason := await reach.refusal(request.url):
            log.debug("%s", reason)
            await route.abort()
        else:
            await route.continue_()

    return handle


class _Refused(Exception):
    pass


class _Reach:
    """The address policy of one visit (`netpolicy`), decided once per origin: the `egress` proxy dials the
    addresses decided here, and routed requests are checked against the same decision. A redirect to a
    refused address ends the visit refused: the proxy never sent it, and nothing is read of it."""

    def __init__(self, url: str, allowed: list[str]) -> None:
        self._own = netpolicy.origin(httpx.URL(url))
        self._allowed = set(allowed)
        self._refused: str | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._origins: dict[str, egress.Route] = {}  # a page asks one static host many times: resolved once
        self._problems: dict[str, str] = {}  # host: why its requests went nowhere (refused, no connection)

    async def route(self, address: httpx.URL) -> egress.Route:
        here = netpolicy.origin(address)
        if here not in self._origins:
            addresses, refused = await netpolicy.checked_addresses(address, self._own, self._allowed)
            self._origins[here] = egress.Route(addresses, refused)
            if refused:
                self._problems[address.host] = refused
        return self._origins[here]

    def failed(self, address: httpx.URL, why: str) -> None:
        self._problems.setdefault(address.host, f"cannot connect to {address.host}: {why}")

    def problem(self, error: str) -> str | None:
        """Why the proxy let a navigation fail, if the browser's error names a host it had a problem with."""
        return next(
            (why for host, why in self._problems.items() if re.search(rf"//\[?{re.escape(host)}\]?[:/]", error)), None
        )

    async def refusal(self, url: str) -> str | None:
        try:
            address = httpx.URL(url)
        except httpx.InvalidURL:
            return None  # not an address Chromium could reach either
        return (await self.route(address)).refused

    def redirected(self, request: Request) -> None:
        if request.redirected_from is not None:
            task = asyncio.ensure_future(self._judge(request.url))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _judge(self, url: str) -> None:
        reason = await self.refusal(url)
        if reason and self._refused is None:
            self._refused = f"{reason} (a redirect in the browser)"

    async def verdict(self) -> str | None:
        if self._pending:
            await asyncio.gather(*self._pending)
        return self._refused


def _site_of(hostname: str) -> str:
    """www.nmpa.gov.cn and static.nmpa.gov.cn are one site (nmpa.gov.cn); an address is its own site."""
    name = hostname.lower()
    if ":" in name or name.replace(".", "").isdigit():
        return name
    parent = name.split(".", 1)[1] if "." in name else ""
    if parent.count(".") < 1 or parent in _SHARED_SUFFIXES:
        return name
    return parent


async def _regular_user_agent(browser: Browser) -> str | None:
    """The browser's User-Agent without the 'Headless' that challenge scripts single out."""
    page = await browser.new_page()
    try:
        agent: str = await page.evaluate("navigator.userAgent")
    finally:
        await page.close()
    return agent.replace("HeadlessChrome/", "Chrome/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _with_params(url: str, params: dict[str, str] | None) -> str:
    if not params:
        return url
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


def _gone(browser: Browser, exc: Exception) -> bool:
    """Did this error come from a browser that is no longer there (crashed, killed, disconnected)?"""
    text = str(exc).lower()
    return not browser.is_connected() or "has been closed" in text or "disconnected" in text or "crash" in text


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0]}" if first else type(exc).__name__


def _failed(url: str, reason: str, started: float) -> Fetched:
    return Fetched.failed(url, reason, elapsed_s=time.monotonic() - started, mode=FetchedBy.BROWSER)
