"""Per-source TLS trust against a real HTTPS server on 127.0.0.1 whose certificate our own test CA signed."""

import asyncio
import shutil
import ssl
import subprocess

import pytest

from monitor.fetch import HttpFetcher, RequestOptions
from monitor.fetch.tls import tls_verification
from monitor.testing.localsite import LocalSite, Page
from monitor.values import FetchOutcome
from tests.helpers import quick_fetch

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A private CA and a server certificate for 127.0.0.1: a chain no public trust store knows."""
    d = tmp_path_factory.mktemp("pki")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=cgt-monitor test CA",
    )
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"
    )
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    return d


@pytest.fixture
def https_site(pki):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    with LocalSite(tls=context) as site:
        site.set("/list.html", Page("<li>细胞</li>".encode()))
        yield site


def fetch(url, **options):
    async def go():
        async with HttpFetcher(quick_fetch()) as fetcher:
            return await fetcher.fetch(url, RequestOptions(**options))

    return asyncio.run(go())


def test_an_unknown_chain_is_refused(https_site):
    fetched = fetch(https_site.url("/list.html"))
    assert fetched.outcome is FetchOutcome.ERROR
    assert "CERTIFICATE_VERIFY_FAILED" in (fetched.reason or "")


def test_a_shipped_ca_file_completes_the_chain_for_that_source(https_site, pki):
    fetched = fetch(https_site.url("/list.html"), ca_file=str(pki / "ca.pem"))
    assert fetched.outcome is FetchOutcome.OK and fetched.text == "<li>细胞</li>"


def test_insecure_tls_is_an_explicit_opt_in(https_site, caplog):
    fetched = fetch(https_site.url("/list.html"), insecure_tls=True)
    assert fetched.outcome is FetchOutcome.OK
    assert "verification is OFF" in caplog.text


def test_the_ssl_cert_file_variable_names_the_trust_store_as_for_httpx(https_site, pki, monkeypatch):
    tls_verification.cache_clear()
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    fetched = fetch(https_site.url("/list.html"))
    tls_verification.cache_clear()  # the next test's fetcher must not trust the test CA
    assert fetched.outcome is FetchOutcome.OK and fetched.text == "<li>细胞</li>"


def test_the_trust_store_is_read_at_the_first_handshake_not_for_plain_http(https_site):
    tls_verification.cache_clear()
    context = tls_verification(None, False)
    with LocalSite() as plain:
        plain.set("/list.html", Page(b"<li>plain</li>"))
        assert fetch(plain.url("/list.html")).outcome is FetchOutcome.OK
    assert context.cert_store_stats()["x509_ca"] == 0  # ~3 MB and ~30 ms a plain-HTTP run never pays
    assert fetch(https_site.url("/list.html")).outcome is FetchOutcome.ERROR  # verified against the bundle
    assert context.cert_store_stats()["x509_ca"] > 100
