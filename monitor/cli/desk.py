"""Commands of the review desk: notices (every notice, filtered), show one, review one, serve the desk."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli import filters
from monitor.cli.base import Context, app, complain, console, say


@app.command("notices")
def list_notices_command(
    ctx: typer.Context,
    relevance: filters.Relevance = None,
    agency: filters.Agency = None,
    region: filters.Region = None,
    source: filters.SourceName = None,
    doc_type: filters.DocType = None,
    topic: filters.Topic = None,
    since: filters.Since = None,
    until: filters.Until = None,
    days: filters.Days = None,
    review: filters.Review = None,
    origin: filters.Origin = None,
    search: filters.Search = None,
    page: Annotated[int, typer.Option(min=1, help="Page number.")] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=10_000, help="Notices per page.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of every match.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV of every match (UTF-8 with BOM, for Excel).")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write every match to this .xlsx file.")] = None,
) -> None:
    """Every notice the store knows, baseline and back-filled ones too, newest first."""
    from monitor.app import open_store
    from monitor.store.export import NOTICE_FIELDS, local_iso, to_csv, to_json, to_xlsx
    from monitor.store.notices import all_notices, list_notices

    obj: Context = ctx.obj
    settings = obj.settings()
    zone = settings.schedule.timezone
    chosen = filters.notice_filter(
        relevance=relevance,
        agency=agency,
        region=region,
        source=source,
        doc_type=doc_type,
        topic=topic,
        since=since,
        until=until,
        days=days,
        review=review,
        origin=origin,
        search=search,
        timezone=zone,
    )
    database = open_store(settings)
    exporting = as_json or as_csv or xlsx is not None
    with database.sessions() as session:
        if exporting:
            rows = all_notices(session, chosen)
        else:
            listed = list_notices(session, chosen, page=page, per_page=per_page)
    if exporting:
        dicts = [{**row.as_dict(), "first_seen_at": local_iso(row.first_seen_at, zone)} for row in rows]
        if as_json:
            print(to_json(dicts))
        elif as_csv:
            sys.stdout.write(to_csv(dicts, NOTICE_FIELDS))
        elif xlsx is not None:
            xlsx.write_bytes(to_xlsx(dicts, NOTICE_FIELDS))
            say(f"{len(dicts)} notices written to {xlsx}")
        return
    from monitor.cli.tables import notice_block, print_lines

    for row in listed.rows:
        print_lines(console, notice_block(row, zone))
        console.print()
    say(f"page {listed.page} of {listed.pages}: {len(listed.rows)} of {listed.total} notices")


@app.command("show")
def show_notice(ctx: typer.Context, notice_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """One notice whole: its facts, text, attachments, sightings, family, alerts and review history."""
    from monitor.app import open_store
    from monitor.cli.shownotice import notice_lines
    from monitor.cli.tables import print_lines
    from monitor.store.detail import notice_detail

    obj: Context = ctx.obj
    settings = obj.settings()
    database = open_store(settings)
    with database.sessions() as session:
        detail = notice_detail(session, notice_id)
        if detail is None:
            complain("error", f"no notice with id {notice_id} (see `cgt-monitor notices`)")
            raise typer.Exit(2)
        lines = notice_lines(detail, settings.schedule.timezone)
    print_lines(console, lines)


_ACTIONS = {"relevant": "relevant", "not-relevant": "not_relevant", "assign": "assigned", "done": "done"}


@app.command("review")
def review_notice(
    ctx: typer.Context,
    notice_id: Annotated[int, typer.Argument(metavar="ID")],
    action: Annotated[str, typer.Argument(metavar="relevant|not-relevant|assign|done")],
    name: Annotated[str | None, typer.Argument(metavar="[NAME]", help="Who it is assigned to (assign).")] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the mark.")] = None,
    user: Annotated[str | None, typer.Option(help="Who marks it (default: your login name).")] = None,
) -> None:
    """Mark a notice: relevant, not-relevant, assign NAME, or done; the history is kept."""
    from monitor.app import open_store
    from monitor.store import reviews
    from monitor.store.db import write_transaction
    from monitor.values import ReviewState

    if action not in _ACTIONS:
        raise typer.BadParameter(f"'{action}' (one of {', '.join(_ACTIONS)})", param_hint="ACTION")
    if action == "assign" and not name:
        raise typer.BadParameter("assign needs the name of who it is assigned to", param_hint="NAME")
    if action != "assign" and name:
        raise typer.BadParameter(f"'{action}' takes no name", param_hint="NAME")
    obj: Context = ctx.obj
    database = open_store(obj.settings())
    try:
        with write_transaction(database.sessions) as session:
            marked = reviews.mark(
                session, notice_id, ReviewState(_ACTIONS[action]), user or getpass.getuser(), note, name
            )
    except reviews.UnknownNotice as exc:
        complain("error", f"{exc} (see `cgt-monitor notices`)")
        raise typer.Exit(2) from None
    said = marked.state.value.replace("_", " ") + (f" to {marked.assignee}" if marked.assignee else "")
    say(f"notice #{notice_id} marked {said} by {marked.user}")


subscriptions_app = typer.Typer(
    rich_markup_mode=None, help="Subscriptions: try them on the archive.", no_args_is_help=True
)
app.add_typer(subscriptions_app, name="subscriptions")


@subscriptions_app.command("test")
def test_subscription(
    ctx: typer.Context,
    name: str,
    days: Annotated[int, typer.Option(min=1, help="Over the last N days of the archive (N ≥ 1).")] = 180,
    as_json: Annotated[bool, typer.Option("--json", help="Weeks and notices as JSON.")] = False,
) -> None:
    """What a subscription would have sent over the stored archive: counts per week, and the notices."""
    import datetime as dt
    import json
    from zoneinfo import ZoneInfo

    from monitor.app import open_store
    from monitor.store.backtest import backtest

    obj: Context = ctx.obj
    settings = obj.settings()
    sub = next((s for s in settings.subscription if s.name == name and not s.ops), None)
    if sub is None:
        known = ", ".join(s.name for s in settings.subscription if not s.ops) or "none"
        complain("error", f"no subscription named '{name}' (known: {known})")
        raise typer.Exit(2)
    today = dt.datetime.now(ZoneInfo(settings.schedule.timezone)).date()
    with open_store(settings).sessions() as session:
        result = backtest(session, sub, today, days)
    if as_json:
        weeks = [{"week_of": monday.isoformat(), "notices": count} for monday, count in result.weeks]
        print(
            json.dumps(
                {
                    "subscription": name,
                    "since": result.since.isoformat(),
                    "total": result.total,
                    "weeks": weeks,
                    "notices": [row.as_dict() for row in result.notices],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from monitor.cli.tables import notice_block, print_lines

    say(f"{name}: {result.total} notices since {result.since} ({days} days), by week:")
    peak = max((count for _, count in result.weeks), default=0) or 1
    for monday, count in result.weeks:
        say(f"  {monday}  {count:4d}  {'█' * round(40 * count / peak)}")
    console.print()
    for row in result.notices:
        print_lines(console, notice_block(row, settings.schedule.timezone))
        console.print()
