"""Lists as files people open: CSV for Excel (UTF-8 with a BOM, yes/no, formula-like cells neutralised),
xlsx with working links, JSON. Shared by the CLI, the desk's exports and its API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

BOM = "\ufeff"  # without it Excel reads UTF-8 as the local code page, and Chinese turns to mojibake


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet will not run: text from a site that starts like a formula (= + - @, or a tab or
    carriage return before one) is prefixed with an apostrophe, as OWASP advises for CSV exports."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def cell_text(value: object) -> object:
    """A value as a spreadsheet cell: booleans as yes/no, lists joined, None empty."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], bom: bool = True) -> str:
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell_text(row.get(name))) for name in fields])
    return out.getvalue()


def to_json(rows: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=2, default=str)


# the columns of a notice list, exported from the desk or by `cgt-monitor notices`
NOTICE_FIELDS = [
    "id",
    "published",
    "first_seen_at",
    "origin",
    "source",
    "agency",
    "region",
    "relevant",
    "level",
    "score",
    "doc_type",
    "topics",
    "terms",
    "document_number",
    "deadline",
    "review",
    "assignee",
    "title",
    "gloss",
    "passage",
    "url",
]
LINK_FIELDS = ("url", "desk_url")


def to_xlsx(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], sheet: str = "notices") -> bytes:
    """A workbook whose link columns are real hyperlinks; cells are values, never formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(fields))
    for header in ws[1]:
        header.font = Font(bold=True)
    links = [(column, name) for column, name in enumerate(fields, start=1) if name in LINK_FIELDS]
    for number, row in enumerate(rows, start=2):  # counted here: ws.max_row walks every cell each time
        ws.append([spreadsheet_safe(cell_text(row.get(name))) for name in fields])
        for column, name in links:
            value = row.get(name)
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                link = ws.cell(row=number, column=column)
                link.hyperlink = value
                link.style = "Hyperlink"
    ws.freeze_panes = "A2"
    for column, name in enumerate(fields, start=1):
        letter = ws.cell(row=1, column=column).column_letter
        ws.column_dimensions[letter].width = 60 if name in ("title", "gloss") else 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def local_time(moment: dt.datetime | None, timezone: str, seconds: bool = False) -> str:
    """A time in the configured zone, labelled with it: '2026-09-23 10:15 Asia/Shanghai'."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {timezone}"


def local_iso(moment: dt.datetime | None, timezone: str) -> str | None:
    """ISO 8601 in the configured zone, its offset the label: '2026-09-23T10:15:00+08:00'."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds") if moment else None
