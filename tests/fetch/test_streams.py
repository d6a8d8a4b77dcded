"""Connections on asyncio's transports: the pool's idle check, back-pressure, timeouts and errors as httpcore's."""

import asyncio
import socket
import ssl

import httpcore
import httpx
import pytest

from monitor.fetch import netpolicy, streams
from monitor.testing.localsite import Page


def _listener() -> tuple[socket.socket, int]:
    listener = socket.create_server(("127.0.0.1", 0))
    return listener, listener.getsockname()[1]


def test_an_idle_connection_is_readable_once_the_server_closed_it():
    async def scenario() -> tuple[bool, bool, bool]:
        listener, port = _listener()
        stream = await streams.LoopBackend().connect_tcp("127.0.0.1", port)
        server_side, _ = listener.accept()
        idle = stream.get_extra_info("is_readable")
        server_side.close()
        await asyncio.sleep(0.05)
        closed_by_server = stream.get_extra_info("is_readable")
        await stream.aclose()
        listener.close()
        return idle, closed_by_server, stream.get_extra_info("is_readable")

    idle, closed_by_server, closed_here = asyncio.run(scenario())
    assert (idle, closed_by_server, closed_here) == (False, True, True)


def test_a_large_answer_arrives_whole_and_in_order_while_the_reader_is_slow():
    payload = bytes(range(256)) * 8192  # 2 MiB: the reader lags, the server is paused and resumed

    async def scenario() -> bytes:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(payload)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        stream = await streams.LoopBackend().connect_tcp("127.0.0.1", port)
        received = bytearray()
        while chunk := await stream.read(65536, timeout=5):
            received += chunk
            await asyncio.sleep(0)  # let the buffer fill past its high mark
        await stream.aclose()
        server.close()
        return bytes(received)

    assert asyncio.run(scenario()) == payload


def test_a_silent_server_is_a_read_timeout_and_a_refused_port_a_connect_error():
    async def scenario() -> None:
        listener, port = _listener()
        stream = await streams.LoopBackend().connect_tcp("127.0.0.1", port)
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(1024, timeout=0.1)
        await stream.aclose()
        listener.close()
        with pytest.raises(httpcore.ConnectError):
            await streams.LoopBackend().connect_tcp("127.0.0.1", port)

    asyncio.run(scenario())


def test_httpx_over_these_streams_reads_pages_and_reuses_the_connection(site):
    site.set("/a.html", Page("<p>一</p>".encode()))
    site.set("/b.html", Page("<p>二</p>".encode()))
    dialled: list[int] = []

    class Counting(streams.LoopBackend):
        async def connect_tcp(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
            dialled.append(port)
            return await super().connect_tcp(host, port, *args, **kwargs)

    async def scenario() -> list[str]:
        transport = httpx.AsyncHTTPTransport()
        transport._pool._network_backend = Counting()
        async with httpx.AsyncClient(transport=transport) as client:
            return [(await client.get(f"{site.base_url}/{page}")).text for page in ("a.html", "b.html")]

    assert asyncio.run(scenario()) == ["<p>一</p>", "<p>二</p>"]
    assert len(dialled) == 1


def test_connections_still_go_through_the_address_policy():
    backend = netpolicy.pinned_transport(True, httpx.Limits())._pool._network_backend
    with pytest.raises(netpolicy.PrivateAddressRefused):
        asyncio.run(backend.connect_tcp("127.0.0.1", 9))


def test_a_server_that_closes_at_accept_fails_the_tls_handshake_at_once():
    async def scenario() -> float:
        listener, port = _listener()
        stream = await streams.LoopBackend().connect_tcp("127.0.0.1", port)
        accepted, _ = listener.accept()
        accepted.close()
        await asyncio.sleep(0.1)  # the close has arrived before the handshake starts
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpcore.ConnectError):
            await stream.start_tls(ssl.create_default_context(), server_hostname="127.0.0.1", timeout=5)
        listener.close()
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(scenario()) < 1


def test_a_write_that_timed_out_leaves_the_next_write_a_timeout_too_not_a_cancellation():
    async def scenario() -> None:
        listener, port = _listener()
        stream = await streams.LoopBackend().connect_tcp("127.0.0.1", port)
        accepted, _ = listener.accept()  # never reads: the kernel's buffers fill, the transport pauses us
        with pytest.raises(httpcore.WriteTimeout):
            await stream.write(b"x" * 32 * 1024 * 1024, timeout=0.2)
        with pytest.raises(httpcore.WriteTimeout):
            await stream.write(b"y", timeout=0.2)
        await stream.aclose()
        accepted.close()
        listener.close()

    asyncio.run(scenario())
