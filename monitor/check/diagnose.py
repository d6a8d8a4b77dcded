"""Why a source's selectors find nothing on a page, in words that say which selector and what it matched.

Used for the reason of a `rot` check, by `sources test` and by `validate --page NAME=FILE`.
"""

from __future__ import annotations

import re
from pathlib import Path

from monitor.config.errors import ConfigError
from monitor.config.sources import Source
from monitor.extract.html_list import HtmlListOptions
from monitor.extract.links import resolve
from monitor.extract.markup import parse_html
from monitor.extract.registry import extract_items
from monitor.fetch.charset import UndecodablePage, decode


def why_no_items(source: Source, text: str) -> str:
    """Which selector of an HTML list came up empty, and what the one before it had matched."""
    options = source.options
    if not isinstance(options, HtmlListOptions):
        return "no items in the answer: check the field paths against it"
    parser = parse_html(text)
    if options.records_in and not parser.css(options.records_in):
        return f"records_in selector '{options.records_in}' matched nothing on the page"
    if options.records_in:
        return f"the records in '{options.records_in}' hold no row matching '{options.item}'"
    rows = parser.css(options.item)
    if not rows:
        return f"item selector '{options.item}' matched nothing on the page ({len(text):,} characters)"
    for role, selector in (("title", options.title), ("link", options.link)):
        if not any(row.css_first(selector) is not None for row in rows):
            return (
                f"item selector '{options.item}' matched {len(rows)} rows, "
                f"but the {role} selector '{selector}' matched nothing inside them"
            )
    return (
        f"item selector '{options.item}' matched {len(rows)} rows, but none had both a title and a "
        f"'{options.link_attr}' link"
    )


def key_pattern_misses(source: Source, text: str, base_url: str) -> str | None:
    """When the key pattern matches none of the page's links: keys fall back to the whole URL, which
    changes whenever the site moves its pages, so every notice would later look new."""
    if not source.key_pattern:
        return None
    pattern = re.compile(source.key_pattern)
    anchors = parse_html(text).css("a[href]")
    links = [link for a in anchors if (link := resolve(base_url, a.attributes.get("href")))]
    if not links or any(pattern.search(link) for link in links):
        return None
    return f"key_pattern '{source.key_pattern}' matches none of the page's {len(links)} links (e.g. {links[0]})"


def diagnose_page(source: Source, path: Path) -> list[ConfigError]:
    """The source's extraction on a saved page, as configuration problems naming the source."""
    where = f"[[source]] {source.name}"
    try:
        content = path.read_bytes()
    except OSError as exc:
        return [ConfigError(path, f"cannot read the saved page: {exc.strerror or exc}", where=where)]
    try:
        text, _ = decode(content, "application/json" if path.suffix == ".json" else None, source.encoding)
    except UndecodablePage as exc:
        return [ConfigError(path, f"undecodable page: {exc}", where=where)]
    problems = []
    try:
        items = extract_items(source.kind, text, source.options, source.url, source.key_pattern)
    except Exception as exc:  # a page of another kind: say so, never a traceback
        return [ConfigError(path, f"extraction failed: {exc}", where=where)]
    if not items:
        problems.append(ConfigError(path, why_no_items(source, text), where=where))
    if miss := key_pattern_misses(source, text, source.url):
        problems.append(ConfigError(path, miss, where=where))
    return problems
