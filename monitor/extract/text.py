"""Text clean-up shared by all extractors: whitespace, full-width alphanumerics, entities."""

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
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    if not value:
        return ""
    value = html.unescape(value).translate(_FULLWIDTH)
    return _SPACES.sub(" ", value).strip()
