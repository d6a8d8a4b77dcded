"""Commands for bringing sources on board: `sources suggest` (a table from a saved page) and `sources verify`
(every source tried live, for the first day on a real network)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.base import Context, cell, complain, errors, sources_app


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
