"""A kept connection answers the pool's idle check from its own socket: closed by the server, it is readable."""

import asyncio
import socket

import httpx
import pytest

from monitor.fetch import netpolicy, streams


def test_an_idle_connection_is_readable_once_the_server_closed_it():
    async def scenario() -> tuple[bool, bool, bool]:
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        backend = streams.keep_sockets(httpx.AsyncHTTPTransport())._pool._network_backend
        stream = await backend.connect_tcp("127.0.0.1", port)
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


def test_connections_still_go_through_the_address_policy():
    backend = streams.keep_sockets(netpolicy.pinned_transport(True, httpx.Limits()))._pool._network_backend
    with pytest.raises(netpolicy.PrivateAddressRefused):
        asyncio.run(backend.connect_tcp("127.0.0.1", 9))
