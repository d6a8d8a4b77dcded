"""The browser's only way out: a proxy on 127.0.0.1 for one visit, applying the address policy (`netpolicy`)
to every request before it leaves.

Chromium follows a redirect before any Playwright route sees it, and it resolves names with its own
resolver; a route can neither stop a redirect to a private address nor pin the address it checked. Through
this proxy, every request of the visit — navigations, redirects, scripts, XHR — names its destination
first (`CONNECT host:port`, or an absolute URL for plain HTTP); the proxy resolves that name once, refuses
a private or local address the request may not reach, and connects to the address it checked. A refused
request is answered with a closed tunnel: nothing is sent to that address, nothing is read from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024  # a request line and headers; Chromium's are a few hundred bytes
_CHUNK = 64 * 1024
_HOP_BY_HOP = frozenset({b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"})


@dataclass(frozen=True)
class Route:
    """Where a request may go: the addresses to dial, or why it may not go anywhere."""

    addresses: list[str]
    refused: str | None = None


Decide = Callable[[httpx.URL], Awaitable[Route]]


class Egress:
    """An HTTP proxy on a free loopback port, for the length of one visit (`async with`)."""

    def __init__(self, decide: Decide, connect_timeout_s: float = 10.0) -> None:
        self._decide = decide
        self._connect_timeout_s = connect_timeout_s
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    async def __aenter__(self) -> Egress:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # asyncio.start_server would not cancel a callback's task on close: keep them to cancel at the end
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await _read_head(reader)
            if head is None:
                return
            tunnel, url, forward = _target(head)
            if url is None:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            route = await self._decide(url)
            if route.refused is not None:
                log.debug("%s", route.refused)
                if tunnel:
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n")
                return  # plain HTTP: an empty answer, so nothing can be taken for the page
            opened = await self._open(route.addresses, url.port or (443 if tunnel else 80))
            if opened is None:
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
                return
            up_reader, upstream = opened
            if tunnel:
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                upstream.write(forward)
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            log.debug("browser proxy: %s", exc)
        finally:
            for stream in (upstream, writer):
                if stream is not None:
                    stream.close()

    async def _open(self, addresses: list[str], port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for address in addresses:
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(self._connect_timeout_s):
                    return await asyncio.open_connection(address, port)
        return None


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await reader.read(4096)
        if not chunk:
            return None
        head += chunk
        if len(head) > _MAX_HEAD:
            raise ValueError("request head too large")
    return head


def _target(head: bytes) -> tuple[bool, httpx.URL | None, bytes]:
    """(a tunnel?, the destination, what to send upstream for plain HTTP) of a proxy request's head."""
    first, _, rest = head.partition(b"\r\n")
    parts = first.split(b" ")
    if len(parts) != 3:
        return False, None, b""
    method, target, version = parts
    try:
        if method == b"CONNECT":
            return True, httpx.URL(f"https://{target.decode('ascii')}/"), b""
        url = httpx.URL(target.decode("ascii"))
    except (httpx.InvalidURL, UnicodeDecodeError):
        return False, None, b""
    if url.scheme != "http" or not url.host:
        return False, None, b""
    # origin-form upstream, one request per connection (a proxy connection may go on to other hosts)
    headers, _, body = rest.partition(b"\r\n\r\n")
    kept = [line for line in headers.split(b"\r\n") if line.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP]
    request_line = b" ".join((method, url.raw_path, version))
    forward = b"\r\n".join((request_line, *kept, b"Connection: close")) + b"\r\n\r\n" + body
    return False, url, forward


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
    finally:
        if sink.can_write_eof():
            with contextlib.suppress(OSError):
                sink.write_eof()
