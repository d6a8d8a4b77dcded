"""`sources suggest`: a saved (or fetched) list page turned into a ready `[[source]]` table, proven by
validating it as the catalogue would and extracting the page with it."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from monitor.check.interpret import source_items
from monitor.config.settings import FetchSettings
from monitor.config.sources import Source, parse_sources
from monitor.extract.suggest import Suggestion, suggest_list
from monitor.fetch.charset import UndecodablePage, decode
from monitor.fetch.http import HttpFetcher, RequestOptions
from monitor.fetch.netpolicy import origin
from monitor.values import FetchOutcome, Item

_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+)\s*-->", re.I)
_SUFFIXES = {"www", "gov", "cn", "com", "org", "net", "edu"}
_PAGE_FILE = re.compile(r"^(index|list|default|home)\w*\.\w+$", re.I)


class PageUnavailable(ValueError):
    """The page to suggest from could not be read or fetched."""


@dataclass(frozen=True)
class Draft:
    suggestion: Suggestion
    toml: str  # the [[source]] table, ready to paste into sources.toml
    source: Source  # that table as the catalogue reads it
    items: list[Item]  # what the source's extractor reads from the page


def page_address(text: str) -> str | None:
    """Where a saved page came from, if it says: a browser's "saved from" mark, a canonical link, og:url."""
    if match := _SAVED_FROM.search(text[:4096]):
        return match.group(1)
    parser = LexborHTMLParser(text)
    for selector, attr in (("link[rel=canonical]", "href"), ("meta[property='og:url']", "content")):
        node = parser.css_first(selector)
        value = node.attributes.get(attr) if node is not None else None
        if value and re.match(r"^https?://", value):
            return value
    return None


def read_page(path: Path) -> str:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PageUnavailable(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return decode(content)[0]
    except UndecodablePage as exc:
        raise PageUnavailable(f"undecodable page {path}: {exc}") from None


async def fetch_page(url: str, settings: FetchSettings) -> tuple[str, str]:
    """The page's text and the address it finally came from, through the plain client the daemon uses."""
    async with HttpFetcher(settings) as fetcher:
        fetched = await fetcher.fetch(url, RequestOptions(own_origin=origin(httpx.URL(url))))
    if fetched.outcome is not FetchOutcome.OK:
        hint = " (a site behind a JS challenge: save the page from a browser and pass the file)"
        raise PageUnavailable(f"{fetched.reason or fetched.outcome} at {url}" + (hint if fetched.block else ""))
    return fetched.text, fetched.final_url


def _names(url: str) -> tuple[str, str]:
    """A source name and agency guessed from the address: mpa.gd.gov.cn/xwdt/tzgg/ → gd-mpa-tzgg, MPA."""
    parts = urlsplit(url)
    labels = [label for label in parts.netloc.split(":")[0].lower().split(".") if label not in _SUFFIXES]
    labels = [label for label in labels if not label.isdigit()] or ["site"]
    folders = [p for p in parts.path.split("/") if p and not _PAGE_FILE.match(p)]
    column = re.sub(r"\.\w+$", "", folders[-1]) if folders else ""
    name = "-".join([*reversed(labels), *([column] if column else [])])
    return re.sub(r"[^a-z0-9\-]+", "-", name.lower()).strip("-")[:64] or "new-source", labels[0].upper()


def _basic(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _literal(value: str) -> str:
    """Regexes read best as TOML literal strings: no backslash doubled."""
    return f"'{value}'" if "'" not in value and "\n" not in value else _basic(value)


def render(suggestion: Suggestion, url: str) -> str:
    name, agency = _names(url)
    lines = [
        "[[source]]",
        f"name = {_basic(name)}",
        f"label = {_basic(suggestion.page_title or name)}",
        f"agency = {_basic(agency)}  # EDIT: the publishing agency",
        'region = "CN"  # EDIT: CN-XX for a province, CN-XX-XXX for a city',
        f"url = {_basic(url)}",
        'kind = "html"',
    ]
    if suggestion.key_pattern:
        lines.append(f"key_pattern = {_literal(suggestion.key_pattern)}")
    else:
        lines.append("# no key pattern: the links share no id form, so keys are the links themselves")
    if suggestion.page_url:
        lines.append(f"page_url = {_basic(suggestion.page_url)}")
    else:
        lines.append("# no pager found on the page: set page_url for `backfill`")
    lines.append("[source.extract]")
    for field, value in suggestion.extract.items():
        note = ""
        if field == "date" and suggestion.date_form:
            note = f"  # dates like {suggestion.date_example} ({suggestion.date_form})"
        lines.append(f"{field} = {_basic(value)}{note}")
    return "\n".join(lines) + "\n"


def draft_source(text: str, url: str) -> Draft:
    """The suggestion for a page at `url`, validated as a catalogue entry and tried on the page."""
    suggestion = suggest_list(text, url)
    table = render(suggestion, url)
    (source,) = parse_sources(tomllib.loads(table), table, Path("<suggestion>"))
    return Draft(suggestion, table, source, source_items(source, text, url))
