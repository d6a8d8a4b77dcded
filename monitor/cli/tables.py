"""Tables people read in the terminal: the detected-changes log (shared by `log` and the demo), the sources."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text


def change_log_table(
    rows: list[dict[str, Any]], title: str, detailed: bool = True, timezone: str = "Asia/Shanghai"
) -> Table:
    """`detailed` adds when each change was detected (in `timezone`, named in the header) and the link."""
    columns = ["kind", "agency", "published", "CGT", "title", "why"]
    if detailed:
        columns = [f"detected ({timezone})", *columns, "url"]
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
            detected = dt.datetime.fromisoformat(row["detected_at"]).astimezone(ZoneInfo(timezone))
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


def notice_block(row: Any, timezone: str) -> list[Text]:
    """One notice in a few lines that read at 80 columns: facts, title, gloss, then the link on a line of its
    own (printed unbroken, so it stays one link when copied)."""
    facts = [
        f"#{row.id}",
        row.published.isoformat() if row.published else "undated",
        f"{row.agency} {row.region}",
        "relevant" if row.relevant else "not relevant",
    ]
    if row.doc_type:
        facts.append(row.doc_type)
    if str(row.origin) != "new":
        facts.append(str(row.origin))
    if row.deadline:
        facts.append(f"comments by {row.deadline.isoformat()}")
    head = Text("  ".join(facts), style="bold")
    if row.review:
        review = row.review.replace("_", " ") + (f" → {row.assignee}" if row.assignee else "")
        head.append(f"  [{review}]", style="cyan")
    lines = [head, Text(row.title)]
    if row.gloss:
        lines.append(Text(row.gloss, style="dim"))
    lines.append(Text(row.url, style="blue"))
    return lines


def change_block(row: dict[str, Any], timezone: str) -> list[Text]:
    """One row of the detected-changes log, laid out as `notice_block`."""
    detected = dt.datetime.fromisoformat(row["detected_at"]).astimezone(ZoneInfo(timezone))
    facts = [
        detected.strftime("%Y-%m-%d %H:%M") + f" {timezone}",
        row["kind"],
        f"{row['agency']} {row['region']}",
        f"relevant ({row.get('level', 'title')} level)" if row["relevant"] else "not relevant",
        f"notice #{row['notice_id']}",
    ]
    lines = [Text("  ".join(facts), style="bold"), Text(row["title"])]
    if row["terms"]:
        lines.append(Text("why: " + ", ".join(row["terms"]), style="dim"))
    if row.get("passage"):  # a general title: the sentence of the text that treats CGT
        lines.append(Text(f"in the text: “{row['passage']}”", style="dim"))
    lines.append(Text(row["url"], style="blue"))
    return lines


def print_lines(console: Any, lines: list[Text]) -> None:
    """Lines wrapped to the terminal, except links: those are printed whole, so they still work copied."""
    for line in lines:
        link = line.plain.startswith(("http://", "https://"))
        console.print(line, soft_wrap=link, highlight=False, crop=False)
