"""httpcore's connections on asyncio's own transports.

httpcore reaches the network through anyio on asyncio: every read and write enters an anyio cancel scope
and a timeout scope, and the pool's idle check (asked of every kept connection each time a request joins or
leaves the pool) looks the socket up through anyio's typed attributes and polls it. For a page of 35 KB that
is a third of a request's CPU. Here a connection is an asyncio protocol with a buffer: a read waits on it
under `asyncio.timeout`, a write hands the bytes to the transport (waiting only when it asks us to pause),
and the idle check reads the protocol's state, which the loop keeps current (the server's close, unread
bytes). Errors are httpcore's, as from its own backends, so httpx reports them the same way.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable

import httpcore

from monitor.fetch.tls import trusted

# a server faster than the page's reader is paused above this many buffered bytes, resumed below the low mark
_HIGH_WATER = 256 * 1024
_LOW_WATER = 64 * 1024


class _Connection(asyncio.Protocol):
    """What the loop delivered on one connection, and whether the reader or writer waits on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.ended = False  # the server closed its side, or the connection was lost
        self.error: Exception | None = None
        self.reading_paused = False
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self._readable)

    def eof_received(self) -> bool:
        self.ended = True
        _wake(self._readable)
        return False  # nothing more to send on a half-closed HTTP/1.1 connection: close it

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        _wake(self._readable)
        _wake(self._writable)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self._writable)
        self._writable = None

    async def readable(self) -> None:
        self._readable = asyncio.get_running_loop().create_future()
        try:
            await self._readable
        finally:
            self._readable = None

    @property
    def writing_paused(self) -> bool:
        return self._writable is not None

    async def writable(self) -> None:
        if self._writable is not None:  # shared by the writes that wait: a timed-out one must not cancel it
            await asyncio.shield(self._writable)


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _closed_before_tls(error: Exception | None) -> str:
    return f"the server closed the connection before the TLS handshake{f': {error}' if error else ''}"


class LoopStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, connection: _Connection) -> None:
        self._transport = transport
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        connection = self._connection
        if not connection.buffer and not connection.ended:
            try:
                async with asyncio.timeout(timeout):
                    while not connection.buffer and not connection.ended:
                        await connection.readable()
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no data within {timeout} s") from None
        if connection.buffer:
            if len(connection.buffer) <= max_bytes:
                data = bytes(connection.buffer)
                connection.buffer.clear()
            else:
                data = bytes(connection.buffer[:max_bytes])
                del connection.buffer[:max_bytes]
            if connection.reading_paused and len(connection.buffer) < _LOW_WATER:
                connection.reading_paused = False
                self._transport.resume_reading()
            return data
        if connection.error is not None:
            raise httpcore.ReadError(str(connection.error) or type(connection.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            error = self._connection.error
            raise httpcore.WriteError(str(error) if error else "the connection is closed")
        self._transport.write(buffer)
        if self._connection.writing_paused:
            try:
                async with asyncio.timeout(timeout):
                    await self._connection.writable()
            except TimeoutError:
                raise httpcore.WriteTimeout(f"could not send within {timeout} s") from None
        if self._connection.error is not None:
            raise httpcore.WriteError(str(self._connection.error))

    async def aclose(self) -> None:
        if self._transport.get_extra_info("ssl_object") is not None:
            # no close_notify waited for: a peer that never answers it would hold the socket for 30 s
            self._transport.abort()
        else:
            self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        if self._connection.ended or self._transport.is_closing():  # closed at accept: nothing will answer
            raise httpcore.ConnectError(_closed_before_tls(self._connection.error))
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._connection, trusted(ssl_context), server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if not isinstance(transport, asyncio.Transport):  # the connection was lost during the handshake
            raise httpcore.ConnectError(_closed_before_tls(self._connection.error))
        self._connection.transport = transport  # pausing and resuming now go through the TLS layer
        return LoopStream(transport, self._connection)

    def get_extra_info(self, info: str) -> object:
        if info == "is_readable":  # the pool's question: did the server close it, or send what nobody asked?
            return bool(self._connection.buffer) or self._connection.ended or self._transport.is_closing()
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info in ("ssl_object", "socket"):
            return self._transport.get_extra_info(info)
        return None


class LoopBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(_Connection, host, port, local_addr=local)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"cannot connect to {host}:{port} within {timeout} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return LoopStream(transport, connection)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_unix_connection(_Connection, path)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"cannot connect to {path} within {timeout} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock: socket.socket = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return LoopStream(transport, connection)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
