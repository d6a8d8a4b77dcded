"""Commands that read what was found: log, classify."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from monitor.cli.base import (
    Context,
    app,
    console,
)


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet will not run: text from a site that starts like a formula (= + - @, or a tab or
    carriage return before one) is prefixed with an apostrophe, as OWASP advises for CSV exports."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@app.command("log")
def show_log(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    kind: Annotated[str | None, typer.Option(help="new, changed or gone.")] = None,
    relevant: Annotated[bool, typer.Option("--relevant", help="Only CGT-relevant notices.")] = False,
    days: Annotated[int | None, typer.Option(help="Only changes detected in the last N days.")] = None,
    search: Annotated[str | None, typer.Option(help="Title contains this text.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row.")] = False,
) -> None:
    """The detected-changes log, newest first."""
    from monitor.app import open_store
    from monitor.store.queries import LogFilter, change_log

    obj: Context = ctx.obj
    database = open_store(obj.settings())
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
    with database.sessions() as session:
        rows = change_log(
            session,
            LogFilter(source=source, kind=kind, relevant_only=relevant, since=since, search=search, limit=limit),
        )
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif as_csv:
        fields = [
            "detected_at",
            "kind",
            "source",
            "agency",
            "region",
            "published",
            "relevant",
            "level",
            "score",
            "doc_type",
            "deadline",
            "title",
            "url",
            "terms",
            "passage",
        ]
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {name: spreadsheet_safe(value) for name, value in {**row, "terms": ";".join(row["terms"])}.items()}
            )
    else:
        from monitor.cli.tables import change_log_table

        console.print(change_log_table(rows, "Detected changes"))


@app.command()
def classify(
    explain: Annotated[bool, typer.Option("--explain", help="Show the reasoning as a table.")] = False,
) -> None:
    """Classify one text per line from stdin; print one JSON object per line."""
    from monitor.classify import default_classifier

    classifier = default_classifier()
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        verdict = classifier.classify(text)
        if explain:
            _explain(text, verdict)
        else:
            print(json.dumps({"text": text, **verdict.as_dict()}, ensure_ascii=False), flush=True)


def _explain(text: str, verdict: Any) -> None:
    verdict_text = "[green]relevant[/]" if verdict.relevant else "[dim]not relevant[/]"
    table = Table(title=f"{text}", caption=f"{verdict_text} · score {verdict.score:+.1f}", show_header=True)
    for column in ("term", "where", "topic", "weight"):
        table.add_column(column)
    for match in verdict.matches:
        table.add_row(match.term, match.where, match.topic or "look-alike", f"{match.weight:+.1f}")
    console.print(table)
    for label, value in (
        ("doc type", verdict.doc_type),
        ("deadline", verdict.deadline),
        ("document no.", verdict.document_number),
        ("in English", verdict.gloss),
    ):
        if value:
            console.print(f"  {label}: {value}", highlight=False)
