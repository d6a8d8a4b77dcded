"""HTML parsed only when it is nested within reason.

lexbor's tree builder costs time quadratic in the depth of nested block elements: 10,000 nested `<div>`s
take 0.1 s, 100,000 take 9 s and a million never finish. No real notice page nests more than a few dozen
levels, so a page nested deeper than `MAX_DEPTH` is refused before it is parsed, with the depth named;
a parse that merely ran into the check's deadline would go on burning a core in its abandoned thread.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

MAX_DEPTH = 5_000  # about 25 ms of lexbor at that depth

_TAG = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
# elements that never nest in the tree: void ones, those whose end tag the parser implies when a sibling
# starts (sloppy pages leave them open by the thousand), and formatting ones, which lexbor caps itself
_FLAT = frozenset(
    b"area base br col embed hr img input link meta param source track wbr "
    b"p li dt dd tr td th option optgroup thead tbody tfoot colgroup rb rt rp "
    b"a b big code em font i nobr s small strike strong tt u".split()
)


class TooDeep(ValueError):
    pass


def parse_html(text: str) -> LexborHTMLParser:
    """The parsed page; `TooDeep` for a page nested deeper than `MAX_DEPTH`."""
    if text.count("<") > MAX_DEPTH and (depth := nesting_depth(text.encode("utf-8", "replace"), MAX_DEPTH)):
        raise TooDeep(f"the page nests its elements more than {depth - 1:,} levels deep: not parsed")
    return LexborHTMLParser(text)


def nesting_depth(html: bytes, limit: int) -> int | None:
    """The depth at which the page's open elements first pass `limit`, or None: it stays within."""
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
                return depth
    return None
