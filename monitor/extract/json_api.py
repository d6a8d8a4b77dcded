"""JSON list APIs: a dotted path to the records and field names (or a link template) per item."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from monitor.extract.dates import parse_date
from monitor.extract.links import resolve, stable_key
from monitor.extract.registry import register
from monitor.extract.text import clean_title
from monitor.values import Item

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


_FALSE = (None, "", 0, "0", False, "false")  # how the APIs say "no" in a flag field (isPic: 0, "0", false)


class LinkRule(BaseModel):
    """A link that applies only to records whose `when` field is set: CDE's picture news (isPic) live under
    another path than its other news."""

    model_config = ConfigDict(extra="forbid")

    when: str = Field(min_length=1)  # dotted path to a flag field
    link: str = Field(min_length=1)  # a field or a template, as in `link`


class JsonListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: str  # dotted path to the list, e.g. "data.records"; "." when the answer is the list itself
    title: str = "title"
    # a field holding the URL, or a template such as "/zdyz/domesticinfopage?zdyzIdCODE={zdyzIdCODE}";
    # a list is tried in order, the first that yields a URL wins (fields may be empty per record), and an
    # entry { when = "isPic", link = "…" } is tried only for records whose `when` field is set
    link: str | list[str | LinkRule]
    date: str | None = None
    id: str | list[str] | None = None  # field(s) with a stable id; else the key_pattern or the canonical URL


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


def _first(record: dict[str, Any], fields: str | list[str] | None) -> str | None:
    for name in [fields] if isinstance(fields, str) else fields or []:
        value = dig(record, name)
        if value not in (None, ""):
            return str(value)
    return None


def _link(record: dict[str, Any], templates: str | list[str | LinkRule], base: str) -> str | None:
    for template in [templates] if isinstance(templates, str) else templates:
        if isinstance(template, LinkRule):
            if dig(record, template.when) in _FALSE:
                continue
            template = template.link
        if url := _one_link(record, template, base):
            return url
    return None


def _one_link(record: dict[str, Any], template: str, base: str) -> str | None:
    if "{" in template:
        values = {name: dig(record, name) for name in _PLACEHOLDER.findall(template)}
        if any(value in (None, "") for value in values.values()):
            return None
        return resolve(base, _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template))
    value = dig(record, template)
    return resolve(base, str(value)) if value else None


@register("json", JsonListOptions, "JSON list API (GET or form/JSON POST) read by field paths")
def extract_json_list(text: str, options: JsonListOptions, base_url: str, key_pattern: str | None) -> list[Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonShapeError(f"answer is not JSON ({exc.msg} at line {exc.lineno})") from None
    records = data if options.records == "." else dig(data, options.records)
    if records is None:
        raise JsonShapeError(f"no '{options.records}' in the answer")
    if not isinstance(records, list):
        raise JsonShapeError(f"'{options.records}' is {type(records).__name__}, not a list")
    items: list[Item] = []
    for record in records:
        if not isinstance(record, dict):
            continue
        title = clean_title(str(dig(record, options.title) or ""))
        url = _link(record, options.link, base_url)
        if not title or not url:
            continue
        items.append(
            Item(
                key=stable_key(url, key_pattern, _first(record, options.id)),
                title=title,
                url=url,
                published=parse_date(dig(record, options.date)) if options.date else None,
            )
        )
    return items
