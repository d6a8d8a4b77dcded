"""JSON list APIs: a dotted path to the records and field names (or a link template) per item."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from monitor.extract.dates import parse_date
from monitor.extract.links import resolve, stable_key
from monitor.extract.registry import register
from monitor.extract.text import clean_text
from monitor.values import Fetched, Item

if TYPE_CHECKING:
    from monitor.config.sources import Source

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


class JsonListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: str  # dotted path to the list, e.g. "data.records"
    title: str = "title"
    link: str  # a field holding the URL, or a template such as "/zdyz/domesticinfopage?zdyzIdCODE={zdyzIdCODE}"
    date: str | None = None
    id: str | None = None  # field with a stable id; else the source's key_pattern or the canonical URL


class JsonShapeError(ValueError):
    pass


def dig(data: Any, path: str) -> Any:
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _link(record: dict[str, Any], template: str, base: str) -> str | None:
    if "{" in template:
        values = {name: dig(record, name) for name in _PLACEHOLDER.findall(template)}
        if any(value in (None, "") for value in values.values()):
            return None
        return resolve(base, _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template))
    value = dig(record, template)
    return resolve(base, str(value)) if value else None


@register("json", JsonListOptions, "JSON list API (GET or form/JSON POST) read by field paths")
def extract_json_list(fetched: Fetched, source: Source, options: JsonListOptions, base_url: str) -> list[Item]:
    try:
        data = json.loads(fetched.text)
    except json.JSONDecodeError as exc:
        raise JsonShapeError(f"answer is not JSON ({exc.msg} at line {exc.lineno})") from None
    records = dig(data, options.records)
    if records is None:
        raise JsonShapeError(f"no '{options.records}' in the answer")
    if not isinstance(records, list):
        raise JsonShapeError(f"'{options.records}' is {type(records).__name__}, not a list")
    items: list[Item] = []
    for record in records:
        if not isinstance(record, dict):
            continue
        title = clean_text(str(dig(record, options.title) or ""))
        url = _link(record, options.link, base_url)
        if not title or not url:
            continue
        record_id = dig(record, options.id) if options.id else None
        items.append(
            Item(
                key=stable_key(url, source.key_pattern, str(record_id) if record_id else None),
                title=title,
                url=url,
                published=parse_date(dig(record, options.date)) if options.date else None,
            )
        )
    return items
