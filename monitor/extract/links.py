"""Link resolution and stable notice keys."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

_FILE_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd", ".zip", ".rar", ".txt")


def resolve(base: str, href: str | None) -> str | None:
    """Absolute URL of `href` on a page at `base`; None for empty, script and mail links."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
        return None
    absolute = urljoin(base, href)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def is_file_link(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(_FILE_SUFFIXES)


def canonical_key(url: str) -> str:
    """Scheme-less, fragment-less host+path+query: http and https rows of one notice share a key."""
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def stable_key(url: str, key_pattern: str | None, fallback_id: str | None = None) -> str:
    """The source's ID pattern applied to the URL, else an explicit id, else the canonical URL."""
    if key_pattern and (match := re.search(key_pattern, url)):
        return match.group(1)
    if fallback_id:
        return fallback_id
    return canonical_key(url)
