"""Fetch modes: how a source's page is obtained. Each mode is registered under the name used in sources.toml.

- http: the plain client only (with a browser's hand-off cookies when there are some for the host);
- browser: the browser, unless cookies it handed off still open the host (never for a captured request: only
  the site's own page can make it);
- auto: the plain client first, the browser only when a challenge is recognised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from monitor.fetch.browser import BrowserFetcher, BrowserRequest
from monitor.fetch.http import HttpFetcher, RequestOptions, host_of
from monitor.values import Fetched, FetchedBy, FetchOutcome

ModeFn = Callable[[HttpFetcher, BrowserFetcher | None, str, RequestOptions, BrowserRequest], Awaitable[Fetched]]


@dataclass(frozen=True)
class FetchMode:
    name: str
    description: str
    run: ModeFn


MODES: dict[str, FetchMode] = {}


def mode(name: str, description: str) -> Callable[[ModeFn], ModeFn]:
    def register(fn: ModeFn) -> ModeFn:
        MODES[name] = FetchMode(name, description, fn)
        return fn

    return register


async def fetch_by_mode(
    name: str,
    http: HttpFetcher,
    browser: BrowserFetcher | None,
    url: str,
    options: RequestOptions,
    request: BrowserRequest | None = None,
) -> Fetched:
    return await MODES[name].run(http, browser, url, options, request or BrowserRequest())


@mode("http", "plain HTTP client (uses a browser's hand-off cookies when it has some for the host)")
async def _http(
    http: HttpFetcher, browser: BrowserFetcher | None, url: str, options: RequestOptions, request: BrowserRequest
) -> Fetched:
    return await http.fetch(url, options)


@mode("browser", "a real browser; its cookies then serve the plain client until the host challenges again")
async def _browser(
    http: HttpFetcher, browser: BrowserFetcher | None, url: str, options: RequestOptions, request: BrowserRequest
) -> Fetched:
    host = host_of(url)
    if request.capture is None and http.handoff.get(host) is not None and not http.handoff.browser_only(host):
        fetched = await http.fetch(url, options)
        if not fetched.is_challenge:
            return fetched
        return await _through_browser(browser, url, options, request, fetched)
    return await _through_browser(browser, url, options, request, None)


@mode("auto", "plain HTTP first; the browser only when the answer is a recognised JS challenge")
async def _auto(
    http: HttpFetcher, browser: BrowserFetcher | None, url: str, options: RequestOptions, request: BrowserRequest
) -> Fetched:
    fetched = None
    if not http.handoff.browser_only(host_of(url)):  # cookies alone did not get us in lately: no wasted request
        fetched = await http.fetch(url, options)
        if not fetched.is_challenge:
            return fetched
    return await _through_browser(browser, url, options, request, fetched)


async def _through_browser(
    browser: BrowserFetcher | None,
    url: str,
    options: RequestOptions,
    request: BrowserRequest,
    challenged: Fetched | None,
) -> Fetched:
    """The browser's answer; when it fails, the challenge stays the headline and the browser's failure the detail."""
    if browser is None:
        reason = "no browser is configured to pass it"
        if challenged is None:
            return Fetched.failed(url, reason, mode=FetchedBy.BROWSER)
        return dataclasses.replace(challenged, reason=f"{challenged.reason}; {reason}")
    browsed = await browser.fetch(url, options, request, follow_up=challenged is not None)
    if challenged is None or browsed.outcome is not FetchOutcome.ERROR:
        return browsed
    return dataclasses.replace(
        challenged,
        reason=f"{challenged.reason}; the browser did not get past it: {browsed.reason}",
        elapsed_s=challenged.elapsed_s + browsed.elapsed_s,
        mode=FetchedBy.BROWSER,
    )
