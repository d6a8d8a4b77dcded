"""Fetching list pages politely: one shared client, per-host limits, conditional GET, decoding, and a real
browser for sites behind a JS challenge."""

from monitor.fetch.browser import BrowserFetcher, BrowserRequest
from monitor.fetch.http import HttpFetcher, RequestOptions

__all__ = ["BrowserFetcher", "BrowserRequest", "HttpFetcher", "RequestOptions"]
