"""Which addresses a fetch may reach: a redirect or a follow-up request (detail page, attachment) to a
loopback, private, link-local or multicast address is refused, unless it is the source's own origin or
the deployment allows that host ([fetch] allow_private).

A government page that redirects to 127.0.0.1, 169.254.169.254 or a LAN service is either broken or
hostile; following it would store whatever answers there. The check is made on the addresses the name
resolves to, not only on the name, so a public name pointing at a private address is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection

import httpx

EXTENSION = "cgt_own_origin"  # the request extension carrying the source's own origin across redirects


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


def guard(allowed: Collection[str]) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook enforcing the policy; `allowed`: hosts or host:port the deployment permits."""

    async def check(request: httpx.Request) -> None:
        url = request.url
        here = origin(url)
        if _same_origin(here, request.extensions.get(EXTENSION)) or here in allowed or url.host in allowed:
            return
        for address in await _addresses(url.host, url.port or 0):
            if _is_private(address):
                raise PrivateAddressRefused(
                    f"refused to fetch {url}: {url.host} is a private or local address ({address}); a source "
                    "reaches only its own origin there ([fetch] allow_private permits a host)",
                    request=request,
                )

    return check
