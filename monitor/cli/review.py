"""Commands that read what was found: log, classify."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer

from monitor.cli import filters
from monitor.cli.base import (
    Context,
    app,
    console,
    say,
)
from monitor.values import ChangeKind


@app.command("log")
def show_log(
    ctx: typer.Context,
    source: filters.SourceName = None,
    kind: Annotated[str | None, typer.Option(help="new, changed or gone.")] = None,
    relevant: Annotated[bool, typer.Option("--relevant", help="Only CGT-relevant notices.")] = False,
    relevance: filters.Relevance = None,
    agency: filters.Agency = None,
    region: filters.Region = None,
    doc_type: filters.DocType = None,
    topic: filters.Topic = None,
    review: filters.Review = None,
    days: Annotated[int | None, typer.Option(min=1, help="Only changes detected in the last N days (N ≥ 1).")] = None,
    search: filters.Search = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row (UTF-8 with BOM, for Excel).")] = False,
) -> None:
    """The detected-changes log, newest first (`notices` lists every notice, baseline ones too)."""
    from monitor.app import open_store
    from monitor.store.export import local_iso, to_csv
    from monitor.store.queries import LogFilter, change_log

    if kind is not None and kind not in {k.value for k in ChangeKind}:
        raise typer.BadParameter(f"'{kind}' (new, changed or gone)", param_hint="--kind")
    obj: Context = ctx.obj
    settings = obj.settings()
    zone = settings.schedule.timezone
    notice_filter = filters.notice_filter(
        relevance="relevant" if relevant else relevance,
        agency=agency,
        region=region,
        source=source,
        doc_type=doc_type,
        topic=topic,
        review=review,
        search=search,
        timezone=zone,
    )
    database = open_store(settings)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
    with database.sessions() as session:
        rows = change_log(session, LogFilter(kind=kind, since=since, limit=limit, notices=notice_filter))
    for row in rows:  # in the configured zone, its offset the label
        row["detected_at"] = local_iso(dt.datetime.fromisoformat(row["detected_at"]), zone)
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
            "notice_id",
        ]
        sys.stdout.write(to_csv(rows, fields))
    else:
        from monitor.cli.tables import change_block, print_lines

        if not rows:
            say("no changes match (baseline and back-filled notices are in `cgt-monitor notices`)")
        for row in rows:
            print_lines(console, change_block(row, zone))
            console.print()


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
    from rich.table import Table

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
