"""HTML parsed only when it is nested within reason.

lexbor's tree builder costs time quadratic in the depth of nested block elements: 10,000 nested `<div>`s
take 0.1 s, 100,000 take 9 s and a million never finish. No real notice page nests more than a few dozen
levels, so a page nested deeper than `MAX_DEPTH` is refused before it is parsed, saying so;
a parse that merely ran into the check's deadline would go on burning a core in its abandoned thread.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

MAX_DEPTH = 5_000  # about 25 ms of lexbor at that depth

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
# Elements that never nest in the tree: void ones, those whose end tag the parser implies when a sibling
# starts (sloppy pages leave them open by the thousand), and formatting ones, which lexbor caps itself.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_IMPLIED_END = {
    "p",
    "li",
    "dt",
    "dd",
    "tr",
    "td",
    "th",
    "option",
    "optgroup",
    "thead",
    "tbody",
    "tfoot",
    "colgroup",
    "rb",
    "rt",
    "rp",
}
_FORMATTING = {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"}
_FLAT = frozenset(_VOID | _IMPLIED_END | _FORMATTING)


class TooDeep(ValueError):
    pass


def parse_html(text: str) -> LexborHTMLParser:
    """The parsed page; `TooDeep` for a page nested deeper than `MAX_DEPTH`."""
    if text.count("<") > MAX_DEPTH and nests_deeper_than(text, MAX_DEPTH):
        raise TooDeep(f"the page nests its elements more than {MAX_DEPTH:,} levels deep: not parsed")
    return LexborHTMLParser(text)


def nests_deeper_than(html: str, limit: int) -> bool:
    """Do the page's open elements ever pass `limit` levels?"""
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > limit:
                return True
    return False
