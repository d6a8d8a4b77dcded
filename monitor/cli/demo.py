"""`cgt-monitor demo`: the whole product, offline, in seconds.

Day 1 serves real recorded list pages (see pages/README.md) and takes a baseline: stored, not alerted.
Day 2 serves the same pages with new rows, some on cell and gene therapy; the relevant ones are alerted
by e-mail to an SMTP server the demo runs on 127.0.0.1, and the messages and the log are printed.

NMPA's list is served behind an imitation of its JS cookie challenge (monitor/challengesite.py), as the real
site answers a plain client: day 1 the browser passes it, day 2 its cookies let the plain client in.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from monitor.app import open_store, running_pipeline
from monitor.cli.tables import change_log_table
from monitor.config.settings import BrowserSettings, Settings, load_settings
from monitor.config.sources import Source, bundled_catalogue, load_sources
from monitor.fetch.browser import browser_unavailable
from monitor.store.queries import LogFilter, change_log
from monitor.testing.challengesite import ChallengeSite
from monitor.testing.localsite import LocalSite, Page
from monitor.testing.mailsink import MailSink

DEMO_SOURCES = ("nmpa-ggtg", "cde-guidelines", "govcn-zhengce", "gdmpa-tzgg")
CHALLENGED = "nmpa-ggtg"  # fetch = "auto" in the catalogue: served behind the imitation challenge


def _pages_dir() -> Path:
    return Path(str(resources.files("monitor.demo").joinpath("pages")))


def demo_sources(sites: Mapping[str, LocalSite]) -> list[Source]:
    """The real catalogue entries, pointed at their local site (same paths, same selectors, same fetch mode but
    for captured APIs, which the demo serves plainly)."""
    catalogue = {s.name: s for s in load_sources(bundled_catalogue())}
    sources = []
    for name in DEMO_SOURCES:
        real = catalogue[name]
        parts = urlsplit(real.url)
        # the real sites' spacing (CDE asks for 10 s) would only make the demo wait on 127.0.0.1
        changes: dict[str, object] = {"url": sites[name].url(parts.path), "min_delay_s": 0.0}
        if real.capture:  # the demo serves CDE's API as a plain one, without a list page to capture it from
            changes["fetch"] = "auto"
        sources.append(real.model_copy(update=changes))
    return sources


def recorded_page(source: Source) -> str:
    suffix = ".json" if source.kind == "json" else ".html"
    return (_pages_dir() / "recorded" / f"{source.name}{suffix}").read_text(encoding="utf-8")


def next_day(source: Source, page: str) -> str:
    """The recorded page with the rows `next_day.toml` says the site published overnight."""
    spec = tomllib.loads((_pages_dir() / "next_day.toml").read_text(encoding="utf-8")).get(source.name)
    if spec is None:
        return page
    if "records" in spec:
        data = json.loads(page)
        data["data"]["records"] = spec["records"] + data["data"]["records"]
        return json.dumps(data, ensure_ascii=False)
    anchor = spec.get("after") or spec["before"]
    at = page.index(anchor) + (len(anchor) if "after" in spec else 0)
    return page[:at] + "".join(spec["rows"]) + page[at:]


def serve_day(sites: Mapping[str, LocalSite], sources: list[Source], overnight: bool) -> None:
    """Serve the recorded pages; with `overnight`, as the sites look the next day."""
    for source in sources:
        page = recorded_page(source)
        body = (next_day(source, page) if overnight else page).encode()
        content_type = "application/json;charset=UTF-8" if source.kind == "json" else "text/html"
        sites[source.name].set(urlsplit(source.url).path, Page(body, content_type=content_type))


DEMO_DEPLOYMENT = """\
# The demo's deployment file: the same format as /etc/cgt-monitor/cgt-monitor.toml (see `cgt-monitor init`).
data_dir = "{data_dir}"

[fetch]                      # every demo site is on 127.0.0.1: no politeness delays needed
per_host_min_delay_s = 0.0
retries = 0
timeout_s = 10

[channels.team-mail]         # the demo's own SMTP server on 127.0.0.1
url = "{mail_url}"

[[subscription]]
name = "ra-team"
channels = ["team-mail"]
mode = "immediate"
relevant_only = true
"""


def demo_settings(data_dir: Path, mail_url: str) -> tuple[Settings, Path, str]:
    """The demo's deployment file, written into its data directory and read back as any deployment is."""
    text = DEMO_DEPLOYMENT.format(data_dir=data_dir, mail_url=mail_url)
    path = data_dir / "cgt-monitor.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path), path, text


def _cycle_table(title: str, reports: list) -> Table:
    table = Table(title=title)
    for column in ("source", "outcome", "fetched by", "items", "new", "CGT-relevant new", "alerts queued"):
        table.add_column(column)
    for r in reports:
        s = r.summary
        fetched = f"{r.fetched.mode} ({r.fetched.elapsed_s:.2f} s)" if r.fetched else ""
        table.add_row(s.source, s.outcome, fetched, str(s.items), str(s.new), str(s.relevant_new), str(s.deliveries))
    return table


async def _run(console: Console, data_dir: Path) -> int:
    no_browser = browser_unavailable(BrowserSettings())
    # a challenge cookie serves a handful of requests, as on the real site; the browser passes it again after
    with LocalSite() as site, ChallengeSite(uses=5, challenge=no_browser is None) as guarded, MailSink() as inbox:
        sites = {name: guarded if name == CHALLENGED else site for name in DEMO_SOURCES}
        sources = demo_sources(sites)
        settings, deployment, text = demo_settings(data_dir, inbox.apprise_url())
        database = open_store(settings)
        console.print(Panel(Text(text), title=f"deployment file: {deployment}", expand=False))
        behind = (
            f"{CHALLENGED} behind an imitation of its JS cookie challenge on {guarded.base_url}"
            if no_browser is None
            else f"{CHALLENGED} WITHOUT its JS challenge on {guarded.base_url}: {no_browser}"
        )
        console.print(
            Panel.fit(
                f"Serving recorded pages of {len(sources)} real sources on {site.base_url},\n{behind}\n"
                f"SMTP inbox on 127.0.0.1:{inbox.port} · database {settings.resolved_database_url()}",
                title="cgt-monitor demo",
            )
        )
        async with running_pipeline(settings, database=database) as pipeline:
            serve_day(sites, sources, overnight=False)
            reports, _ = await pipeline.run_once(sources)
            console.print(_cycle_table("Day 1 — baseline (stored, not alerted)", reports))
            serve_day(sites, sources, overnight=True)
            reports, dispatch = await pipeline.run_once(sources)
            console.print(_cycle_table("Day 2 — the sites published new notices", reports))
        if no_browser is None:
            console.print(
                f"{CHALLENGED}: the site challenged {guarded.challenges} time(s) and served "
                f"{guarded.passes} page(s) to holders of the cookie the browser earned."
            )
        console.print(f"alerts sent: {dispatch.sent}, failed: {dispatch.failed}")
        for mail in inbox.mails:
            title = escape(f"e-mail to {', '.join(mail.recipients)}: {mail.subject}")
            console.print(Panel(escape(mail.part("plain") or ""), title=title, expand=False))
        with database.sessions() as session:
            rows = change_log(session, LogFilter(limit=50))
        console.print(change_log_table(rows, "Detected-changes log (`cgt-monitor log`)", detailed=False))
        relevant = sum(1 for row in rows if row["relevant"])
        ok = dispatch.sent == relevant and len(inbox.mails) == relevant and relevant > 0
        console.print(
            ("[green]" if ok else "[red]") + f"{len(rows)} changes detected, {relevant} CGT-relevant, "
            f"{len(inbox.mails)} e-mails received."
        )
        return 0 if ok else 1


def run_demo(console: Console, data_dir: Path | None = None, keep: bool = False) -> int:
    """`keep` (or a `data_dir`): the database and deployment file stay, to look at with the CLI afterwards."""
    if data_dir is None and not keep:
        with tempfile.TemporaryDirectory(prefix="cgt-monitor-demo-") as tmp:
            return asyncio.run(_run(console, Path(tmp)))
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="cgt-monitor-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    status = asyncio.run(_run(console, data_dir))
    console.print(
        Text(
            f"kept in {data_dir}: look again with\n"
            f"  cgt-monitor --config {data_dir / 'cgt-monitor.toml'} log\n"
            f"  cgt-monitor --config {data_dir / 'cgt-monitor.toml'} deliveries"
        )
    )
    return status
