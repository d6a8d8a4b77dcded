"""HTML list pages: CSS selectors (selectolax) for the row, its title, link and date."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from monitor.extract.dates import parse_date
from monitor.extract.links import is_file_link, resolve, stable_key
from monitor.extract.markup import parse_html
from monitor.extract.registry import register
from monitor.extract.text import clean_text, clean_title
from monitor.values import Item

_BREAK = re.compile(r"<br\s*/?>", re.I)
_EMPTY = LexborHTMLParser("<html></html>")  # selectors are tried on it once, when the catalogue is read
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TABLE_ROW = re.compile(r"\s*<tr[\s>]", re.I)


class HtmlListOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str  # one row of the list, e.g. "div.list ul li"
    title: str = "a"  # element holding the title, within the row
    title_attr: str | None = "title"  # attribute with the full title (link text is often cut with "...")
    link: str = "a"
    link_attr: str = "href"
    date: str | None = None  # element with the date; without it the row's text is searched
    # Hanweb-style pages keep their rows as CDATA records inside these elements, e.g.
    # "script[type='text/xml']": the records are parsed as HTML before `item` is applied
    records_in: str | None = None

    @field_validator("item", "title", "link", "date", "records_in")
    @classmethod
    def _valid_selector(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                _EMPTY.css_first(value)
            except SelectolaxError:
                raise ValueError(f"not a valid CSS selector: {value!r}") from None
        return value


def _node_text(node: LexborNode, separator: str = "") -> str:
    return clean_text(node.text(separator=separator))


def _title(row: LexborNode, options: HtmlListOptions) -> str:
    node = row.css_first(options.title)
    if node is None:
        return ""
    if options.title_attr:
        attr = node.attributes.get(options.title_attr)
        if attr and attr.strip():
            # some sites put a line break inside the attribute value; Chinese titles join without a space
            return clean_title(_BREAK.sub("", attr))
    return clean_title(node.text())


def page_base(parser: LexborHTMLParser, url: str) -> str:
    base = parser.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return resolve(url, href) or url if href else url


def records_document(parser: LexborHTMLParser, records_in: str) -> LexborHTMLParser:
    """The CDATA records kept inside `records_in` elements, parsed as one document of rows."""
    records = [r for node in parser.css(records_in) for r in _RECORD.findall(node.text(deep=True))]
    joined = "".join(records)
    # table-row records (Jiangsu's Hanweb columns) lose their <tr>/<td> outside a table: give them one
    if _TABLE_ROW.match(joined):
        joined = "<table>" + joined + "</table>"
    return LexborHTMLParser("<html><body>" + joined + "</body></html>")


@register("html", HtmlListOptions, "HTML list page read with CSS selectors")
def extract_html_list(text: str, options: HtmlListOptions, base_url: str, key_pattern: str | None) -> list[Item]:
    parser = parse_html(text)
    base = page_base(parser, base_url)
    if options.records_in:
        parser = records_document(parser, options.records_in)
    items: list[Item] = []
    for row in parser.css(options.item):
        title = _title(row, options)
        link_node = row.css_first(options.link)
        url = resolve(base, link_node.attributes.get(options.link_attr)) if link_node is not None else None
        if not title or not url:
            continue
        date_node = row.css_first(options.date) if options.date else None
        published = parse_date(_node_text(date_node, " ") if date_node is not None else _node_text(row, " "))
        key = stable_key(url, key_pattern)
        items.append(Item(key=key, title=title, url=url, published=published, file=is_file_link(url)))
    return items
