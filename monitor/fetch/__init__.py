"""Fetching list pages politely: one shared client, per-host limits, conditional GET, decoding."""

from monitor.fetch.http import HttpFetcher, RequestOptions

__all__ = ["HttpFetcher", "RequestOptions"]
