"""Tables people read in the terminal: the detected-changes log (shared by `log` and the demo), the sources."""

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


def sources_table(rows: list[dict[str, Any]]) -> Table:
    """`sources list`: rows as built for its --json, so the table and the JSON never disagree."""
    table = Table(title="Sources")
    columns = ("name", "agency", "region", "kind", "fetch", "every", "evidence", "health", "last check", "served by")
    for column in (*columns, "label"):
        # the name and the evidence stay whole on a narrow terminal: they are what a reader scans for
        table.add_column(column, no_wrap=column in ("name", "evidence"), overflow="fold")
    for row in rows:
        health = row["health"] or "never checked"
        if row["health_reason"]:
            health += f": {row['health_reason']}"
        checked = dt.datetime.fromisoformat(row["last_checked_at"]) if row["last_checked_at"] else None
        served = f"{row['served_by']} {row['last_elapsed_s']:.1f}s" if row["served_by"] else ""
        cells = [
            row["name"],
            row["agency"],
            row["region"] + (f" ({row['language']})" if row["language"] != "zh" else ""),
            row["kind"],
            row["fetch"],
            f"{row['interval_minutes']}m",
            row["evidence"],
            health,
            checked.strftime("%Y-%m-%d %H:%M") if checked else "",
            served,
            row["label"] + (" [TLS verification OFF]" if row["insecure_tls"] else ""),
        ]
        table.add_row(*(Text(str(value)) for value in cells))
    return table
