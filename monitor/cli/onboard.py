"""Commands for bringing sources on board: `sources suggest` (a table from a saved page) and `sources verify`
(every source tried live, for the first day on a real network)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.base import Context, cell, complain, console, errors, sources_app


@sources_app.command("suggest")
def sources_suggest(
    ctx: typer.Context,
    page: Annotated[str, typer.Argument(metavar="FILE|URL", help="A saved list page, or its address to fetch.")],
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="The saved page's real address (links resolve against it; default: what the page says)."
        ),
    ] = None,
    rows: Annotated[int, typer.Option("--rows", min=0, help="How many extracted rows to show.")] = 5,
) -> None:
    """Propose a [[source]] table for a list page and show what it extracts. The table goes to stdout
    (paste it into sources.toml, then `sources test NAME --file FILE`); the preview to stderr."""
    from rich.table import Table

    from monitor.check.draft import PageUnavailable, draft_source, fetch_page, page_address, read_page
    from monitor.extract.suggest import NoListFound

    obj: Context = ctx.obj
    try:
        if re.match(r"^https?://", page):
            text, address = asyncio.run(fetch_page(page, obj.settings().fetch))
        else:
            text = read_page(Path(page))
            address = url or page_address(text) or ""
            if not address:
                complain("error", f"{page} does not say where it came from: give its address with --url")
                raise typer.Exit(2)
        draft = draft_source(text, url or address)
    except (PageUnavailable, NoListFound) as exc:
        complain("error", str(exc))
        raise typer.Exit(1) from None
    print(draft.toml, end="")
    table = Table(title=f"{draft.source.name}: {len(draft.items)} items, the first {min(rows, len(draft.items))}")
    for column in ("published", "key", "title", "url"):
        table.add_column(column, overflow="fold")
    for item in draft.items[:rows]:
        table.add_row(*map(cell, (item.published, item.key, item.title, item.url)))
    errors.print(table)


@sources_app.command("verify")
def sources_verify(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[NAME]...", help="Sources to try (default: all enabled).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array, one object per source.")] = False,
) -> None:
    """Fetch each source live through its fetch mode and judge what came: items, newest date, links in the
    key's form, page 2, blocked / rot / moved, time taken. Exits 1 when any source fails."""
    import json

    from rich.table import Table

    from monitor.check.verify import verify_sources

    obj: Context = ctx.obj
    catalogue = obj.sources()
    if names:
        known = {source.name: source for source in catalogue}
        if unknown := [name for name in names if name not in known]:
            complain("error", f"no source named {', '.join(unknown)} in the catalogue (see `cgt-monitor sources list`)")
            raise typer.Exit(2)
        chosen = [known[name] for name in names]
    else:
        chosen = [source for source in catalogue if source.enabled]
    results = asyncio.run(verify_sources(chosen, obj.settings()))
    if as_json:
        print(json.dumps([result.as_dict() for result in results], ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"{len(chosen)} sources, live")
        for column in ("source", "status", "items", "newest", "keys", "page 2", "served by", "time", "findings"):
            table.add_column(column, overflow="fold")
        for result in results:
            row = result.as_dict()
            newest = f"{row['newest']} ({row['age_days']}d)" if row["newest"] else ""
            share = f"{row['key_share']:.0%}" if row["key_share"] is not None else ""
            findings = "; ".join(f"{kind}: {detail}" for kind, detail in row["findings"].items())
            cells = (
                row["source"],
                row["status"],
                row["items"],
                newest,
                share,
                row["page_2"],
                row["fetched_by"],
                f"{row['elapsed_s']:.1f}s",
                findings,
            )
            table.add_row(*map(cell, cells), style="red" if result.failed else None)
        console.print(table)
    failed = [result.source for result in results if result.failed]
    if failed:
        complain("verify", f"{len(failed)} of {len(results)} sources failed: {', '.join(failed)}")
        raise typer.Exit(1)
