"""Lists written into a <script> as parallel arrays: `urls[i]="…"; headers[i]="…"; year[i]="…"`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from monitor.extract.dates import parse_date
from monitor.extract.links import resolve, stable_key
from monitor.extract.registry import register
from monitor.extract.text import clean_text
from monitor.values import Fetched, Item

if TYPE_CHECKING:
    from monitor.config.sources import Source


class ScriptListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link_array: str = "urls"
    title_array: str = "headers"
    date_array: str | None = "year"


def _array(text: str, name: str) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(name)}\s*\[\s*[\w+\-]+\s*\]\s*=\s*(['\"])(.*?)(?<!\\)\1", re.S)
    return [match.group(2) for match in pattern.finditer(text)]


@register("script", ScriptListOptions, "list embedded in a <script> as parallel JavaScript arrays")
def extract_script_list(fetched: Fetched, source: Source, options: ScriptListOptions, base_url: str) -> list[Item]:
    links = _array(fetched.text, options.link_array)
    titles = _array(fetched.text, options.title_array)
    dates = _array(fetched.text, options.date_array) if options.date_array else []
    items: list[Item] = []
    for index, (href, raw_title) in enumerate(zip(links, titles, strict=False)):
        url = resolve(base_url, href)
        title = clean_text(re.sub(r"<[^>]+>", "", raw_title))
        if not url or not title:
            continue
        published = parse_date(dates[index]) if index < len(dates) else None
        items.append(Item(key=stable_key(url, source.key_pattern), title=title, url=url, published=published))
    return items
