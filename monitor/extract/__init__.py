"""Extractors: turn a fetched list page or API answer into notices. One registered extractor per `kind`."""

from monitor.extract.registry import extract_items, get, kinds

__all__ = ["extract_items", "get", "kinds"]
