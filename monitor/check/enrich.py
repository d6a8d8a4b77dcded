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
from urllib.parse import urlsplit

from monitor.check.offload import off_loop
from monitor.check.requests import SourceRequests
from monitor.config.sources import Source
from monitor.extract.attachments import extract_text
from monitor.extract.detail import MAX_BODY_CHARS, FileLink, read_detail
from monitor.values import Attachment, Detail, FetchOutcome, Item

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 5


class Enricher:
    def __init__(self, requests: SourceRequests, attachments_dir: Path, timeout_s: float = 120.0) -> None:
        self.requests = requests
        self.attachments_dir = attachments_dir
        self.timeout_s = timeout_s

    async def enrich(self, source: Source, item: Item) -> Item:
        """The item with its `detail`: body, detail date and attachments; the item unchanged on a time-out."""
        if item.file:  # the row links straight to a file: that file is the attachment
            attachments = await self._download(source, [FileLink(item.url, item.title)])
            return dataclasses.replace(item, detail=_with_attachments(Detail(), attachments))
        try:
            return await asyncio.wait_for(self._enrich(source, item), self.timeout_s)
        except TimeoutError:
            log.warning("detail page of %s took longer than %.0fs: classified on its title", item.url, self.timeout_s)
            return item

    async def _enrich(self, source: Source, item: Item) -> Item:
        fetched = await self.requests.detail_page(source, item.url)
        if fetched.outcome is not FetchOutcome.OK:
            log.warning("detail page %s: %s (%s)", item.url, fetched.outcome.value, fetched.reason)
            return dataclasses.replace(item, detail=Detail(error=fetched.reason))
        page = await off_loop(read_detail, fetched.text, fetched.final_url)
        attachments = await self._download(source, list(page.files[:MAX_ATTACHMENTS]))
        detail = Detail(body=page.body, published=page.published)
        return dataclasses.replace(item, detail=_with_attachments(detail, attachments))

    async def _download(self, source: Source, links: list[FileLink]) -> list[tuple[Attachment, str]]:
        """Each file stored by its digest and read in a limited child process: (facts, text)."""
        stored: list[tuple[Attachment, str]] = []
        for link in links:
            fetched = await self.requests.attachment(source, link.url)
            if fetched.outcome is not FetchOutcome.OK:
                stored.append((Attachment(url=link.url, name=link.name, error=fetched.reason), ""))
                continue
            digest = hashlib.sha256(fetched.content).hexdigest()
            suffix = Path(urlsplit(link.url).path).suffix.lower()[:8]
            path = self.attachments_dir / f"{digest}{suffix}"
            self.attachments_dir.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                await asyncio.to_thread(path.write_bytes, fetched.content)
            extracted = await asyncio.to_thread(extract_text, path)
            attachment = Attachment(
                url=link.url,
                name=link.name,
                path=str(path),
                bytes=len(fetched.content),
                sha256=digest,
                kind=extracted.kind,
                pages=extracted.pages,
                scanned=extracted.scanned,
                chars=len(extracted.text),
                error=extracted.error,
            )
            stored.append((attachment, extracted.text))
        return stored


def _with_attachments(detail: Detail, attachments: list[tuple[Attachment, str]]) -> Detail:
    """Attachment text is kept once, joined and capped, for the classifier; the list keeps the facts."""
    text = "\n".join(text for _, text in attachments).replace("\x00", "")  # PostgreSQL text refuses NUL
    return dataclasses.replace(
        detail, attachments=tuple(a for a, _ in attachments), attachment_text=text[:MAX_BODY_CHARS]
    )
