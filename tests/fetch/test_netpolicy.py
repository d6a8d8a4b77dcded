"""Redirects and follow-ups never reach loopback, private, link-local or multicast addresses uninvited."""

import asyncio

import httpcore
import pytest

from monitor.app import open_store
from monitor.fetch import netpolicy
from monitor.fetch.netpolicy import _is_private, _same_origin
from monitor.testing.localsite import LocalSite, Page
from tests.helpers import in_pipeline, local_source, quick_fetch, serve, site_page


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("10.1.2.3", True),
        ("192.168.0.10", True),
        ("224.0.0.251", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("0.0.0.0", True),
        ("202.96.134.133", False),
        ("2400:da00::6666", False),
        ("64:ff9b::808:808", False),  # 8.8.8.8 through NAT64, on an IPv6-only network
        ("64:ff9b::a00:1", True),  # 10.0.0.1 through NAT64
    ],
)
def test_which_addresses_count_as_private(address, private):
    assert _is_private(address) is private


def test_a_redirect_to_another_local_service_is_refused_and_nothing_is_stored(site, settings_for):
    with LocalSite() as internal:
        internal.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
        settings = settings_for()
        database = open_store(settings)
        source = local_source(site, "nmpa-ggtg")
        serve(site, source, b"", status=302, headers={"Location": internal.url("/xxgk/ggtg/index.html")})
        (report,), _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
        assert report.summary.outcome == "error" and "refused to fetch" in report.summary.reason
        assert not internal.hits("/xxgk/ggtg/index.html")  # never asked

        allowing = settings.model_copy(update={"fetch": quick_fetch(allow_private=[internal.base_url.split("//")[1]])})
        (report,), _ = in_pipeline(allowing, database, lambda pipeline: pipeline.run_once([source]))
        assert report.summary.outcome == "baseline"  # the deployment said this one is fine


def test_the_same_host_moving_from_http_to_https_is_its_own_origin():
    assert _same_origin("10.0.0.5:443", "10.0.0.5:80")
    assert not _same_origin("10.0.0.5:8443", "10.0.0.5:80")
    assert not _same_origin("10.0.0.6:80", "10.0.0.5:80")


def test_a_name_that_rebinds_to_loopback_between_check_and_connect_is_refused(site, settings_for, monkeypatch):
    """The check resolves the name to a public address, the connection would get 127.0.0.1: the connection
    goes only to the address that was checked, so the local service is never reached."""
    answers = {"rebind.example": iter(["202.96.134.133", "127.0.0.1"])}
    real = netpolicy._addresses

    async def rebinding(host: str, port: int) -> list[str]:
        if host in answers:
            return [next(answers[host], "127.0.0.1")]
        return await real(host, port)

    monkeypatch.setattr(netpolicy, "_addresses", rebinding)
    with LocalSite() as internal:
        internal.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
        settings = settings_for()
        database = open_store(settings)
        source = local_source(site, "nmpa-ggtg")
        port = internal.base_url.rsplit(":", 1)[1]
        serve(site, source, b"", status=302, headers={"Location": f"http://rebind.example:{port}/xxgk/ggtg/index.html"})
        (report,), _ = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
        assert report.summary.outcome == "error"
        assert "rebind.example is a private or local address (127.0.0.1)" in report.summary.reason
        assert not internal.hits("/xxgk/ggtg/index.html")


def test_a_public_answer_is_the_address_connected_to(monkeypatch):
    """The pinned connection dials the checked address, not the name a second time."""
    dialled: list[str] = []

    class Recording(httpcore.AsyncNetworkBackend):
        async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            dialled.append(host)
            raise httpcore.ConnectError("not really dialled")

    async def resolved(host: str, port: int) -> list[str]:
        return ["202.96.134.133", "10.0.0.7"]

    monkeypatch.setattr(netpolicy, "_addresses", resolved)

    async def connect() -> None:
        with pytest.raises(httpcore.ConnectError):
            await netpolicy.PinnedBackend(Recording()).connect_tcp("www.example.gov.cn", 443)

    asyncio.run(connect())
    assert dialled == ["202.96.134.133"]  # the private one of the answers is never dialled
