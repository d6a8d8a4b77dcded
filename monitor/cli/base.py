"""The command line's shared parts: the Typer apps, global options, consoles and report printing."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.config import ConfigError, Settings, Source, load_settings, load_sources

app = typer.Typer(
    help="Watch Chinese regulators' notice pages for cell and gene therapy news.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
sources_app = typer.Typer(help="The source catalogue.", no_args_is_help=True)
deliveries_app = typer.Typer(help="The alert outbox: pending and failed deliveries.", invoke_without_command=True)
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")
app.add_typer(deliveries_app, name="deliveries")
notify_app = typer.Typer(help="Channels: try them before relying on them.", no_args_is_help=True)
config_app = typer.Typer(help="The deployment settings.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")
app.add_typer(config_app, name="config")

console = Console()
errors = Console(stderr=True)


@dataclass
class Context:
    sources_path: Path | None
    config_path: Path | None
    data_dir: Path | None

    def settings(self) -> Settings:
        return _or_exit(lambda: load_settings(self.config_path, self.data_dir))

    def sources(self) -> list[Source]:
        return _or_exit(lambda: load_sources(self.sources_path))

    def source(self, name: str) -> Source:
        for source in self.sources():
            if source.name == name:
                return source
        errors.print(f"[red]error:[/] no source named '{name}' in the catalogue (see `cgt-monitor sources list`)")
        raise typer.Exit(2)


def _or_exit(load: Any) -> Any:
    try:
        return load()
    except ConfigError as exc:
        errors.print(f"[red]configuration error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None


@app.callback()
def main(
    ctx: typer.Context,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            envvar="CGT_MONITOR_SOURCES",
            help="Source catalogue (default ./sources.toml, then the packaged one).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", envvar="CGT_MONITOR_CONFIG", help="Deployment settings: database, channels, subscriptions."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="CGT_MONITOR_DATA", help="State directory (default: the user data dir)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    ctx.obj = Context(sources, config, data_dir)


def summary_table(reports: list[Any], title: str) -> Table:
    table = Table(title=title)
    for column in ("source", "outcome", "items", "new", "relevant", "changed", "gone", "alerts", "reason"):
        table.add_column(column)
    for report in reports:
        s = report.summary
        table.add_row(
            s.source,
            s.outcome,
            str(s.items),
            str(s.new),
            str(s.relevant_new),
            str(s.changed),
            str(s.gone),
            str(s.deliveries),
            s.reason or "",
        )
    return table


def print_report(report: Any, as_json: bool) -> None:
    from monitor.classify import default_classifier

    new_keys = {item.key for item in report.diff.new} if report.diff and not report.diff.baseline else set()
    classifier = default_classifier()
    rows = []
    for item in report.items:
        verdict = report.verdicts.get(item.key) or classifier.classify(item.title)
        rows.append(
            {
                "key": item.key,
                "title": item.title,
                "url": item.url,
                "published": item.published.isoformat() if item.published else None,
                "new": item.key in new_keys,
                **verdict.as_dict(),
            }
        )
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        if report.summary.reason:
            errors.print(f"{report.source.name}: {report.summary.outcome}: {report.summary.reason}", highlight=False)
        return
    table = Table(title=f"{report.source.name} — {report.source.url}")
    for column in ("published", "relevant", "new", "title", "terms", "url"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["published"] or "",
            "yes" if row["relevant"] else "",
            "new" if row["new"] else "",
            row["title"],
            ", ".join(row["terms"]),
            row["url"],
        )
    console.print(table)
    s = report.summary
    console.print(
        f"outcome: [bold]{s.outcome}[/]  items: {len(rows)}  new: {s.new}  changed: {s.changed}  "
        f"gone: {s.gone}" + (f"  alerts queued: {s.deliveries}" if s.deliveries else "")
    )
    if s.reason:
        errors.print(f"[red]{s.outcome}:[/] {s.reason}", highlight=False)
