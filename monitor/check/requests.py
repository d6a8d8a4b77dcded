"""The one place where a source becomes a request: its list (page 1 or page N), a notice's detail page and
an attachment, each fetched in the source's fetch mode with the source's politeness and TLS settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.check.interpret import ListProbe, has_detail_text
from monitor.config.sources import RequestSpec, Source
from monitor.fetch.browser import BrowserFetcher, BrowserRequest
from monitor.fetch.http import HttpFetcher, RequestOptions
from monitor.fetch.modes import fetch_by_mode
from monitor.fetch.netpolicy import origin
from monitor.values import Fetched


class NoPaging(ValueError):
    pass


@dataclass(frozen=True)
class Validators:
    """What the last answer said about itself, for a conditional GET of page 1."""

    etag: str | None = None
    last_modified: str | None = None


def page_request(source: Source, page: int) -> tuple[str, RequestSpec]:
    """The address and request of page N of the source's list; polling reads page 1, back-fill the rest."""
    if page < 1:
        raise ValueError("pages start at 1")
    if page == 1:
        return source.url, source.request
    if source.page_url:
        return urljoin(source.url, source.page_url.format(n=page, n0=page - 1)), source.request
    if source.page_param:
        request = source.request
        if request.method == "POST" and request.form is not None:
            return source.url, request.model_copy(update={"form": {**request.form, source.page_param: str(page)}})
        if request.json_body is not None:
            body = {**request.json_body, source.page_param: page}
            return source.url, request.model_copy(update={"json_body": body})
        params = {**(request.params or {}), source.page_param: str(page)}
        return source.url, request.model_copy(update={"params": params})
    raise NoPaging(f"source '{source.name}' has neither page_url nor page_param: it cannot be paged back")


def wait_selector(source: Source) -> str | None:
    """The CSS selector the browser waits for: configured, or the row selector of an HTML list."""
    if source.browser_wait_for:
        return source.browser_wait_for
    item = getattr(source.options, "item", None) if source.kind == "html" else None
    return item if isinstance(item, str) else None


def landing_url(source: Source) -> str:
    """The page an API is called from in the browser: the site's own Referer page, on the source's host."""
    referer = next((value for name, value in source.request.headers.items() if name.lower() == "referer"), None)
    path = urlsplit(referer).path if referer else "/"
    return urljoin(source.url, path or "/")


@lru_cache(maxsize=4096)
def _own_origin(url: str) -> str:
    return origin(httpx.URL(url))


def _options(source: Source, spec: RequestSpec | None = None, **changes: object) -> RequestOptions:
    spec = spec or RequestSpec(headers=source.request.headers)
    return RequestOptions(
        method=spec.method,
        form=spec.form,
        json_body=spec.json_body,
        params=spec.params,
        headers=spec.headers,
        encoding=source.encoding,
        min_delay_s=source.min_delay_s,
        ca_file=source.ca_file,
        insecure_tls=source.insecure_tls,
        own_origin=_own_origin(source.url),
        **changes,  # type: ignore[arg-type]
    )


class SourceRequests:
    """Fetches what a check needs of one source, always through the source's fetch mode."""

    def __init__(self, http: HttpFetcher, browser: BrowserFetcher | None = None) -> None:
        self.http = http
        self.browser = browser  # for sources behind a JS challenge; launched on first need

    async def list_page(
        self, source: Source, page: int = 1, validators: Validators | None = None, probe: ListProbe | None = None
    ) -> Fetched:
        """Page N of the source's list; page 1 conditional on the stored validators."""
        url, spec = page_request(source, page)
        conditional = validators if page == 1 else None
        options = _options(
            source,
            spec,
            etag=conditional.etag if conditional else None,
            last_modified=conditional.last_modified if conditional else None,
            expect=probe or ListProbe(source),
        )
        browsing = (
            None
            if source.fetch == "http"
            else BrowserRequest(  # asked only of a browser
                wait_for=wait_selector(source),
                headless=source.browser_headless,
                in_page=source.kind == "json" or spec.method != "GET",  # an API: called from a page of the site
                landing_url=landing_url(source),
                # a captured list: page 1 is the site's own request; page N is asked from that page, its way
                capture=source.capture_page,
                page=(source.page_param, page) if source.capture and source.page_param and page > 1 else None,
            )
        )
        return await fetch_by_mode(source.fetch, self.http, self.browser, url, options, browsing)

    async def detail_page(self, source: Source, url: str) -> Fetched:
        """A notice's detail page, as the source's list is fetched (through the browser when it needs one)."""
        browsing = BrowserRequest(headless=source.browser_headless)
        options = _options(source, expect=has_detail_text)
        return await fetch_by_mode(source.fetch, self.http, self.browser, url, options, browsing)

    async def attachment(self, source: Source, url: str) -> Fetched:
        """A linked file. A browser cannot hand back a file's bytes, so files go through the plain client,
        which carries the cookies the browser earned on the host (on its detail page, say)."""
        return await fetch_by_mode("http", self.http, self.browser, url, _options(source))
