"""Which addresses a fetch may reach: a redirect or a follow-up request (detail page, attachment) to a
loopback, private, link-local or multicast address is refused, unless it is the source's own origin or
the deployment allows that host ([fetch] allow_private).

A government page that redirects to 127.0.0.1, 169.254.169.254 or a LAN service is either broken or
hostile; following it would store whatever answers there. The check is made on the addresses the name
resolves to, not only on the name, so a public name pointing at a private address is refused too. The
connection is then made to an address that passed the check (`PinnedBackend`), never to a second answer of
the resolver: a name that resolves to a public address for the check and to 127.0.0.1 for the connection
(DNS rebinding) is refused as well.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Collection, Iterable
from contextvars import ContextVar

import httpcore
import httpx

from monitor.fetch import streams

EXTENSION = "cgt_own_origin"  # the request extension carrying the source's own origin across redirects
# Set by the request hook for the request being sent (each redirect hop runs the hook again); read by the
# connection that request opens, in the same task.
_MAY_REACH_PRIVATE: ContextVar[bool] = ContextVar("cgt_may_reach_private", default=False)


class PrivateAddressRefused(httpx.RequestError):
    pass


def origin(url: httpx.URL) -> str:
    return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv6-only networks reach public IPv4 hosts through it


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip in _NAT64:
        return _is_private(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def _same_origin(here: str, own: str | None) -> bool:
    """The source's own origin, or the same host moving between ports 80 and 443 (http to https)."""
    if own is None:
        return False
    if here == own:
        return True
    host, _, port = here.rpartition(":")
    own_host, _, own_port = own.rpartition(":")
    return host == own_host and {port, own_port} <= {"80", "443"}


async def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []  # unresolvable: the connection itself will fail and say so
    return [str(info[4][0]) for info in infos]


def _permitted(url: httpx.URL, own_origin: str | None, allowed: Collection[str]) -> bool:
    """May this request reach a private address: its own origin, or a host the deployment allows?"""
    here = origin(url)
    return _same_origin(here, own_origin) or here in allowed or url.host in allowed


async def refusal(url: httpx.URL, own_origin: str | None, allowed: Collection[str]) -> str | None:
    """Why a request to `url` is refused, or None: its own origin and hosts the deployment allows pass."""
    if _permitted(url, own_origin, allowed):
        return None
    return (await checked_addresses(url, own_origin, allowed))[1]


async def checked_addresses(
    url: httpx.URL, own_origin: str | None, allowed: Collection[str]
) -> tuple[list[str], str | None]:
    """The addresses a request to `url` may connect to (one answer of the resolver, checked), or why none:
    for a proxy that dials what it checked."""
    addresses = await _addresses(url.host, url.port or 0)
    if _permitted(url, own_origin, allowed):
        return addresses, None
    for address in addresses:
        if _is_private(address):
            return [], _reason(str(url), url.host, address)
    return addresses, None


def guard(allowed: Collection[str]) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook enforcing the policy; `allowed`: hosts or host:port the deployment permits."""

    async def check(request: httpx.Request) -> None:
        own = request.extensions.get(EXTENSION)
        _MAY_REACH_PRIVATE.set(_permitted(request.url, own, allowed))
        # checked here too, not only at connect: a kept-alive connection to that host would be reused unasked
        if reason := await refusal(request.url, own, allowed):
            raise PrivateAddressRefused(reason, request=request)

    return check


def _reason(url: str, host: str, address: str) -> str:
    return (
        f"refused to fetch {url}: {host} is a private or local address ({address}); a source "
        "reaches only its own origin there ([fetch] allow_private permits a host)"
    )


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the name once and connects to an address that passes the policy, so the address checked is
    the address reached. TLS still verifies the certificate against the name (httpcore sends it as SNI)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or streams.LoopBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _addresses(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"{host}: name or service not known")
        if not _MAY_REACH_PRIVATE.get():
            public = [a for a in addresses if not _is_private(a)]
            if not public:
                raise PrivateAddressRefused(_reason(f"{host}:{port}", host, addresses[0]))
            addresses = public
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(verify: ssl.SSLContext | bool, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport whose connections go through `PinnedBackend`."""
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    # httpx does not take a network backend; its pool reads this attribute each time it opens a connection
    transport._pool._network_backend = PinnedBackend()
    return transport
