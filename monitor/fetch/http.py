"""The HTTP fetcher: one shared httpx.AsyncClient, conditional GET, retries with backoff, size cap.

It also honours what the browser learned about a host (cookies and User-Agent handed off after a challenge)
and the back-off of hosts that refused us.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import ssl
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor.config.settings import FetchSettings
from monitor.fetch import netpolicy
from monitor.fetch.backoff import HostBackoff, retry_note
from monitor.fetch.blocked import ListProbe, is_refusal, outcome_of
from monitor.fetch.charset import UndecodablePage, decode
from monitor.fetch.handoff import CookieHandoff
from monitor.fetch.politeness import HostGate
from monitor.fetch.tls import tls_verification
from monitor.values import Fetched, FetchedBy, FetchOutcome

log = logging.getLogger(__name__)

# After a refusal a host is asked one request at a time, at least this far apart, for the life of the process.


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class RequestOptions:
    method: str = "GET"
    form: dict[str, str] | None = None
    json_body: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None
    min_delay_s: float | None = None
    ca_file: str | None = None  # extra CA / intermediate certificates (PEM) trusted for this request
    insecure_tls: bool = False  # explicit opt-in: no certificate verification at all
    expect: ListProbe | None = None  # tells a real list from a challenge page that merely resembles one
    own_origin: str | None = None  # host:port of the source itself: reachable even when it is a private address


def _retry_after(response: httpx.Response, cap: float) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return min(float(value), cap)
    except ValueError:
        try:
            return min(max(0.0, parsedate_to_datetime(value).timestamp() - time.time()), cap)
        except (TypeError, ValueError):
            return None


def _is_text(content_type: str | None, content: bytes) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if content.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return False
    return not kind or kind.startswith("text/") or kind.endswith(("json", "xml", "javascript"))


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


class _ServerCookies(httpx.Cookies):
    """The client's cookie jar, which skips answers that set no cookie: httpx builds urllib's request and
    response objects for the jar on every answer, and for a page that sets none that costs a tenth of the
    request's CPU for nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def _set_cookies(response: httpx.Response, wanted: bool) -> dict[str, str]:
    return {cookie.name: cookie.value or "" for cookie in response.cookies.jar} if wanted else {}


class HttpFetcher:
    def __init__(
        self,
        settings: FetchSettings | None = None,
        gate: HostGate | None = None,
        backoff: HostBackoff | None = None,
        handoff: CookieHandoff | None = None,
        refused_spacing_s: float | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.gate = gate or HostGate(self.settings.per_host_concurrency, self.settings.per_host_min_delay_s)
        self.backoff = backoff or HostBackoff(self.settings.refusal_backoff_s, self.settings.refusal_backoff_max_s)
        self.handoff = handoff or CookieHandoff(self.settings.browser_only_h * 3600.0)
        self.refused_spacing_s = (
            self.settings.refused_host_spacing_s if refused_spacing_s is None else refused_spacing_s
        )
        # one client per TLS trust setting: httpx fixes certificate verification per client
        self._clients: dict[tuple[str | None, bool], httpx.AsyncClient] = {}

    def _client(self, options: RequestOptions) -> httpx.AsyncClient:
        key = (options.ca_file, options.insecure_tls)
        if key not in self._clients:
            client = self._clients[key] = httpx.AsyncClient(
                event_hooks={"request": [netpolicy.guard(set(self.settings.allow_private))]},
                follow_redirects=True,
                timeout=httpx.Timeout(self.settings.timeout_s),
                headers={"User-Agent": self.settings.user_agent, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
                transport=netpolicy.pinned_transport(
                    tls_verification(options.ca_file, options.insecure_tls),
                    httpx.Limits(max_connections=64, max_keepalive_connections=32),
                ),
            )
            # the jar httpx reads on every answer (its `cookies` setter would wrap ours in a plain one)
            client._cookies = _ServerCookies(client.cookies)
        return self._clients[key]

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def fetch(self, url: str, options: RequestOptions | None = None) -> Fetched:
        options = options or RequestOptions()
        if options.insecure_tls:
            log.warning("TLS certificate verification is OFF for %s (insecure_tls = true)", url)
        host = host_of(url)
        started = time.monotonic()
        if waiting := self.backing_off(url, host, started):
            return waiting
        headers = dict(options.headers)
        if options.etag:
            headers["If-None-Match"] = options.etag
        if options.last_modified:
            headers["If-Modified-Since"] = options.last_modified
        handoff = self.handoff.get(host)
        if handoff is not None:
            headers["User-Agent"] = handoff.user_agent
            headers["Cookie"] = handoff.cookie_header()
        fetched, set_cookies = await self._attempts(url, options, headers, started, handoff is not None)
        if handoff is not None:
            fetched = dataclasses.replace(fetched, mode=FetchedBy.HANDOFF)
            if fetched.is_challenge:
                self.handoff.revoke(host)
            elif fetched.outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED):
                self.handoff.served(host, set_cookies)
        return self.note_refusal(host, fetched)

    def backing_off(self, url: str, host: str, started: float, mode: FetchedBy = FetchedBy.HTTP) -> Fetched | None:
        """A `blocked` answer without asking, while the host is on back-off after refusing us."""
        remaining = self.backoff.remaining(host)
        if remaining <= 0:
            return None
        return Fetched.not_asked(
            url,
            f"{host} refused earlier requests; not asked again yet: {retry_note(remaining)}",
            remaining,
            elapsed_s=time.monotonic() - started,
            mode=mode,
        )

    def note_refusal(self, host: str, fetched: Fetched) -> Fetched:
        """Put a refusing host on back-off (and serialise it); a normal answer clears its strikes."""
        if fetched.outcome is FetchOutcome.BLOCKED and is_refusal(fetched.status):
            delay = self.backoff.refused(host, at_least_s=fetched.retry_after_s)
            self.gate.serialise(host, self.refused_spacing_s)
            log.warning("%s refused us (HTTP %d): backing off %.0f s", host, fetched.status, delay)
            return dataclasses.replace(
                fetched, reason=f"{fetched.reason}; backing off: {retry_note(delay)}", retry_after_s=delay
            )
        if fetched.outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED):
            self.backoff.cleared(host)
        return fetched

    async def _attempts(
        self, url: str, options: RequestOptions, headers: dict[str, str], started: float, cookies: bool = False
    ) -> tuple[Fetched, dict[str, str]]:
        """The answer, retried on 5xx and network errors, with the cookies the server set in it (read only when
        `cookies`: parsing Set-Cookie headers costs as much as the rest of a small answer)."""
        host = host_of(url)
        attempts = self.settings.retries + 1
        last_error = "no attempt made"
        for attempt in range(attempts):
            try:
                async with self.gate.slot(host, options.min_delay_s):
                    response, content = await self._send(url, options, headers)
            except TooLarge:
                return self._failed(url, f"response larger than {self.settings.max_bytes} bytes", started), {}
            except netpolicy.PrivateAddressRefused as exc:
                return self._failed(url, str(exc), started), {}
            except (httpx.TooManyRedirects, httpx.DecodingError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                # the answer itself is broken: asking again gives the same
                return self._failed(url, f"{type(exc).__name__}: {exc}", started), {}
            except (httpx.RequestError, ssl.SSLError) as exc:
                last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                delay = None
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return self._fetched(url, response, content, options, started), _set_cookies(response, cookies)
                last_error = f"HTTP {response.status_code}"
                delay = _retry_after(response, cap=60.0)
                if response.status_code == 429 or attempt == attempts - 1:
                    return self._fetched(url, response, content, options, started), _set_cookies(response, cookies)
            if attempt < attempts - 1:
                backoff = delay if delay is not None else self.settings.backoff_s * (2**attempt)
                await asyncio.sleep(backoff * random.uniform(0.75, 1.25))
                log.debug("retrying %s after %s (attempt %d/%d)", url, last_error, attempt + 2, attempts)
        return self._failed(url, last_error, started), {}

    async def _send(self, url: str, options: RequestOptions, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        client = self._client(options)
        request = client.build_request(
            options.method,
            url,
            headers=headers,
            params=options.params,
            data=options.form,
            json=options.json_body,
        )
        # the origin of the URL as the request parsed it, not parsed a second time
        request.extensions[netpolicy.EXTENSION] = options.own_origin or netpolicy.origin(request.url)
        response = await client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
                raise TooLarge
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.settings.max_bytes:
                    raise TooLarge
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response, b"".join(chunks)

    def _fetched(
        self, url: str, response: httpx.Response, content: bytes, options: RequestOptions, started: float
    ) -> Fetched:
        elapsed = time.monotonic() - started
        headers = {k.lower(): v for k, v in response.headers.items()}
        common = dict(
            url=url,
            final_url=str(response.url),
            status=response.status_code,
            headers=headers,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            elapsed_s=elapsed,
        )
        if response.status_code == 304:
            return Fetched(outcome=FetchOutcome.NOT_MODIFIED, **common)
        try:
            text, encoding = decode(content, response.headers.get("content-type"), options.encoding)
        except UndecodablePage as exc:  # a decoding problem, recorded as such: never garbage titles
            if not _is_text(response.headers.get("content-type"), content):
                text, encoding = content.decode("latin-1"), None  # a file (PDF, DOCX): its bytes are what count
            else:
                return Fetched.failed(url, f"undecodable page: {exc}", elapsed_s=elapsed)
        outcome, block, reason = outcome_of(response.status_code, text, options.expect)
        cap = self.settings.refusal_backoff_max_s
        retry_after = _retry_after(response, cap=cap) if is_refusal(response.status_code) else None
        return Fetched(
            outcome=outcome,
            content=content,
            text=text,
            encoding=encoding,
            reason=reason,
            block=block,
            retry_after_s=retry_after,
            **common,
        )

    def _failed(self, url: str, reason: str, started: float) -> Fetched:
        return Fetched.failed(url, reason, elapsed_s=time.monotonic() - started)
