"""A source's HTML list options proposed from one saved list page.

The list is the largest set of sibling elements of one tag that each hold a link and a date; from it come
the row, title, link and date selectors, a key pattern generalised from the links, the date form and the
paging form. Every selector is checked against the page before it is proposed, so the suggestion extracts,
with the project's own extractor, the rows it was derived from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from monitor.extract.dates import parse_date
from monitor.extract.html_list import page_base, records_document
from monitor.extract.links import resolve
from monitor.extract.markup import parse_html
from monitor.extract.text import clean_text

RECORDS_IN = "script[type='text/xml']"  # Hanweb pages keep their rows as CDATA records in these
_MIN_ROWS = 3
_MAX_CLIMB = 6  # a row is at most this many levels above its link
_SAFE_NAME = re.compile(r"^[A-Za-z_][\w-]*$")  # ids and classes usable in a selector as they are
_DATE_TEXT = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|(?:19|20)\d{6}")
_NEXT_PAGE = re.compile(r"^(下一页|下页|next|>|›|»)$", re.I)
_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<sep>[_-])(?P<n>\d+)(?P<ext>\.s?html?)$")
# TRS: createPageHTML(total, current, "index", "html") (page 2 is index_1.html);
# NHC: createPageHTML('page_div', total, current, 'list', 'shtml', …) (page 2 is list_2.shtml)
_TRS_PAGER = re.compile(r"createPageHTML\(\s*\d+\s*,\s*\d+\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']")
_NHC_PAGER = re.compile(
    r"createPageHTML\(\s*[\"'][\w-]+[\"']\s*,\s*\d+\s*,\s*\d+\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']"
)


class NoListFound(ValueError):
    """The page holds no repeated row with a link and a date."""


@dataclass(frozen=True)
class Suggestion:
    extract: dict[str, str]  # the [source.extract] table
    key_pattern: str | None
    page_url: str | None
    rows: int  # rows the list selector matched
    date_form: str | None  # how the page prints its dates, e.g. "YYYY-MM-DD"
    date_example: str | None
    page_title: str


def _classes(node: LexborNode) -> list[str]:
    return [c for c in (node.attributes.get("class") or "").split() if _SAFE_NAME.match(c)]


def _signature(node: LexborNode, with_id: bool = True) -> str:
    """A selector for one element by itself: tag#id, else tag.class…, else the tag."""
    tag = node.tag or ""
    ident = node.attributes.get("id") if with_id else None
    if ident and _SAFE_NAME.match(ident):
        return f"{tag}#{ident}"
    return tag + "".join(f".{c}" for c in _classes(node))


class _Texts:
    """Whether an element's text holds a date, computed once per element: the climb from every link
    revisits the same ancestors."""

    def __init__(self) -> None:
        self._dates: dict[int, bool] = {}

    def has_date(self, node: LexborNode) -> bool:
        key = node.mem_id
        if key not in self._dates:
            self._dates[key] = parse_date(clean_text(node.text(separator=" "))) is not None
        return self._dates[key]


def _label(anchor: LexborNode) -> str:
    return clean_text(anchor.attributes.get("title") or "") or clean_text(anchor.text())


def _find_rows(parser: LexborHTMLParser, base: str) -> list[LexborNode]:
    """The largest group of same-tag siblings each holding a link and a date, in page order."""
    texts = _Texts()
    groups: dict[tuple[int, str], dict[int, LexborNode]] = defaultdict(dict)
    for anchor in parser.css("a[href]"):
        if not resolve(base, anchor.attributes.get("href")) or not _label(anchor):
            continue
        node: LexborNode | None = anchor
        for _ in range(_MAX_CLIMB):
            if node is None or node.tag in ("body", "html") or node.parent is None:
                break
            if texts.has_date(node):
                groups[(node.parent.mem_id, node.tag or "")][node.mem_id] = node
            node = node.parent
    if not groups:
        raise NoListFound("no element on the page holds both a link and a date")
    # most rows wins; among equals the finer-grained list (shorter rows) is the real one
    best = max(groups.values(), key=lambda rows: (len(rows), -sum(len(r.text()) for r in rows.values())))
    if len(best) < _MIN_ROWS:
        raise NoListFound(f"no list: at most {len(best)} sibling elements hold a link and a date")
    return list(best.values())


def _same(nodes: Iterable[LexborNode]) -> set[int]:
    return {n.mem_id for n in nodes}


def _item_selector(parser: LexborHTMLParser, rows: Sequence[LexborNode], base: str) -> str:
    """A selector matching every row and no other element that holds a link: the row's own classes when
    they suffice, else the row through its list's container, else plainer forms."""
    common = set(_classes(rows[0])).intersection(*(_classes(r) for r in rows[1:]))
    tag = rows[0].tag or "li"
    own = [tag + "".join(f".{c}" for c in sorted(common))] if common else []
    own.append(tag)
    chain: list[LexborNode] = []
    node = rows[0].parent
    while node is not None and node.tag not in ("body", "html", None) and len(chain) < 4:
        chain.append(node)
        node = node.parent

    def named(node: LexborNode) -> list[str]:
        # an ancestor by its id, or by one class (layout classes such as "fl" or "mt20" come and go)
        ident = node.attributes.get("id")
        found = [f"{node.tag}#{ident}"] if ident and _SAFE_NAME.match(ident) else []
        return found + [f"{node.tag}.{c}" for c in _classes(node)]

    # a row with a class of its own is specific already; a bare row is named through its list's container
    ancestors = [f"{name} {o}" for a in chain for name in named(a) for o in own]
    plain = [f"{a.tag} {o}" for a in chain for o in own]
    candidates = [own[0], *ancestors, *own[1:], *plain] if common else [*ancestors, *own, *plain]
    wanted = _same(rows)
    for selector in candidates:
        matched = parser.css(selector)
        linked = {m.mem_id for m in matched if any(resolve(base, a.attributes.get("href")) for a in m.css("a[href]"))}
        if wanted <= _same(matched) and linked <= wanted | _same(_siblings_like(rows)):
            return selector
    raise NoListFound(f"no selector tells the {len(rows)} rows of the list from the rest of the page")


def _siblings_like(rows: Sequence[LexborNode]) -> list[LexborNode]:
    """Rows of the list without a date: same parent, same tag and classes as the dated ones."""
    first = rows[0]
    parent, signature = first.parent, _signature(first, with_id=False)
    if parent is None:
        return []
    return [child for child in parent.iter() if _signature(child, with_id=False) == signature]


def _title_anchor(row: LexborNode, base: str) -> LexborNode | None:
    anchors = [a for a in row.css("a[href]") if resolve(base, a.attributes.get("href")) and _label(a)]
    return max(anchors, key=lambda a: len(_label(a)), default=None)


def _relative_candidates(target: LexborNode, row: LexborNode) -> list[str]:
    """Selectors, within the row, for an element like `target`: from plain to specific."""
    tag = target.tag or ""
    found = [tag, *(f"{tag}.{c}" for c in _classes(target))]
    parent = target.parent
    if parent is not None and parent.mem_id != row.mem_id:
        found += [f"{parent.tag} {tag}", f"{_signature(parent, with_id=False)} {tag}"]
    for name in ("align", "width", "name"):  # old table layouts tell their cells apart by these
        if (value := target.attributes.get(name)) and re.fullmatch(r"[\w-]+", value):
            found.append(f"{tag}[{name}={value}]")
    others = {c for a in row.css(tag) if a.mem_id != target.mem_id for c in _classes(a)} - set(_classes(target))
    found += [f"{tag}:not(.{c})" for c in sorted(others)]
    found += [f"{tag}:first-child", f"{tag}:last-child"]
    return list(dict.fromkeys(found))


def _choose(candidates: Sequence[str], rows: Sequence[LexborNode], wanted: Sequence[int]) -> str | None:
    """The first selector whose first match in each row is the wanted element (by identity)."""

    def picks(selector: str, row: LexborNode, want: int) -> bool:
        node = row.css_first(selector)
        return node is not None and node.mem_id == want

    for selector in candidates:
        try:
            if all(picks(selector, row, want) for row, want in zip(rows, wanted, strict=True)):
                return selector
        except SelectolaxError:  # a candidate lexbor does not accept: try the next one
            continue
    return None


def _date_node(row: LexborNode, title: LexborNode) -> LexborNode | None:
    """The smallest element of the row, outside its title link, whose text is a date."""
    inside_title = _same(title.traverse(include_text=False))
    best: LexborNode | None = None
    for node in row.traverse(include_text=False):
        if node.mem_id in inside_title or node.mem_id == row.mem_id or node.css_first("a[href]") is not None:
            continue
        text = clean_text(node.text(separator=" "))
        if (
            parse_date(text) is not None
            and len(text) <= 40
            and (best is None or len(text) < len(clean_text(best.text())))
        ):
            best = node
    return best


def _date_form(example: str) -> str | None:
    match = _DATE_TEXT.search(example)
    if match is None:
        return None
    printed = match.group(0)
    form = re.sub(r"(?:19|20)\d{2}", "YYYY", printed, count=1)
    if re.fullmatch(r"YYYY\d{4}", form):
        return "YYYYMMDD"
    parts = re.findall(r"\d+", form)
    if len(parts) >= 2:
        month, day = parts[0], parts[1]
        form = form.replace(month, "MM" if len(month) == 2 else "M", 1).replace(day, "DD" if len(day) == 2 else "D", 1)
    return form


_RUN = re.compile(r"((?<![0-9A-Za-z])[0-9a-fA-F]{16,}(?![0-9A-Za-z])|\d+)")


def _runs(name: str) -> list[tuple[str, str]]:
    """A file name as runs of (kind, text): 'hex' (16+ hex digits standing alone), 'digits', 'text'."""
    runs: list[tuple[str, str]] = []
    for index, token in enumerate(_RUN.split(name)):
        if not token:
            continue
        if index % 2 == 0:
            runs.append(("text", token))
        else:
            runs.append(("digits" if token.isdigit() else "hex", token))
    return runs


def _width(kind: str, values: set[str]) -> str:
    """A run's regex: fixed width where the width is part of the form (hex ids, 17-digit timestamps, dates),
    open-ended for counters, which grow a digit now and then."""
    lengths = {len(v) for v in values}
    fixed = len(lengths) == 1 and (
        kind == "hex" or min(lengths) >= 14 or all(len(v) == 8 and parse_date(v) for v in values)
    )
    return (r"[0-9a-f]" if kind == "hex" else r"\d") + (f"{{{lengths.pop()}}}" if fixed else "+")


def _generalise(names: Sequence[str]) -> str | None:
    """One regex, with the id as its group, for file names of one shape (e.g. t20260908_197283.html)."""
    shapes = [_runs(n) for n in names]
    first = shapes[0]
    if any(len(s) != len(first) or [k for k, _ in s] != [k for k, _ in first] for s in shapes):
        return None
    parts: list[str] = []
    variable: list[int] = []
    for index, (kind, _) in enumerate(first):
        values = {s[index][1] for s in shapes}
        if kind == "text":
            if len(values) > 1:
                return None
            parts.append(re.escape(values.pop()))
            continue
        parts.append(_width(kind, values))
        if len(values) > 1 or len(shapes) == 1:
            variable.append(index)
    if not variable:
        return None
    # the id is the last part that varies from row to row (in t20260908_197283 the date repeats, the id never)
    group = variable[-1]
    parts[group] = f"({parts[group]})"
    return "/" + "".join(parts) + "$"


def key_pattern_of(urls: Sequence[str]) -> str | None:
    """A key pattern generalised from the rows' links: the shape most of their file names share."""
    names = [urlsplit(u).path.rsplit("/", 1)[-1] for u in urls]
    shapes: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in names:
        if name:
            shapes[tuple(k for k, _ in _runs(name))].append(name)
    if shapes:
        common = max(shapes.values(), key=len)
        if len(common) * 2 > len(urls) and (pattern := _generalise(common)):
            return pattern
    # links told apart by a query parameter: view?id=123
    queries = [dict(parse_qsl(urlsplit(u).query)) for u in urls]
    for name in queries[0]:
        values = [q.get(name) for q in queries]
        if all(values) and len(set(values)) == len(values):
            return rf"[?&]{re.escape(name)}=([^&#]+)"
    return None


def paging_of(parser: LexborHTMLParser, text: str, base: str) -> str | None:
    """The page-2 address template (`{n}` = page number, `{n0}` = page number - 1), if the pager shows it."""
    current = urlsplit(base).path.rsplit("/", 1)[-1] or "index.html"
    stem = current.rsplit(".", 1)[0]
    for anchor in parser.css("a[href]"):
        label = clean_text(anchor.text())
        if not (_NEXT_PAGE.match(label) or label == "2"):
            continue
        href = resolve(base, anchor.attributes.get("href"))
        if href is None:
            continue
        parts = urlsplit(href)
        name = parts.path.rsplit("/", 1)[-1]
        for key, value in parse_qsl(parts.query):
            if value == "2" and re.search("page|pn|p$", key, re.I):
                return f"{name}?" + "&".join(f"{k}={'{n}' if k == key else v}" for k, v in parse_qsl(parts.query))
        if match := _NUMBERED.match(name):
            number = int(match["n"])
            if number in (1, 2):
                return f"{match['stem']}{match['sep']}{{{'n0' if number == 1 else 'n'}}}{match['ext']}"
    if match := _NHC_PAGER.search(text):
        return f"{match[1]}_{{n}}.{match[2]}"
    if match := _TRS_PAGER.search(text):
        return f"{match[1]}_{{n0}}.{match[2]}"
    if re.search(rf"{re.escape(stem)}_1\.s?html?", text):
        return f"{stem}_{{n0}}.{current.rsplit('.', 1)[-1]}"
    return None


def suggest_list(text: str, base_url: str) -> Suggestion:
    """HTML list options for the page `text`, its links resolved against `base_url`."""
    page = parse_html(text)
    base = page_base(page, base_url)
    title_node = page.css_first("title")
    page_title = clean_text(title_node.text()) if title_node is not None else ""
    records_in = RECORDS_IN if "<record>" in text and page.css_first(RECORDS_IN) is not None else None
    parser = records_document(page, records_in) if records_in else page
    rows = _find_rows(parser, base)
    item = _item_selector(parser, rows, base)
    anchors = [_title_anchor(row, base) for row in rows]
    kept = [(row, a) for row, a in zip(rows, anchors, strict=True) if a is not None]
    rows, titles = [r for r, _ in kept], [a for _, a in kept]
    title = _choose([c for t in titles[:1] for c in _relative_candidates(t, rows[0])], rows, [t.mem_id for t in titles])
    if title is None:
        raise NoListFound(f"the rows of '{item}' hold their title links in no one place")
    extract = {"item": item, "title": title, "title_attr": "title", "link": title}
    dates = [_date_node(row, t) for row, t in zip(rows, titles, strict=True)]
    dated = [(row, d) for row, d in zip(rows, dates, strict=True) if d is not None]
    example = None
    if dated:
        selector = _choose(
            _relative_candidates(dated[0][1], dated[0][0]), [r for r, _ in dated], [d.mem_id for _, d in dated]
        )
        if selector:
            extract["date"] = selector
        example = clean_text(dated[0][1].text(separator=" "))
    if records_in:
        extract = {"records_in": records_in, **extract}
    urls = [u for t in titles if (u := resolve(base, t.attributes.get("href")))]
    return Suggestion(
        extract=extract,
        key_pattern=key_pattern_of(urls),
        page_url=paging_of(page, text, base),
        rows=len(parser.css(item)),
        date_form=_date_form(example) if example else None,
        date_example=example,
        page_title=page_title,
    )
