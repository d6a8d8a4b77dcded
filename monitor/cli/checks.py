"""Commands that check sources: run, check, backfill, demo."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli import heap
from monitor.cli.base import (
    Context,
    app,
    complain,
    console,
    print_outcomes,
    print_report,
    print_summary,
    progress_bar,
)


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Check every source once, send alerts, exit.")] = False,
) -> None:
    """Run the daemon (or one cycle with --once)."""
    obj: Context = ctx.obj
    with heap.starting():
        from monitor.app import running_pipeline, wait_for_store

        if not once:  # the scheduler (APScheduler, multiprocessing) and the store's health alerts: the daemon's
            from monitor.alert.send import AppriseSender
            from monitor.alert.storehealth import StoreHealth
            from monitor.scheduler import Daemon

        settings, sources = obj.settings(), obj.sources()
    enabled = [s for s in sources if s.enabled]
    heap.settle()

    async def main_async() -> None:
        if not once:
            # a store refusing writes at the start is the same episode the daemon later ends: one alert
            sender = AppriseSender(settings.delivery.send_timeout_s)
            health = StoreHealth(settings, sender)
            database = await wait_for_store(settings, on_refusal=health.note)
            desk = None
            if settings.web.enabled:  # the web stack is imported only then
                from monitor.web.server import DeskInDaemon

                desk = DeskInDaemon(settings, database, sources)
                await desk.start()
            try:
                async with running_pipeline(settings, sender, database) as pipeline:
                    await Daemon(pipeline, enabled, health).run()
            finally:
                if desk is not None:
                    await desk.stop()
            return
        async with running_pipeline(settings) as pipeline:
            with progress_bar() as progress:
                task = progress.add_task("checking sources", total=len(enabled))
                reports, dispatch = await pipeline.run_once(enabled, on_done=lambda report: progress.advance(task))
            print_summary(reports, "One cycle")
            print_outcomes(reports, dispatch, settings.schedule.timezone)

    asyncio.run(main_async())


@app.command()
def check(
    ctx: typer.Context,
    name: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Store nothing, send nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
) -> None:
    """Check one source now and print what it found."""
    obj: Context = ctx.obj
    with heap.starting():
        from monitor.app import running_pipeline, scratch_copy

        settings, source = obj.settings(), obj.source(name)
    heap.settle()

    async def main_async() -> Any:
        if dry_run:  # nothing stored, nothing sent, nothing on disk
            with scratch_copy(settings) as (scratch, database):
                async with running_pipeline(scratch, database=database) as pipeline:
                    return await pipeline.check(source, dry_run=True)
        async with running_pipeline(settings) as pipeline:
            report = await pipeline.check(source, items_wanted=True)  # it prints them
            if report.summary.deliveries:
                await pipeline.dispatcher.dispatch_due()
            return report

    report = asyncio.run(main_async())
    print_report(report, as_json)
    if not as_json:
        print_outcomes([report])
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
            complain("error", f"{exc}")
            raise typer.Exit(2) from None

    async def main_async() -> Any:
        async with running_pipeline(settings) as pipeline:
            with progress_bar() as progress:
                task = progress.add_task(f"{source.name}: reading pages", total=pages)
                report = await pipeline.backfill(
                    source, pages, on_page=lambda page: progress.update(task, completed=page)
                )
            await pipeline.dispatcher.dispatch_due()
            return report

    report = asyncio.run(main_async())
    first = report.first.summary
    console.print(f"page 1: {first.outcome}, {first.items} items" + (f" ({first.reason})" if first.reason else ""))
    console.print(f"pages read: {report.pages}, older notices seen: {report.seen}, newly stored: {report.added}")
    if report.stopped:
        complain("stopped", f"{report.stopped}")
    if first.outcome.failed:
        raise typer.Exit(1)


@app.command()
def demo(
    data_dir: Annotated[Path | None, typer.Option("--demo-dir", help="Keep the demo's data here.")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo's data (in a new temporary directory).")] = False,
) -> None:
    """Offline demo: recorded pages served on 127.0.0.1, a baseline, a 'next day', alerts by local e-mail."""
    from monitor.cli.demo import run_demo

    raise typer.Exit(run_demo(console, data_dir, keep))
