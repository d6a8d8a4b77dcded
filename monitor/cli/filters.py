"""The notice filters `notices` and `log` share, as options, validated once: a value that filters nothing
is an error, never "everything"."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from monitor.classify.taxonomy import doc_types, topics
from monitor.values import NoticeOrigin, ReviewState

if TYPE_CHECKING:
    from monitor.store.notices import NoticeFilter

# as in monitor.store.notices, which is imported only when a command runs (the CLI starts without SQLAlchemy)
REVIEW_FILTERS = ("unreviewed", *(state.value for state in ReviewState))

Agency = Annotated[list[str] | None, typer.Option("--agency", help="Only this agency (repeatable), e.g. NMPA.")]
Region = Annotated[
    list[str] | None, typer.Option("--region", help="Only this region (repeatable); a province covers its cities.")
]
SourceName = Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")]
DocType = Annotated[list[str] | None, typer.Option("--doc-type", help="Only this document type (repeatable).")]
Topic = Annotated[list[str] | None, typer.Option("--topic", help="Only this topic (repeatable).")]
Since = Annotated[str | None, typer.Option(help="Published (or first seen) on or after this date, YYYY-MM-DD.")]
Until = Annotated[str | None, typer.Option(help="Published (or first seen) on or before this date, YYYY-MM-DD.")]
Review = Annotated[str | None, typer.Option(help=f"Review state: {', '.join(REVIEW_FILTERS)}.")]
Origin = Annotated[str | None, typer.Option(help="new (alerted), baseline or backfill.")]
Search = Annotated[str | None, typer.Option(help='Full text, Chinese or English; every word must match, "a phrase".')]
Relevance = Annotated[
    str | None, typer.Option(help="relevant (either level), title, body, not-relevant or all (the default).")
]
Days = Annotated[int | None, typer.Option(min=1, help="Only the last N days (N ≥ 1).")]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint=option) from None


def _known(values: list[str] | None, known: list[str], option: str) -> tuple[str, ...]:
    for value in values or ():
        if value not in known:
            raise typer.BadParameter(f"unknown value '{value}' (known: {', '.join(known)})", param_hint=option)
    return tuple(values or ())


def _nonempty(values: list[str] | None, option: str) -> tuple[str, ...]:
    for value in values or ():
        if not value.strip():
            raise typer.BadParameter("an empty value filters nothing", param_hint=option)
    return tuple(value.strip() for value in values or ())


def notice_filter(
    *,
    relevance: str | None = None,
    agency: list[str] | None = None,
    region: list[str] | None = None,
    source: list[str] | None = None,
    doc_type: list[str] | None = None,
    topic: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    days: int | None = None,
    review: str | None = None,
    origin: str | None = None,
    search: str | None = None,
    timezone: str = "Asia/Shanghai",
) -> NoticeFilter:
    """The filters as given on the command line, checked; `days` counts back from today in `timezone`."""
    from monitor.store.notices import NoticeFilter

    wanted_relevance = {
        None: None,
        "all": None,
        "relevant": "relevant",
        "title": "title",
        "body": "body",
        "not-relevant": "not_relevant",
    }
    if relevance not in wanted_relevance:
        raise typer.BadParameter(
            f"'{relevance}' (relevant, title, body, not-relevant or all)", param_hint="--relevance"
        )
    if review is not None and review.replace("-", "_") not in REVIEW_FILTERS:
        raise typer.BadParameter(f"'{review}' (known: {', '.join(REVIEW_FILTERS)})", param_hint="--review")
    if origin is not None and origin not in {o.value for o in NoticeOrigin}:
        raise typer.BadParameter(f"'{origin}' (new, baseline or backfill)", param_hint="--origin")
    if search is not None and not search.strip():
        raise typer.BadParameter("an empty search matches everything; leave it out instead", param_hint="--search")
    start = _date(since, "--since")
    if days is not None:
        if start is not None:
            raise typer.BadParameter("give --days or --since, not both", param_hint="--days")
        start = dt.datetime.now(ZoneInfo(timezone)).date() - dt.timedelta(days=days - 1)
    try:
        return NoticeFilter(
            relevance=wanted_relevance[relevance],  # type: ignore[arg-type]
            agencies=_nonempty(agency, "--agency"),
            regions=_nonempty(region, "--region"),
            sources=_nonempty(source, "--source"),
            doc_types=_known(doc_type, list(doc_types()), "--doc-type"),
            topics=_known(topic, topics(), "--topic"),
            since=start,
            until=_date(until, "--until"),
            review=review.replace("-", "_") if review else None,
            origin=NoticeOrigin(origin) if origin else None,
            search=search.strip() if search else None,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since/--until") from None
