"""TLS trust per source: the system's CAs plus shipped intermediates for sites with incomplete chains."""

from __future__ import annotations

import ssl
from functools import lru_cache
from pathlib import Path

import certifi

CERTS_DIR = Path(__file__).resolve().parents[1] / "certs"


def resolve_ca_file(name: str) -> Path:
    """An absolute path, or a file shipped in monitor/certs/."""
    path = Path(name)
    if path.is_absolute():
        return path
    return CERTS_DIR / path


@lru_cache(maxsize=32)
def tls_verification(ca_file: str | None, insecure: bool) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if ca_file is None:
        return True
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=str(resolve_ca_file(ca_file)))
    return context
