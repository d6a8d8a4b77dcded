"""Text clean-up shared by all extractors: whitespace, full-width alphanumerics, entities, and the
characters a hostile page could use against a terminal, an e-mail subject or a reader's eye."""

from __future__ import annotations

import html
import re

# Full-width ASCII letters, digits and the hyphen-minus become ASCII ("ＣＡＲ－Ｔ" -> "CAR-T"); CJK
# punctuation such as （）《》〔〕 is kept as the agencies wrote it.
_FULLWIDTH: dict[int, int | None] = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}
_FULLWIDTH |= {code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)}
_FULLWIDTH |= {code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)}
_FULLWIDTH |= {0xFF0D: ord("-"), 0x3000: ord(" "), 0x00A0: ord(" "), 0x200B: None, 0xFEFF: None}
_FULLWIDTH[0x00] = None  # NUL: no text has it, and PostgreSQL refuses it in a text column
# Control characters (ESC, BEL, BS, DEL, C1) become spaces: they drive terminals, never belong in a title.
_FULLWIDTH |= {code: ord(" ") for code in (*range(0x01, 0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n\r"}
# Bidirectional overrides and marks go: they can make a title read backwards or hide what it says.
_FULLWIDTH |= dict.fromkeys((0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# A title is a line, not a document: a page that puts 100,000 characters in one is cut here.
MAX_TITLE_CHARS = 500
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    if not value:
        return ""
    value = html.unescape(value).translate(_FULLWIDTH)
    return _SPACES.sub(" ", value).strip()


def cap(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the cut shown with "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_title(value: str | None) -> str:
    """`clean_text`, capped at MAX_TITLE_CHARS."""
    return cap(clean_text(value), MAX_TITLE_CHARS)
