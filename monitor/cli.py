"""The command line: `cgt-monitor run | check | log | classify | sources | db | demo | deliveries`."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
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


def _summary_table(reports: list[Any], title: str) -> Table:
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


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Check every source once, send alerts, exit.")] = False,
) -> None:
    """Run the daemon (or one cycle with --once)."""
    from monitor.app import running_pipeline
    from monitor.scheduler import Daemon

    obj: Context = ctx.obj
    settings, sources = obj.settings(), obj.sources()
    enabled = [s for s in sources if s.enabled]

    async def main_async() -> None:
        async with running_pipeline(settings) as pipeline:
            if once:
                reports, dispatch = await pipeline.run_once(enabled)
                console.print(_summary_table(reports, "One cycle"))
                console.print(f"alerts sent: {dispatch.sent}, failed (will retry): {dispatch.failed}")
                for error in dispatch.errors:
                    errors.print(f"[yellow]delivery failed:[/] {error}", highlight=False)
            else:
                await Daemon(pipeline, enabled).run()

    asyncio.run(main_async())


@app.command()
def check(
    ctx: typer.Context,
    name: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Store nothing, send nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
) -> None:
    """Check one source now and print what it found."""
    from monitor.app import running_pipeline

    obj: Context = ctx.obj
    settings, source = obj.settings(), obj.source(name)

    async def main_async() -> Any:
        async with running_pipeline(settings) as pipeline:
            report = await pipeline.check(source, dry_run=dry_run)
            if not dry_run and report.summary.deliveries:
                await pipeline.dispatcher.dispatch_due()
            return report

    report = asyncio.run(main_async())
    _print_report(report, as_json)
    if report.summary.outcome in ("blocked", "error", "rot"):
        raise typer.Exit(1)


def _print_report(report: Any, as_json: bool) -> None:
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


@app.command()
def backfill(
    ctx: typer.Context,
    name: str,
    pages: Annotated[int, typer.Option("--pages", min=1, max=200, help="Read pages 1..N of the list.")] = 5,
) -> None:
    """Read older pages of a source into the store (politely, one host at a time); alerts nothing old."""
    from monitor.app import running_pipeline
    from monitor.paging import NoPaging, page_request

    obj: Context = ctx.obj
    settings, source = obj.settings(), obj.source(name)
    if pages > 1:
        try:
            page_request(source, 2)
        except NoPaging as exc:
            errors.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None

    async def main_async() -> Any:
        async with running_pipeline(settings) as pipeline:
            report = await pipeline.backfill(source, pages)
            await pipeline.dispatcher.dispatch_due()
            return report

    report = asyncio.run(main_async())
    first = report.first.summary
    console.print(f"page 1: {first.outcome}, {first.items} items" + (f" ({first.reason})" if first.reason else ""))
    console.print(f"pages read: {report.pages}, older notices seen: {report.seen}, newly stored: {report.added}")
    if report.stopped:
        errors.print(f"[yellow]stopped:[/] {report.stopped}", highlight=False)
    if first.outcome in ("blocked", "error", "rot"):
        raise typer.Exit(1)


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
            "score",
            "doc_type",
            "deadline",
            "title",
            "url",
            "terms",
        ]
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "terms": ";".join(row["terms"])})
    else:
        from monitor.present import change_log_table

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


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from monitor.store.db import current_revision, open_database, upgrade_database

    settings: Settings = ctx.obj.settings()
    engine = open_database(settings.resolved_database_url())
    upgrade_database(engine)
    console.print(f"database at revision {current_revision(engine)}: {engine.url.render_as_string()}")


@app.command()
def validate(ctx: typer.Context) -> None:
    """Validate the source catalogue and the deployment settings."""
    obj: Context = ctx.obj
    sources = obj.sources()
    settings = obj.settings()
    console.print(
        f"{len(sources)} sources, {len(settings.channels)} channels, {len(settings.subscription)} subscriptions: OK"
    )


@app.command()
def demo(
    data_dir: Annotated[Path | None, typer.Option("--demo-dir", help="Keep the demo's database here.")] = None,
) -> None:
    """Offline demo: recorded pages served on 127.0.0.1, a baseline, a 'next day', alerts by local e-mail."""
    from monitor.demo.run import run_demo

    raise typer.Exit(run_demo(console, data_dir))


@sources_app.command("list")
def sources_list(ctx: typer.Context) -> None:
    """The catalogue with each source's health."""
    from monitor.app import open_store
    from monitor.store.queries import source_health

    obj: Context = ctx.obj
    sources = obj.sources()
    health: dict[str, Any] = {}
    try:
        database = open_store(obj.settings())
        with database.sessions() as session:
            health = source_health(session)
    except Exception as exc:  # the list is still useful without the database
        errors.print(f"[yellow]health unavailable:[/] {exc}")
    table = Table(title="Sources")
    for column in ("name", "agency", "region", "kind", "fetch", "every", "health", "last check", "served by", "label"):
        table.add_column(column, overflow="fold")
    for source in sources:
        state = health.get(source.name)
        status = state.status if state else "never checked"
        checked = state.last_checked_at.strftime("%Y-%m-%d %H:%M") if state and state.last_checked_at else ""
        served = f"{state.fetch_mode} {state.last_elapsed_s:.1f}s" if state and state.fetch_mode else ""
        table.add_row(
            source.name,
            source.agency,
            source.region,
            source.kind,
            source.fetch,
            f"{source.interval_minutes}m",
            status + (f": {state.status_reason}" if state and state.status_reason else ""),
            checked,
            served,
            source.label + (" [TLS verification OFF]" if source.insecure_tls else ""),
        )
    console.print(table)


@sources_app.command("test")
def sources_test(
    ctx: typer.Context,
    name: str,
    file: Annotated[Path | None, typer.Option("--file", help="Read a saved page instead of fetching.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
) -> None:
    """Fetch a source (or read a saved page) and print what would be extracted and classified."""
    from monitor.sourcetest import try_source

    obj: Context = ctx.obj
    report = try_source(obj.source(name), obj.settings(), file)
    _print_report(report, as_json)
    if report.summary.outcome in ("blocked", "error", "rot"):
        raise typer.Exit(1)


@deliveries_app.callback()
def deliveries_list(ctx: typer.Context) -> None:
    """List pending and given-up deliveries."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.app import open_store
    from monitor.store.queries import deliveries

    database = open_store(ctx.obj.settings())
    with database.sessions() as session:
        rows = deliveries(session)
    table = Table(title="Deliveries not yet sent")
    for column in ("id", "status", "subscription", "channel", "attempts", "next attempt", "title", "last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        title = (
            row.change.title if row.change else f"[ops] {row.incident.subject_kind} {row.incident.subject} {row.event}"
        )
        table.add_row(
            str(row.id),
            row.status,
            row.subscription,
            row.channel,
            str(row.attempts),
            row.next_attempt_at.isoformat(timespec="seconds"),
            title,
            row.last_error or "",
        )
    console.print(table)


@deliveries_app.command("retry")
def deliveries_retry(ctx: typer.Context) -> None:
    """Send every pending delivery now, without waiting for its back-off."""
    from monitor.app import open_store, running_pipeline

    settings: Settings = ctx.obj.settings()
    database = open_store(settings)

    async def main_async() -> Any:
        async with running_pipeline(settings, database=database) as pipeline:
            return await pipeline.dispatcher.dispatch_due(force=True)

    report = asyncio.run(main_async())
    console.print(f"sent: {report.sent}, failed: {report.failed}, given up: {report.dead}")
    for error in report.errors:
        errors.print(f"[yellow]delivery failed:[/] {error}", highlight=False)
    if report.failed or report.dead:
        raise typer.Exit(1)


@notify_app.command("test")
def notify_test(ctx: typer.Context, channel: str) -> None:
    """Send a sample alert through CHANNEL and report each service's result."""
    import datetime as dt

    from monitor.alert.render import AlertNotice, render
    from monitor.alert.send import AppriseSender

    settings: Settings = ctx.obj.settings()
    if channel not in settings.channels:
        errors.print(f"[red]error:[/] no channel '{channel}' (known: {', '.join(sorted(settings.channels)) or 'none'})")
        raise typer.Exit(2)
    sample = AlertNotice(
        title="【测试 test】国家药监局药审中心关于发布《体内基因治疗产品药学研究与评价技术指导原则（试行）》的通告",
        url="https://www.cde.org.cn/",
        agency="CDE",
        region="CN",
        published=dt.date.today(),
        doc_type="guideline",
        deadline=None,
        terms=("基因治疗",),
        topics=("gene_therapy",),
        gloss="A test alert from cgt-monitor: if you read this, the channel works.",
    )
    result = asyncio.run(
        AppriseSender().send(channel, settings.channels[channel], lambda fmt, limit: render([sample], fmt, limit=limit))
    )
    for target in result.targets:
        mark = "[green]ok[/]" if target.ok else "[red]failed[/]"
        console.print(f"{mark}  {target.target}  {'' if target.ok else target.detail}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """The effective deployment settings, secrets masked."""
    from monitor.config.settings import mask_url

    settings: Settings = ctx.obj.settings()
    data = settings.model_dump(mode="json")
    data["database_url"] = mask_url(settings.database_url or settings.resolved_database_url())
    data["data_dir"] = str(settings.state_dir())
    for name, channel in settings.channels.items():
        data["channels"][name]["urls"] = channel.masked_urls()
    print(json.dumps(data, ensure_ascii=False, indent=2))
