"""TLS trust per source: the system's CAs plus shipped intermediates for sites with incomplete chains.

A context's certificates are loaded at its first handshake, not when the client is made: reading the CA
bundle costs ~30 ms and ~3 MB, which a run over plain-HTTP pages (the demo, a local mirror) never needs.
"""

from __future__ import annotations

import os
import ssl
import threading
import weakref
from functools import lru_cache
from pathlib import Path

CERTS_DIR = Path(__file__).resolve().parents[1] / "certs"

# contexts whose CAs are still to be loaded, with the extra CA file each adds (None: the bundle alone)
_untrusted: weakref.WeakKeyDictionary[ssl.SSLContext, str | None] = weakref.WeakKeyDictionary()
_loading = threading.Lock()  # a handshake in another thread waits for the CAs instead of going without them


def resolve_ca_file(name: str) -> Path:
    """An absolute path, or a file shipped in monitor/certs/."""
    path = Path(name)
    if path.is_absolute():
        return path
    return CERTS_DIR / path


@lru_cache(maxsize=32)
def tls_verification(ca_file: str | None, insecure: bool) -> ssl.SSLContext | bool:
    """What httpx is given to verify servers with: False when verification is off, else a context that
    requires a certificate for the host name, trusting the CAs `trusted` loads into it."""
    if insecure:
        return False
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # as create_default_context: hostname and chain checked
    _untrusted[context] = ca_file
    return context


def trusted(context: ssl.SSLContext) -> ssl.SSLContext:
    """`context` with its CAs loaded, once: those httpx trusts by default (SSL_CERT_FILE, SSL_CERT_DIR,
    else certifi's bundle) and the source's own CA file."""
    if context not in _untrusted:
        return context
    with _loading:
        if context in _untrusted:
            _load(context, _untrusted[context])
            del _untrusted[context]
    return context


def _load(context: ssl.SSLContext, ca_file: str | None) -> None:
    if os.environ.get("SSL_CERT_FILE"):
        context.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
    elif os.environ.get("SSL_CERT_DIR"):
        context.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
    else:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    if ca_file is not None:
        context.load_verify_locations(cafile=str(resolve_ca_file(ca_file)))
