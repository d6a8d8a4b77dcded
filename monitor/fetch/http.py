"""The HTTP fetcher: one shared httpx.AsyncClient, conditional GET, retries with backoff, size cap."""

from __future__ import annotations

import asyncio
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
from monitor.fetch.blocked import block_reason
from monitor.fetch.charset import decode
from monitor.fetch.politeness import HostGate
from monitor.fetch.tls import tls_verification
from monitor.values import Fetched, FetchOutcome

log = logging.getLogger(__name__)


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


class HttpFetcher:
    def __init__(self, settings: FetchSettings | None = None, gate: HostGate | None = None) -> None:
        self.settings = settings or FetchSettings()
        self.gate = gate or HostGate(self.settings.per_host_concurrency, self.settings.per_host_min_delay_s)
        # one client per TLS trust setting: httpx fixes certificate verification per client
        self._clients: dict[tuple[str | None, bool], httpx.AsyncClient] = {}

    def _client(self, options: RequestOptions) -> httpx.AsyncClient:
        key = (options.ca_file, options.insecure_tls)
        if key not in self._clients:
            self._clients[key] = httpx.AsyncClient(
                follow_redirects=True,
                timeout=httpx.Timeout(self.settings.timeout_s),
                headers={"User-Agent": self.settings.user_agent, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                verify=tls_verification(options.ca_file, options.insecure_tls),
            )
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
        headers = dict(options.headers)
        if options.etag:
            headers["If-None-Match"] = options.etag
        if options.last_modified:
            headers["If-Modified-Since"] = options.last_modified
        host = urlsplit(url).netloc.lower()
        started = time.monotonic()
        attempts = self.settings.retries + 1
        last_error = "no attempt made"
        for attempt in range(attempts):
            try:
                async with self.gate.slot(host, options.min_delay_s):
                    response, content = await self._send(url, options, headers)
            except TooLarge:
                return self._failed(url, f"response larger than {self.settings.max_bytes} bytes", started)
            except (httpx.TransportError, ssl.SSLError) as exc:
                last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                delay = None
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return self._fetched(url, response, content, options, started)
                last_error = f"HTTP {response.status_code}"
                delay = _retry_after(response, cap=60.0)
                if response.status_code == 429 or attempt == attempts - 1:
                    return self._fetched(url, response, content, options, started)
            if attempt < attempts - 1:
                backoff = delay if delay is not None else self.settings.backoff_s * (2**attempt)
                await asyncio.sleep(backoff * random.uniform(0.75, 1.25))
                log.info("retrying %s after %s (attempt %d/%d)", url, last_error, attempt + 2, attempts)
        return self._failed(url, last_error, started)

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
        text, encoding = decode(content, response.headers.get("content-type"), options.encoding)
        if reason := block_reason(response.status_code, text):
            return Fetched(
                outcome=FetchOutcome.BLOCKED, content=content, text=text, encoding=encoding, reason=reason, **common
            )
        if response.status_code >= 400:
            return Fetched(
                outcome=FetchOutcome.ERROR,
                content=content,
                text=text,
                encoding=encoding,
                reason=f"HTTP {response.status_code}",
                **common,
            )
        return Fetched(outcome=FetchOutcome.OK, content=content, text=text, encoding=encoding, **common)

    def _failed(self, url: str, reason: str, started: float) -> Fetched:
        return Fetched(
            url=url,
            final_url=url,
            status=0,
            outcome=FetchOutcome.ERROR,
            reason=reason,
            elapsed_s=time.monotonic() - started,
        )
