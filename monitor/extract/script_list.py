"""Lists written into a <script> as parallel arrays: `urls[i]="…"; headers[i]="…"; year[i]="…"`."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from monitor.extract.dates import parse_date
from monitor.extract.links import resolve, stable_key
from monitor.extract.markup import parse_html
from monitor.extract.registry import register
from monitor.extract.text import clean_title
from monitor.values import Item

_TITLE_ATTR = re.compile(r"""\btitle\s*=\s*(['"])(.*?)\1""", re.S)


class ScriptListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link_array: str = "urls"
    title_array: str = "headers"
    # one array holding the date, or several joined in order, e.g. ["year", "month", "day"]
    date_array: str | list[str] | None = "year"


def _array(text: str, name: str) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(name)}\s*\[\s*[\w+\-]+\s*\]\s*=\s*(['\"])(.*?)(?<!\\)\1", re.S)
    return [match.group(2) for match in pattern.finditer(text)]


@register("script", ScriptListOptions, "list embedded in a <script> as parallel JavaScript arrays")
def extract_script_list(text: str, options: ScriptListOptions, base_url: str, key_pattern: str | None) -> list[Item]:
    # only script bodies: comments and text elsewhere on the page may quote the same syntax
    scripts = "\n".join(node.text(deep=True) for node in parse_html(text).css("script"))
    links = _array(scripts, options.link_array)
    titles = _array(scripts, options.title_array)
    date_arrays = [options.date_array] if isinstance(options.date_array, str) else options.date_array or []
    date_parts = [_array(scripts, name) for name in date_arrays]
    dates = ["-".join(parts) for parts in zip(*date_parts, strict=False)] if date_parts else []
    items: list[Item] = []
    for index, (href, raw_title) in enumerate(zip(links, titles, strict=False)):
        url = resolve(base_url, href)
        # a header may itself be a link whose text is cut ("...") while its title attribute is whole
        attribute = _TITLE_ATTR.search(raw_title)
        title = clean_title(attribute.group(2) if attribute else re.sub(r"<[^>]+>", "", raw_title))
        if not url or not title:
            continue
        published = parse_date(dates[index]) if index < len(dates) else None
        items.append(Item(key=stable_key(url, key_pattern), title=title, url=url, published=published))
    return items
