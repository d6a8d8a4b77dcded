"""The extractor registry: each kind declares its options schema and its extraction function.

An extractor is a pure function of what it uses — the page text, its typed options, the base URL links
resolve against, and the key pattern — and knows nothing of sources, fetching or storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from monitor.values import Item

ExtractFn = Callable[[str, Any, str, "str | None"], list[Item]]


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


def parse_options(kind: str, raw: Mapping[str, Any]) -> BaseModel:
    """The `[source.extract]` table as the typed options of its kind (raises pydantic's ValidationError)."""
    return get(kind).options_model.model_validate(dict(raw))


def extract_items(
    kind: str, text: str, options: BaseModel, base_url: str, key_pattern: str | None = None
) -> list[Item]:
    """Items of one page, de-duplicated by key (first row wins), in page order."""
    unique: dict[str, Item] = {}
    for item in get(kind).run(text, options, base_url, key_pattern):
        unique.setdefault(item.key, item)
    return list(unique.values())
