"""Connections whose idle check is cheap.

Each time a request joins or leaves httpcore's pool, the pool asks every idle connection whether the server
closed it meanwhile (`get_extra_info("is_readable")`): a pool of dozens of kept-alive connections asks dozens
of times per request. anyio answers through its typed attributes, which build a table of closures and call
getpeername(2) on every question. Here each connection looks its socket up once and polls it directly: the
same answer (readable, or gone) for a fraction of the cost.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx


class _KeptSocketStream(httpcore.AsyncNetworkStream):
    """A network stream with its socket (and a poll object registered on it) kept for the idle check."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        self._poll: select.poll | None = None

    def _readable(self) -> bool:
        # a socket without a descriptor (closed) counts as readable: its next read returns the end, as in httpcore
        if self._socket is None or self._socket.fileno() < 0:
            return True
        if self._poll is None:
            self._poll = select.poll()
            self._poll.register(self._socket.fileno(), select.POLLIN)
        return bool(self._poll.poll(0))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _KeptSocketStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> object:
        if info == "is_readable":
            return self._readable()
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class _KeepSockets(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _KeptSocketStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _KeptSocketStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def keep_sockets(transport: httpx.AsyncHTTPTransport) -> httpx.AsyncHTTPTransport:
    """The transport, its connections made by its own backend (the address policy's) and answering the
    pool's idle check from their kept socket."""
    pool = transport._pool
    pool._network_backend = _KeepSockets(pool._network_backend)
    return transport
