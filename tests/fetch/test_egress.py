"""The browser's proxy: it dials only what the policy decided, and a refused request reaches nobody."""

import asyncio

import httpx
import pytest

from monitor.fetch.egress import Egress, Route
from monitor.testing.localsite import LocalSite, Page


@pytest.fixture
def internal():
    with LocalSite() as served:
        served.set("/x", Page(b"inside"))
        yield served


def decide_by_name(table: dict[str, Route]):
    async def decide(url: httpx.URL) -> Route:
        return table.get(url.host, Route([], f"refused to fetch {url}"))

    return decide


def through(decide, url: str, **headers):
    async def go():
        async with Egress(decide) as way_out, httpx.AsyncClient(proxy=way_out.url, timeout=5) as client:
            return await client.get(url, headers=headers)

    return asyncio.run(go())


def test_a_name_goes_to_the_address_decided_for_it_never_to_a_resolver(internal):
    """`api.site.test` resolves nowhere; the proxy dials the address the policy checked."""
    port = internal.base_url.rsplit(":", 1)[1]
    answer = through(decide_by_name({"api.site.test": Route(["127.0.0.1"])}), f"http://api.site.test:{port}/x")
    assert answer.status_code == 200 and answer.text == "inside"
    (seen,) = internal.hits("/x")
    assert seen.path == "/x"  # origin-form upstream, as a server expects
    assert seen.headers["Host"] == f"api.site.test:{port}"


def test_a_refused_request_is_never_sent_and_gets_no_answer_to_read(internal):
    with pytest.raises(httpx.RemoteProtocolError):
        through(decide_by_name({}), internal.url("/x"))
    assert not internal.hits("/x")


def test_proxy_credentials_never_travel_upstream(internal):
    port = internal.base_url.rsplit(":", 1)[1]
    decide = decide_by_name({"api.site.test": Route(["127.0.0.1"])})
    through(decide, f"http://api.site.test:{port}/x", **{"Proxy-Authorization": "Basic c2VjcmV0"})
    (seen,) = internal.hits("/x")
    assert "Proxy-Authorization" not in seen.headers and seen.headers.get("Connection") == "close"


async def _connect(way_out: Egress, target: str) -> tuple[bytes, bytes]:
    """A CONNECT tunnel as Chromium opens one for https, then a plain request inside it."""
    host, port = way_out.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    status = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n", 1)[0]
    inside = b""
    if status.startswith(b"HTTP/1.1 200"):
        writer.write(f"GET /x HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n".encode())
        inside = await reader.read()
    writer.close()
    return status, inside


def test_a_tunnel_opens_only_to_an_address_the_policy_allows(internal):
    target = internal.base_url.removeprefix("http://")
    allowed = decide_by_name({"127.0.0.1": Route(["127.0.0.1"])})

    async def go(decide):
        async with Egress(decide) as way_out:
            return await _connect(way_out, target)

    status, inside = asyncio.run(go(allowed))
    assert status.startswith(b"HTTP/1.1 200") and inside.endswith(b"inside")
    status, inside = asyncio.run(go(decide_by_name({})))
    assert status.startswith(b"HTTP/1.1 403") and inside == b""
    assert len(internal.hits("/x")) == 1  # only the allowed tunnel's request arrived


def test_closing_the_proxy_ends_its_open_tunnels(internal):
    """A visit that ends (or times out) leaves no connection of its own behind."""
    target = internal.base_url.removeprefix("http://")

    async def go():
        async with Egress(decide_by_name({"127.0.0.1": Route(["127.0.0.1"])})) as way_out:
            host, port = way_out.url.removeprefix("http://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(f"CONNECT {target} HTTP/1.1\r\n\r\n".encode())
            await reader.readuntil(b"\r\n\r\n")
        async with asyncio.timeout(5):
            return await reader.read()  # the tunnel was held open by nobody but the proxy

    assert asyncio.run(go()) == b""


def test_a_second_request_on_a_kept_alive_proxy_connection_is_not_forwarded():
    """One request per proxy connection: what follows the first request's body goes nowhere, so it cannot
    reach a host the policy was never asked about, even through a server that ignores Connection: close."""

    async def go():
        received = bytearray()

        async def careless(reader, writer):  # reads all it is sent, answers once, keeps the connection
            while chunk := await reader.read(4096):
                received.extend(chunk)
                if b"body" in received and not writer.is_closing():
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ntaken")
            writer.close()

        server = await asyncio.start_server(careless, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, Egress(decide_by_name({"127.0.0.1": Route(["127.0.0.1"])})) as way_out:
            host, proxy_port = way_out.url.removeprefix("http://").split(":")
            reader, writer = await asyncio.open_connection(host, int(proxy_port))
            first = f"POST http://127.0.0.1:{port}/form HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
            second = "GET http://10.0.0.1/x HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"
            writer.write((first + second).encode())
            async with asyncio.timeout(5):
                answer = await reader.readuntil(b"taken")
            await asyncio.sleep(0.2)
            writer.write(second.encode())  # and again, later, on the same connection
            await asyncio.sleep(0.2)
            writer.close()
        return answer, bytes(received)

    answer, received = asyncio.run(go())
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"taken")
    assert received.startswith(b"POST /form HTTP/1.1\r\n") and received.endswith(b"\r\n\r\nbody")
    assert b"10.0.0.1" not in received
