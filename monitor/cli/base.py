"""The command line's shared parts: the Typer apps, global options, consoles and report printing."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TextIO, cast

import typer

from monitor.config import ConfigError, Settings, Source, load_settings, load_sources
from monitor.config.settings import read_settings, resolve_config_path

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

app = typer.Typer(
    rich_markup_mode=None,
    help="Watch Chinese regulators' notice pages for cell and gene therapy news.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(rich_markup_mode=None, help="Database schema management.", no_args_is_help=True)
sources_app = typer.Typer(rich_markup_mode=None, help="The source catalogue.", no_args_is_help=True)
deliveries_app = typer.Typer(
    rich_markup_mode=None, help="The alert outbox: pending and failed deliveries.", invoke_without_command=True
)
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")
app.add_typer(deliveries_app, name="deliveries")
notify_app = typer.Typer(rich_markup_mode=None, help="Channels: try them before relying on them.", no_args_is_help=True)
config_app = typer.Typer(rich_markup_mode=None, help="The deployment settings.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")
app.add_typer(config_app, name="config")


class _LazyConsole:
    """A Rich console made at its first use. Output that is no terminal (cron's mail, the journal, a pipe) is
    written as plain lines without one, so such runs never import Rich (~1.4 MB and ~30 ms at a start)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._made: Console | None = None

    def real(self) -> Console:
        if self._made is None:
            from rich.console import Console

            self._made = Console(stderr=self._stderr)
        return self._made

    def __getattr__(self, name: str) -> Any:  # asked only for what the proxy lacks: the console's own names
        if name in ("_stderr", "_made"):  # not set yet (a copy being made): no console to ask
            raise AttributeError(name)
        return getattr(self.real(), name)


_stdout_console = _LazyConsole(stderr=False)
_stderr_console = _LazyConsole(stderr=True)
console = cast("Console", _stdout_console)
errors = cast("Console", _stderr_console)


def _stream(stderr: bool) -> TextIO | None:
    stream = sys.stderr if stderr else sys.stdout
    return getattr(stream, "rich_proxied_file", stream)  # the file behind a live display's redirect, as Rich's


def on_terminal(stderr: bool = False) -> bool:
    """Whether stdout (or stderr) is a terminal, asked without Rich: the question Rich's Console.is_terminal
    asks of a plain stream (its TTY_COMPATIBLE and FORCE_COLOR overrides, then the stream's isatty()), so the
    plain lines and the console never disagree about where they are."""
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    stream = _stream(stderr)
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


_DROPPED = str.maketrans(dict.fromkeys((7, 8, 11, 12, 13)))  # what rich.text.Text drops: BEL BS VT FF CR


def _write(text: str, stderr: bool = False) -> None:
    """Text as it is, flushed at once (as Rich flushes each print, so stdout and stderr interleave as they
    happen)."""
    stream = _stream(stderr)
    if stream is None:  # no stream at all (pythonw, a detached service): Rich writes nowhere too
        return
    stream.write(text)
    stream.flush()


def _write_line(text: str, stderr: bool = False) -> None:
    """A line as Rich writes a soft-wrapped Text where there is no terminal (control codes from sites' pages
    dropped, nothing wrapped), except that a tab stays a tab: a pipe's reader is a program."""
    _write(text.translate(_DROPPED) + "\n", stderr)


def complain(label: str, text: str, style: str = "red") -> None:
    """A message on stderr; `text` (which quotes users' files and sites' pages) printed verbatim, never
    read as Rich markup."""
    if not on_terminal(stderr=True):
        _write_line(f"{label}: {text}", stderr=True)
        return
    from rich.text import Text

    errors.print(Text.assemble((f"{label}: ", style), text), highlight=False, soft_wrap=True)


def say(text: str) -> None:
    """A line on stdout, verbatim."""
    if not on_terminal():
        _write_line(text)
        return
    from rich.text import Text

    console.print(Text(text), highlight=False, soft_wrap=True)


class Bar(Protocol):
    """What the commands use of a progress bar."""

    def __enter__(self) -> Bar: ...
    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> None: ...
    def add_task(self, description: str, /, *, total: float | None = ...) -> Any: ...
    def advance(self, task: Any, /) -> None: ...
    def update(self, task: Any, /, *, completed: float | None = ...) -> None: ...


class _Unseen:
    """A progress bar nobody can see (stderr is no terminal, as under cron or systemd): Rich would draw
    nothing there either, but would still import its live display and redraw it ten times a second."""

    def __enter__(self) -> _Unseen:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, /, *, total: float | None = None) -> int:
        return 0

    def advance(self, task: Any, /) -> None:
        return None

    def update(self, task: Any, /, *, completed: float | None = None) -> None:
        return None


def progress_bar() -> Bar:
    """A progress bar on stderr for long work; it leaves no trace when it is done (or when not a terminal)."""
    if not on_terminal(stderr=True):
        return _Unseen()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr_console.real(),
        transient=True,
    )


def cell(value: object) -> Text:
    """A table cell shown as written: a title like "[2026]第3号" is not markup."""
    from rich.text import Text

    return Text("" if value is None else str(value))


@dataclass
class Context:
    sources_path: Path | None
    config_path: Path | None
    data_dir: Path | None

    def settings(self) -> Settings:
        return _or_exit(lambda: load_settings(self.config_path, self.data_dir))

    def settings_with_text(self) -> tuple[Settings, Path | None, str]:
        """The settings, the file they came from (None: the embedded default) and its text."""
        settings, text = _or_exit(lambda: read_settings(self.config_path, self.data_dir))
        return settings, resolve_config_path(self.config_path), text

    def sources(self) -> list[Source]:
        return _or_exit(lambda: load_sources(self.sources_path))

    def source(self, name: str) -> Source:
        for source in self.sources():
            if source.name == name:
                return source
        complain("error", f"no source named '{name}' in the catalogue (see `cgt-monitor sources list`)")
        raise typer.Exit(2)


def _or_exit(load: Any) -> Any:
    try:
        return load()
    except ConfigError as exc:
        for problem in exc.problems:
            complain("configuration error", str(problem))
        if len(exc.problems) > 1:
            complain("configuration error", f"{len(exc.problems)} problems in {exc.path}")
        raise typer.Exit(2) from None


def _print_version(value: bool) -> None:
    if value:
        from monitor import __version__

        say(f"cgt-monitor {__version__}")
        raise typer.Exit()


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
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="-v: log each step; -vv: the libraries' too.")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    # the daemon's start, stop and checks at INFO; our steps at -v; the libraries' chatter only at -vv
    logging.basicConfig(
        level=logging.DEBUG if verbose >= 2 else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("monitor").setLevel(logging.DEBUG if verbose else logging.INFO)
    ctx.obj = Context(sources, config, data_dir)


QUIET_ROWS_SHOWN = 20  # beyond this many sources, those with nothing to say share one line


def _quiet(summary: Any) -> bool:
    return summary.outcome in ("ok", "not_modified") and not (summary.new or summary.changed or summary.gone)


_SUMMARY_COLUMNS = ("source", "outcome", "items", "new", "relevant", "changed", "gone", "alerts", "reason")


def _summary_rows(reports: list[Any]) -> tuple[list[tuple[object, ...]], int]:
    """The rows to show, and how many quiet sources share one line instead."""
    shown = reports
    if len(reports) > QUIET_ROWS_SHOWN:
        shown = [report for report in reports if not _quiet(report.summary)]
    rows: list[tuple[object, ...]] = [
        (s.source, s.outcome, s.items, s.new, s.relevant_new, s.changed, s.gone, s.deliveries, s.reason)
        for s in (report.summary for report in shown)
    ]
    return rows, len(reports) - len(shown)


def summary_table(reports: list[Any], title: str) -> Table:
    """One row per source; in a long list, sources that were checked and had nothing new share the caption."""
    from rich.table import Table

    rows, quiet = _summary_rows(reports)
    table = Table(title=title, caption=f"{quiet} other source(s) checked: nothing new" if quiet else None)
    for column in _SUMMARY_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*map(cell, row))
    return table


def print_summary(reports: list[Any], title: str) -> None:
    """The summary table on a terminal; elsewhere (cron's mail, the journal, a pipe) the same rows as
    tab-separated lines, which grep and awk read and which cost nothing to lay out: Rich measuring every
    cell of a thousand-row table took longer than some of the checks it reports."""
    if on_terminal():
        console.print(summary_table(reports, title))
        return
    rows, quiet = _summary_rows(reports)
    lines = [f"{title}: {len(reports)} source(s)", *_tab_separated(_SUMMARY_COLUMNS, rows)]
    if quiet:
        lines.append(f"{quiet} other source(s) checked: nothing new")
    _write("\n".join(lines) + "\n")


def _tab_separated(columns: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> list[str]:
    """A header line and one line per row, each value on one line (a tab-separated file's rows)."""
    return ["\t".join(columns), *("\t".join(_one_line(value) for value in row) for row in rows)]


def _one_line(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def print_outcomes(reports: list[Any], dispatch: Any | None = None, timezone: str = "Asia/Shanghai") -> None:
    """What a user would otherwise have to infer: a baseline alerts nothing, a digest is held."""
    baselines = [r.summary for r in reports if r.summary.outcome == "baseline"]
    if baselines:
        stored = sum(s.items for s in baselines)
        say(
            f"first sight of {len(baselines)} source(s): their {stored} notices are stored as the baseline and "
            "not alerted; notices that appear from the next check on are"
        )
    if dispatch is None:
        return
    line = f"alerts sent: {dispatch.sent}, failed (will retry): {dispatch.failed}"
    if dispatch.held:
        from zoneinfo import ZoneInfo

        when = dispatch.next_due.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")
        line += f"; held: {dispatch.held} (digests, quiet hours or retries), the first due {when}"
    say(line)
    for error in dispatch.errors:
        complain("delivery failed", error, style="yellow")


_REPORT_COLUMNS = ("published", "relevant", "new", "title", "terms", "url")


def print_report(report: Any, as_json: bool) -> None:
    """What one check found: JSON lines; a table on a terminal; else tab-separated lines, as `print_summary`'s."""
    from monitor.classify import default_classifier

    # at a baseline every item is new to the store (and none is alerted): said so, not hidden
    baseline = bool(report.diff and report.diff.baseline)
    new_keys = {item.key for item in report.diff.new} if report.diff else set()
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
                "baseline": baseline,
                **verdict.as_dict(),
            }
        )
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        if report.summary.reason:
            complain(f"{report.source.name}: {report.summary.outcome}", report.summary.reason)
        return
    cells = [
        (
            row["published"],
            row["level"] if row["relevant"] else "",  # title, or body: found in the text
            "new" if row["new"] else "",
            row["title"],
            ", ".join(row["terms"]),
            row["url"],
        )
        for row in rows
    ]
    title = f"{report.source.name} — {report.source.url}"
    s = report.summary
    counts = f"items: {len(rows)}  new: {s.new}  changed: {s.changed}  gone: {s.gone}" + (
        f"  alerts queued: {s.deliveries}" if s.deliveries else ""
    )
    if on_terminal():
        console.print(_report_table(title, cells))
        console.print(f"outcome: [bold]{s.outcome}[/]  {counts}")
    else:
        lines = [f"{title}: {len(rows)} item(s)", *_tab_separated(_REPORT_COLUMNS, cells)]
        _write("\n".join([*lines, f"outcome: {s.outcome}  {counts}"]) + "\n")
    if s.reason:
        complain(str(s.outcome), s.reason)


def _report_table(title: str, cells: Sequence[tuple[object, ...]]) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in _REPORT_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*map(cell, row))
    return table
