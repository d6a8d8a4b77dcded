"""The extractor registry: each kind declares its options schema and its extraction function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from monitor.values import Fetched, Item

if TYPE_CHECKING:
    from monitor.config.sources import Source

ExtractFn = Callable[[Fetched, "Source", Any, str], list[Item]]


@dataclass(frozen=True)
class Extractor:
    kind: str
    description: str
    options_model: type[BaseModel]
    run: ExtractFn


_EXTRACTORS: dict[str, Extractor] = {}


def register(kind: str, options_model: type[BaseModel], description: str) -> Callable[[ExtractFn], ExtractFn]:
    def decorator(fn: ExtractFn) -> ExtractFn:
        _EXTRACTORS[kind] = Extractor(kind, description, options_model, fn)
        return fn

    return decorator


def _load_builtin() -> None:
    # imported for their registration side effect
    from monitor.extract import html_list, json_api, script_list  # noqa: F401


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_EXTRACTORS)


def get(kind: str) -> Extractor:
    _load_builtin()
    return _EXTRACTORS[kind]


def extract_items(fetched: Fetched, source: Source, base_url: str | None = None) -> list[Item]:
    """Items of one fetched page, de-duplicated by key (first row wins), in page order."""
    extractor = get(source.kind)
    options = extractor.options_model.model_validate(source.extract)
    items = extractor.run(fetched, source, options, base_url or fetched.final_url or source.url)
    unique: dict[str, Item] = {}
    for item in items:
        unique.setdefault(item.key, item)
    return list(unique.values())
