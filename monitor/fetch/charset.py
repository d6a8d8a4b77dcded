"""Turn response bytes into text: declared header charset, then <meta>, then detection.

Chinese government sites often declare GB2312 or GBK while serving characters outside it, so every
GB-family label is widened to GB18030, its superset.
"""

from __future__ import annotations

import codecs
import re

_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "gb_2312-80", "csgb2312", "euc-cn", "gb18030"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-:.]+)", re.I)


def normalise_label(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_header(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return normalise_label(match.group(1)) if match else None


def charset_from_meta(content: bytes) -> str | None:
    match = _META_CHARSET.search(content[:8192])
    return normalise_label(match.group(1).decode("ascii", "ignore")) if match else None


class UndecodablePage(ValueError):
    """The bytes are invalid in the encoding the page declares, and no other encoding fits them well."""


def decode(content: bytes, content_type: str | None = None, override: str | None = None) -> tuple[str, str]:
    """Decode bytes to text; returns (text, codec used).

    A page that declares its encoding and breaks it is not quietly decoded as something else: a few bad
    bytes keep the declaration (with replacement characters), a page another encoding fits well (a site
    declaring UTF-8 while serving GBK) gets that one, and anything else raises UndecodablePage rather than
    become garbage titles.
    """
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "utf-8"
    declared = list(
        dict.fromkeys(
            c for c in (normalise_label(override), charset_from_header(content_type), charset_from_meta(content)) if c
        )
    )
    for codec in [*declared, "utf-8"]:
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError:
            continue  # the declaration lies; try the next witness
    if declared:
        primary = declared[0]
        text = content.decode(primary, "replace")
        bad = text.count("\ufffd")
        wide = sum(1 for ch in text if ord(ch) > 0x7F)
        if bad <= 3 or bad <= 0.1 * wide:  # stray bytes, or a footer in another encoding: the declaration holds
            return text, primary
    from charset_normalizer import from_bytes  # most pages decode as they declare: detection is the exception

    best = from_bytes(content).best()
    guess = normalise_label(best.encoding) if best is not None else None
    if not declared:
        return content.decode(guess or "gb18030", "replace"), guess or "gb18030"
    if best is not None and guess is not None and best.chaos <= _CONFIDENT_CHAOS:
        try:
            return content.decode(guess), guess
        except UnicodeDecodeError:
            pass
    raise UndecodablePage(
        f"{bad} byte sequences are not valid {declared[0]} as the page declares, and no other encoding fits"
    )


_CONFIDENT_CHAOS = 0.05  # charset-normalizer's "mess" ratio below which its guess is trusted
