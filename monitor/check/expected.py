"""What a source's real page looks like, so a challenge page is never mistaken for it (nor it for one)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from monitor.config.sources import Source
from monitor.extract import extract_items
from monitor.fetch.blocked import ListProbe
from monitor.values import Fetched, FetchOutcome


def list_probe(source: Source) -> ListProbe:
    """True when the text yields at least one of the source's items: the expected list is there."""

    def has_list(text: str) -> bool:
        fetched = Fetched(url=source.url, final_url=source.url, status=200, outcome=FetchOutcome.OK, text=text)
        try:
            return bool(extract_items(fetched, source))
        except Exception:  # not even parseable as the expected kind: not the list
            return False

    return has_list


def wait_selector(source: Source) -> str | None:
    """The CSS selector the browser waits for: configured, or the row selector of an HTML list."""
    if source.browser_wait_for:
        return source.browser_wait_for
    item = source.extract.get("item") if source.kind == "html" else None
    return item if isinstance(item, str) else None


def landing_url(source: Source) -> str:
    """The page an API is called from in the browser: the site's own Referer page, on the source's host."""
    referer = next((value for name, value in source.request.headers.items() if name.lower() == "referer"), None)
    path = urlsplit(referer).path if referer else "/"
    return urljoin(source.url, path or "/")
