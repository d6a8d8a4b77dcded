"""A notice's detail page: its body text, the date it declares, and the files it links to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from monitor.extract.dates import parse_date
from monitor.extract.links import is_file_link, resolve
from monitor.extract.markup import parse_html
from monitor.extract.text import clean_text

# Body containers of the CMSs these agencies run (TRS, Hanweb, Ucap, gov.cn's own), most specific first.
BODY_SELECTORS = (
    ".text",
    "#zoom",
    ".TRS_Editor",
    "#UCAP-CONTENT",
    ".pages_content",
    ".article-content",
    ".articleContent",
    ".content",
    "article",
    "body",
)
DATE_METAS = ("PubDate", "firstpublishedtime", "PublishDate", "publishdate", "pubdate", "ArticlePubDate")
MAX_BODY_CHARS = 50_000


@dataclass(frozen=True)
class FileLink:
    url: str
    name: str


@dataclass(frozen=True)
class DetailPage:
    body: str
    published: dt.date | None
    files: tuple[FileLink, ...]


def read_detail(html: str, url: str) -> DetailPage:
    parser = parse_html(html)
    parser.strip_tags(["script", "style", "noscript"])  # code is not text (a challenge page is all code)
    body = ""
    for selector in BODY_SELECTORS:
        node = parser.css_first(selector)
        if node is not None and (text := clean_text(node.text(separator=" "))):
            body = text
            break
    published = None
    for name in DATE_METAS:
        meta = parser.css_first(f'meta[name="{name}"]')
        if meta is not None and (date := parse_date(meta.attributes.get("content"))):
            published = date
            break
    links: dict[str, FileLink] = {}
    for anchor in parser.css("a[href]"):
        target = resolve(url, anchor.attributes.get("href"))
        if target and is_file_link(target) and target not in links:
            name = clean_text(anchor.text()) or unquote(urlsplit(target).path.rsplit("/", 1)[-1])
            links[target] = FileLink(target, name)
    return DetailPage(body[:MAX_BODY_CHARS], published, tuple(links.values()))
