"""Following new notices to their detail pages: body text, publication date, attachments (size-capped).

Only for sources with `follow = true`, only for new notices, never for a baseline, within time and size caps:
a slow or broken detail page costs that notice its body, never the check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from monitor.extract.attachments import extract_text
from monitor.extract.dates import parse_date
from monitor.extract.links import is_file_link, resolve
from monitor.extract.text import clean_text
from monitor.fetch import HttpFetcher, RequestOptions
from monitor.values import FetchOutcome, Item

log = logging.getLogger(__name__)

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
MAX_ATTACHMENTS = 5


@dataclasses.dataclass(frozen=True)
class Detail:
    body: str
    published: str | None
    attachments: tuple[dict[str, object], ...]


def read_detail(html: str, url: str) -> Detail:
    parser = LexborHTMLParser(html)
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
            published = date.isoformat()
            break
    links: dict[str, dict[str, object]] = {}
    for anchor in parser.css("a[href]"):
        target = resolve(url, anchor.attributes.get("href"))
        if target and is_file_link(target) and target not in links:
            name = clean_text(anchor.text()) or unquote(urlsplit(target).path.rsplit("/", 1)[-1])
            links[target] = {"url": target, "name": name}
    return Detail(body[:MAX_BODY_CHARS], published, tuple(links.values()))


def _with_attachments(extra: dict[str, object], attachments: list[dict[str, object]]) -> dict[str, object]:
    """Attachment text is kept once, joined and capped, for the classifier; the list keeps the facts."""
    text = "\n".join(str(a.pop("text", "")) for a in attachments)
    return {**extra, "attachments": attachments, "attachment_text": text[:MAX_BODY_CHARS]}


class Enricher:
    def __init__(self, fetcher: HttpFetcher, attachments_dir: Path, timeout_s: float = 120.0) -> None:
        self.fetcher = fetcher
        self.attachments_dir = attachments_dir
        self.timeout_s = timeout_s

    async def enrich(self, item: Item, options: RequestOptions) -> Item:
        """The item with `extra` holding body, detail date and attachments; the item unchanged on failure."""
        if item.extra.get("file"):  # the row links straight to a file: that file is the attachment
            attachments = await self._download([{"url": item.url, "name": item.title}], options)
            return dataclasses.replace(item, extra=_with_attachments(item.extra, attachments))
        try:
            return await asyncio.wait_for(self._enrich(item, options), self.timeout_s)
        except TimeoutError:
            log.warning("detail page of %s took longer than %.0fs: classified on its title", item.url, self.timeout_s)
            return item

    async def _enrich(self, item: Item, options: RequestOptions) -> Item:
        fetched = await self.fetcher.fetch(item.url, options)
        if fetched.outcome is not FetchOutcome.OK:
            log.warning("detail page %s: %s (%s)", item.url, fetched.outcome.value, fetched.reason)
            return dataclasses.replace(item, extra={**item.extra, "detail_error": fetched.reason})
        detail = read_detail(fetched.text, fetched.final_url)
        attachments = await self._download(list(detail.attachments[:MAX_ATTACHMENTS]), options)
        extra = _with_attachments({**item.extra, "body": detail.body}, attachments)
        if detail.published:
            extra["detail_published"] = detail.published
        return dataclasses.replace(item, extra=extra)

    async def _download(self, links: list[dict[str, object]], options: RequestOptions) -> list[dict[str, object]]:
        stored = []
        for link in links:
            url = str(link["url"])
            fetched = await self.fetcher.fetch(url, options)
            if fetched.outcome is not FetchOutcome.OK:
                stored.append({**link, "error": fetched.reason})
                continue
            digest = hashlib.sha256(fetched.content).hexdigest()
            suffix = Path(urlsplit(url).path).suffix.lower()[:8]
            path = self.attachments_dir / f"{digest}{suffix}"
            self.attachments_dir.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                await asyncio.to_thread(path.write_bytes, fetched.content)
            extracted = await asyncio.to_thread(extract_text, path)
            stored.append(
                {
                    **link,
                    "path": str(path),
                    "bytes": len(fetched.content),
                    "sha256": digest,
                    "kind": extracted.kind,
                    "pages": extracted.pages,
                    "scanned": extracted.scanned,
                    "chars": len(extracted.text),
                    "error": extracted.error,
                    "text": extracted.text,
                }
            )
        return stored
