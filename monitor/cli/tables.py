"""Tables people read in the terminal: the detected-changes log, shared by `log` and the demo."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text

SHANGHAI = ZoneInfo("Asia/Shanghai")


def change_log_table(rows: list[dict[str, Any]], title: str, detailed: bool = True) -> Table:
    """`detailed` adds when each change was detected (Asia/Shanghai) and the link."""
    columns = ["kind", "agency", "published", "CGT", "title", "why"]
    if detailed:
        columns = ["detected", *columns, "url"]
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = [
            row["kind"],
            row["agency"],
            row["published"] or "",
            row.get("level", "title") if row["relevant"] else "",  # title, or body: found in the text
            row["title"],
            ", ".join(row["terms"]) + (f"\n“{row['passage']}”" if row.get("passage") else ""),
        ]
        if detailed:
            detected = dt.datetime.fromisoformat(row["detected_at"]).astimezone(SHANGHAI)
            cells = [detected.strftime("%Y-%m-%d %H:%M"), *cells, row["url"]]
        table.add_row(*(Text(str(value)) for value in cells))
    return table
