"""Commands that check sources: run, check, backfill, demo."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.base import (
    Context,
    app,
    console,
    errors,
    print_report,
    summary_table,
)


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
                console.print(summary_table(reports, "One cycle"))
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
    print_report(report, as_json)
    if report.summary.outcome.failed:
        raise typer.Exit(1)


@app.command()
def backfill(
    ctx: typer.Context,
    name: str,
    pages: Annotated[int, typer.Option("--pages", min=1, max=200, help="Read pages 1..N of the list.")] = 5,
) -> None:
    """Read older pages of a source into the store (politely, one host at a time); alerts nothing old."""
    from monitor.app import running_pipeline
    from monitor.check.requests import NoPaging, page_request

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
    if first.outcome.failed:
        raise typer.Exit(1)


@app.command()
def demo(
    data_dir: Annotated[Path | None, typer.Option("--demo-dir", help="Keep the demo's database here.")] = None,
) -> None:
    """Offline demo: recorded pages served on 127.0.0.1, a baseline, a 'next day', alerts by local e-mail."""
    from monitor.cli.demo import run_demo

    raise typer.Exit(run_demo(console, data_dir))
