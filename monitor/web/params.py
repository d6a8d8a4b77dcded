"""The notice filters from a query string, checked: one parser for the pages, feeds, exports and the API."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from monitor.classify.taxonomy import doc_types, topics
from monitor.store.notices import REVIEW_FILTERS, NoticeFilter
from monitor.values import NoticeOrigin

FILTER_KEYS = (
    "q",
    "relevance",
    "agency",
    "region",
    "source",
    "doc_type",
    "topic",
    "since",
    "until",
    "review",
    "origin",
)


def _values(params: QueryParams, key: str) -> tuple[str, ...]:
    return tuple(value.strip() for value in params.getlist(key) if value.strip())


def _one(params: QueryParams, key: str) -> str | None:
    values = _values(params, key)
    return values[-1] if values else None


def _date(params: QueryParams, key: str) -> dt.date | None:
    value = _one(params, key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{key}: '{value}' is not a date (YYYY-MM-DD)") from None


def _known(params: QueryParams, key: str, known: list[str]) -> tuple[str, ...]:
    values = _values(params, key)
    for value in values:
        if value not in known:
            raise HTTPException(400, f"{key}: unknown value '{value}'")
    return values


def notice_filter(params: QueryParams, relevance: str | None = None) -> NoticeFilter:
    """`relevance` is the default when the query names none ("all" names none on purpose)."""
    wanted = _one(params, "relevance") or relevance
    if wanted not in (None, "all", "relevant", "title", "body", "not_relevant"):
        raise HTTPException(400, f"relevance: unknown value '{wanted}'")
    review = _one(params, "review")
    if review is not None and review not in REVIEW_FILTERS:
        raise HTTPException(400, f"review: unknown value '{review}'")
    origin = _one(params, "origin")
    if origin is not None and origin not in {o.value for o in NoticeOrigin}:
        raise HTTPException(400, f"origin: unknown value '{origin}'")
    try:
        return NoticeFilter(
            relevance=None if wanted in (None, "all") else wanted,  # type: ignore[arg-type]
            agencies=_values(params, "agency"),
            regions=_values(params, "region"),
            sources=_values(params, "source"),
            doc_types=_known(params, "doc_type", list(doc_types())),
            topics=_known(params, "topic", topics()),
            since=_date(params, "since"),
            until=_date(params, "until"),
            review=review,
            origin=NoticeOrigin(origin) if origin else None,
            search=_one(params, "q"),
        )
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def page_number(params: QueryParams) -> int:
    value = _one(params, "page") or "1"
    if not value.isdigit() or int(value) < 1:
        raise HTTPException(400, f"page: '{value}' is not a page number")
    return int(value)


def filter_query(params: QueryParams, **changes: object) -> str:
    """The filters of this request as a query string, with `changes` (None drops a key): for links that
    keep the filters, such as the next page or an export."""
    pairs = [(key, value) for key, value in params.multi_items() if key in (*FILTER_KEYS, "page") and value]
    pairs = [(key, value) for key, value in pairs if key not in changes]
    pairs += [(key, str(value)) for key, value in changes.items() if value is not None]
    return urlencode(pairs)
