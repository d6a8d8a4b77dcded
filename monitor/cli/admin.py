"""Commands that look after a deployment: db, validate, sources, deliveries, notify, config."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitor.cli.base import (
    Context,
    app,
    cell,
    complain,
    config_app,
    console,
    db_app,
    deliveries_app,
    notify_app,
    print_report,
    say,
    sources_app,
)
from monitor.config import ConfigError, Settings
from monitor.config.errors import locate

if TYPE_CHECKING:
    from monitor.config.sources import Source
    from monitor.store.models import SourceState


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from monitor.store.db import current_revision, open_database, schema_is_current, upgrade_database

    settings: Settings = ctx.obj.settings()
    engine = open_database(settings.resolved_database_url())
    if schema_is_current(engine):  # nothing to write: a database on a read-only disk is still fine to read
        console.print(f"database at revision {current_revision(engine)}, current: {engine.url.render_as_string()}")
        return
    upgrade_database(engine)
    console.print(f"database at revision {current_revision(engine)}: {engine.url.render_as_string()}")


@db_app.command("prune")
def db_prune(
    ctx: typer.Context,
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=36_500, help="Keep this many days (default: keep_runs_days).")
    ] = None,
) -> None:
    """Delete the record of checks (runs) older than keep_runs_days, as the daemon does once a day; for a
    deployment that runs `run --once` from cron. Baselines, each source's newest failure, notices, the change
    log and deliveries are kept."""
    from monitor.app import open_store
    from monitor.store.models import utcnow
    from monitor.store.retention import prune_runs

    settings: Settings = ctx.obj.settings()
    keep = settings.keep_runs_days if days is None else days
    if not keep:
        say("keep_runs_days = 0: every run is kept")
        return
    database = open_store(settings)
    deleted = prune_runs(database.sessions, utcnow() - dt.timedelta(days=keep))
    say(f"deleted {deleted} records of checks older than {keep} days")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write them, e.g. /etc/cgt-monitor.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Write a commented starter deployment file and the source catalogue, and say what to edit next."""
    import shutil

    from monitor.config.settings import example_deployment
    from monitor.config.sources import bundled_catalogue

    targets = {directory / "cgt-monitor.toml": example_deployment(), directory / "sources.toml": bundled_catalogue()}
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        complain("error", f"{', '.join(existing)} exists already: nothing written (--force overwrites)")
        raise typer.Exit(2)
    directory.mkdir(parents=True, exist_ok=True)
    for target, origin in targets.items():
        shutil.copyfile(origin, target)
        say(f"wrote {target}")
    config = directory / "cgt-monitor.toml"
    say(
        "next:\n"
        f"  1. edit {config}: the lines marked EDIT (your SMTP server, your chat robot)\n"
        "  2. put the secrets it names (SMTP_PASSWORD, WECOM_BOT_KEY) in the service's environment file\n"
        f"  3. cgt-monitor --config {config} --sources {directory / 'sources.toml'} validate\n"
        f"  4. cgt-monitor --config {config} notify test ra-mail"
    )


@app.command()
def validate(
    ctx: typer.Context,
    pages: Annotated[
        list[str] | None,
        typer.Option("--page", metavar="NAME=FILE", help="Also try source NAME's selectors on a saved page."),
    ] = None,
) -> None:
    """Check sources.toml and the deployment file: every problem at once, each with file:line and field."""
    from monitor.alert.send import url_problem
    from monitor.check.diagnose import diagnose_page
    from monitor.config.settings import catalogue_problems, unset_secrets

    obj: Context = ctx.obj
    sources = obj.sources()
    settings, path, text = obj.settings_with_text()
    problems = catalogue_problems(settings, sources, path, text)
    for name, channel in settings.channels.items():
        for url in channel.urls:
            if why := url_problem(url):
                key = "url" if len(channel.urls) == 1 else "urls"
                line = locate(text, f"channels.{name}", None, [key]) if path else None
                problems.append(ConfigError(path or "settings", f"field '{key}': {why}", line, f"[channels.{name}]"))
    warnings = unset_secrets(settings, path, text)
    if not settings.channels or not settings.subscription:
        what = "channels" if not settings.channels else "subscriptions"
        where = str(path) if path else "the embedded default settings (no --config)"
        warnings.append(ConfigError(where, f"no {what}: nothing will be sent", hint="cgt-monitor init writes a start"))
    by_name = {source.name: source for source in sources}
    for spec in pages or []:
        name, _, file = spec.partition("=")
        if name not in by_name or not file:
            problems.append(ConfigError("--page", f"'{spec}': expected NAME=FILE with NAME a source of the catalogue"))
            continue
        problems += diagnose_page(by_name[name], Path(file))
    for warning in warnings:
        complain("warning", str(warning), style="yellow")
    for problem in problems:
        complain("configuration error", str(problem))
    summary = f"{len(sources)} sources, {len(settings.channels)} channels, {len(settings.subscription)} subscriptions"
    if problems:
        complain("configuration error", f"{summary}: {len(problems)} problem(s)")
        raise typer.Exit(2)
    say(f"{summary}: OK" + (f" ({len(warnings)} warning(s))" if warnings else ""))


@sources_app.command("list")
def sources_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array, one object per source.")] = False,
    evidence: Annotated[
        str | None,
        typer.Option(help="Only sources whose evidence is this: recorded, reference or unverified."),
    ] = None,
) -> None:
    """The catalogue with what each source rests on (its evidence) and its health."""
    from monitor.app import open_store
    from monitor.cli.tables import sources_table
    from monitor.config.sources import EVIDENCE_LEVELS
    from monitor.store.queries import source_health

    if evidence is not None and evidence not in EVIDENCE_LEVELS:
        complain("error", f"--evidence {evidence!r}: expected one of {', '.join(EVIDENCE_LEVELS)}")
        raise typer.Exit(2)
    obj: Context = ctx.obj
    sources = [s for s in obj.sources() if evidence is None or s.evidence == evidence]
    health: dict[str, Any] = {}
    try:
        database = open_store(obj.settings())
        with database.sessions() as session:
            health = source_health(session)
    except Exception as exc:  # the list is still useful without the database
        complain("health unavailable", f"{exc}")
    rows = [_source_row(source, health.get(source.name)) for source in sources]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        console.print(sources_table(rows))


def _source_row(source: Source, state: SourceState | None) -> dict[str, Any]:
    """One source as plain data: the catalogue's view of it, then its health (None when never checked)."""
    checked = state.last_checked_at if state is not None else None
    return {
        "name": source.name,
        "label": source.label,
        "agency": source.agency,
        "region": source.region,
        "language": source.language,
        "kind": source.kind,
        "fetch": source.fetch,
        "url": source.url,
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
        "insecure_tls": source.insecure_tls,
        "evidence": source.evidence,
        "evidence_note": source.evidence_note,
        "health": state.status if state is not None else None,
        "health_reason": state.status_reason if state is not None else None,
        "last_checked_at": checked.isoformat() if checked else None,
        "served_by": state.fetch_mode if state is not None else None,
        "last_elapsed_s": state.last_elapsed_s if state is not None else None,
    }


@sources_app.command("test")
def sources_test(
    ctx: typer.Context,
    name: str,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Read a saved page instead of fetching.", exists=True, dir_okay=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
) -> None:
    """Fetch a source (or read a saved page) and print what would be extracted and classified."""
    from monitor.check.diagnose import key_pattern_misses
    from monitor.check.trial import try_source

    obj: Context = ctx.obj
    source = obj.source(name)
    report = try_source(source, obj.settings(), file)
    print_report(report, as_json)
    if report.fetched is not None and (miss := key_pattern_misses(source, report.fetched.text, source.url)):
        complain("warning", miss, style="yellow")
    if report.summary.outcome.failed:
        raise typer.Exit(1)


@deliveries_app.callback()
def deliveries_list(ctx: typer.Context) -> None:
    """List pending and given-up deliveries."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from monitor.app import open_store
    from monitor.store.outbox import unsent

    database = open_store(ctx.obj.settings())
    with database.sessions() as session:
        rows = unsent(session)
    table = Table(title="Deliveries not yet sent")
    for column in ("id", "status", "subscription", "channel", "attempts", "next attempt", "title", "last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        incident = row.incident
        if row.change is not None:
            title = row.change.title
        else:
            title = f"[ops] {incident.subject_kind} {incident.subject} {row.event}" if incident else "[ops]"
        cells = (
            row.id,
            row.status,
            row.subscription,
            row.channel,
            row.attempts,
            row.next_attempt_at.isoformat(timespec="seconds"),
            title,
            row.last_error,
        )
        table.add_row(*map(cell, cells))
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
        complain("delivery failed", f"{error}")
    if report.failed or report.dead:
        raise typer.Exit(1)


@notify_app.command("test")
def notify_test(ctx: typer.Context, channel: str) -> None:
    """Send a sample alert through CHANNEL and report each service's result."""

    from rich.text import Text

    from monitor.alert.render import AlertNotice, render
    from monitor.alert.send import AppriseSender

    settings: Settings = ctx.obj.settings()
    if channel not in settings.channels:
        complain("error", f"no channel '{channel}' (known: {', '.join(sorted(settings.channels)) or 'none'})")
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
        AppriseSender(settings.delivery.send_timeout_s).send(
            channel, settings.channels[channel], lambda fmt, limit: render([sample], fmt, limit=limit)
        )
    )
    for target in result.targets:
        mark = ("ok", "green") if target.ok else ("failed", "red")
        console.print(Text.assemble(mark, f"  {target.target}  {'' if target.ok else target.detail}"), highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """The effective deployment settings, secrets masked (and not needed: nothing is resolved)."""
    from monitor.config.settings import mask_url

    settings: Settings = ctx.obj.settings()
    data = settings.model_dump(mode="json")
    default_url = f"sqlite:///{settings.state_dir() / 'cgt-monitor.db'}"
    data["database_url"] = mask_url(settings.database_url or default_url)
    data["data_dir"] = str(settings.state_dir())
    for name, channel in settings.channels.items():
        data["channels"][name]["urls"] = channel.masked_urls()
    web = data["web"]
    if web["secret_key"] and not web["secret_key"].startswith("${"):
        web["secret_key"] = "***"
    for user in web["users"].values():
        user["password_hash"] = "***"  # a hash is still a secret: it can be guessed against offline
    print(json.dumps(data, ensure_ascii=False, indent=2))
