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
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024  # a request line and headers; Chromium's are a few hundred bytes
_CHUNK = 64 * 1024
_HEAD_TIMEOUT_S = 10.0  # a client that sends no request in this long is not Chromium
_HOP_BY_HOP = frozenset({b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"})


@dataclass(frozen=True)
class Route:
    """Where a request may go: the addresses to dial, or why it may not go anywhere."""

    addresses: list[str]
    refused: str | None = None


Decide = Callable[[httpx.URL], Awaitable[Route]]
Failed = Callable[[httpx.URL, str], None]  # told why a request got no connection, for the visit's error


class Egress:
    """An HTTP proxy on a free loopback port, for the length of one visit (`async with`)."""

    def __init__(self, decide: Decide, failed: Failed | None = None, connect_timeout_s: float = 10.0) -> None:
        self._decide = decide
        self._failed = failed or (lambda _url, _why: None)
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
            ask = _target(head)
            if ask is None:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            route = await self._decide(ask.url)
            if route.refused is not None:
                log.debug("%s", route.refused)
                if ask.tunnel:
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n")
                return  # plain HTTP: an empty answer, so nothing can be taken for the page
            opened = await self._open(route.addresses, ask.url.port or (443 if ask.tunnel else 80))
            if isinstance(opened, str):
                self._failed(ask.url, opened)
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
                return
            up_reader, upstream = opened
            if ask.tunnel:
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            upstream.write(ask.forward)
            outgoing = _pipe(reader, upstream) if ask.body_left is None else _send_body(reader, upstream, ask.body_left)
            await asyncio.gather(outgoing, _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            log.debug("browser proxy: %s", exc)
        finally:
            for stream in (upstream, writer):
                if stream is not None:
                    stream.close()

    async def _open(self, addresses: list[str], port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | str:
        """A connection to the first address that answers, or why none did."""
        if not addresses:
            return "the name does not resolve"
        # a dead address (a broken AAAA record, say) must not spend the whole page budget alone
        timeout = max(self._connect_timeout_s / len(addresses), 2.0)
        why = ""
        for address in addresses:
            try:
                async with asyncio.timeout(timeout):
                    return await asyncio.open_connection(address, port)
            except TimeoutError:
                why = f"{address}:{port} did not answer within {timeout:.0f} s"
            except OSError as exc:
                why = f"{address}:{port}: {os.strerror(exc.errno) if exc.errno else exc}"
        return why


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    head = b""
    async with asyncio.timeout(_HEAD_TIMEOUT_S):
        while b"\r\n\r\n" not in head:
            chunk = await reader.read(4096)
            if not chunk:
                return None
            head += chunk
            if len(head) > _MAX_HEAD:
                raise ValueError("request head too large")
    return head


@dataclass(frozen=True)
class _Ask:
    """A proxy request: its destination, what goes upstream first, and how much more of the client's
    bytes belong to it (None: all of them, a tunnel's or a chunked body's)."""

    tunnel: bool
    url: httpx.URL
    forward: bytes
    body_left: int | None


def _target(head: bytes) -> _Ask | None:
    """What a proxy request's head asks for, or None if it is not a request this proxy serves."""
    top, _, early = head.partition(b"\r\n\r\n")  # early: bytes the client sent on after the head
    first, _, headers = top.partition(b"\r\n")
    parts = first.split(b" ")
    if len(parts) != 3:
        return None
    method, target, version = parts
    try:
        if method == b"CONNECT":
            return _Ask(True, httpx.URL(f"https://{target.decode('ascii')}/"), early, None)
        url = httpx.URL(target.decode("ascii"))
    except (httpx.InvalidURL, UnicodeDecodeError):
        return None
    if url.scheme != "http" or not url.host:
        return None
    # origin-form upstream, one request per connection: what the client sends after this request's body
    # is not forwarded, so a kept-alive proxy connection cannot carry a second request past the policy
    lines = [line for line in headers.split(b"\r\n") if line]
    fields = {line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[-1].strip() for line in lines}
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP]
    forward = b"\r\n".join((b" ".join((method, url.raw_path, version)), *kept, b"Connection: close"))
    body_left: int | None = None
    if b"chunked" not in fields.get(b"transfer-encoding", b"").lower():
        length = int(fields.get(b"content-length", b"0") or 0)
        early, body_left = early[:length], max(length - len(early), 0)
    return _Ask(False, url, forward + b"\r\n\r\n" + early, body_left)


async def _send_body(source: asyncio.StreamReader, sink: asyncio.StreamWriter, left: int) -> None:
    if left:
        sink.write(await source.readexactly(left))
        await sink.drain()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
    finally:
        if sink.can_write_eof():
            with contextlib.suppress(OSError):
                sink.write_eof()
