"""The notices page, a notice's page, and marking a notice from it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.classify.taxonomy import doc_types, topics
from monitor.store import reviews
from monitor.store.db import write_transaction
from monitor.store.detail import notice_detail
from monitor.store.notices import REVIEW_FILTERS, facets, list_notices
from monitor.store.search import search_terms
from monitor.values import NoticeOrigin, ReviewState
from monitor.web import auth
from monitor.web.params import filter_query, notice_filter, page_number
from monitor.web.render import page


def notices_page(request: Request) -> Response:
    auth.require_read(request)
    filters = notice_filter(request.query_params)
    number = page_number(request.query_params)
    settings = request.app.state.settings
    with request.app.state.database.sessions() as session:
        listed = list_notices(session, filters, page=number, per_page=settings.web.page_size)
        known = facets(session)
    return page(
        request,
        "notices.html.j2",
        listed=listed,
        filters=filters,
        known=known,
        doc_types=list(doc_types().values()),
        topics=topics(),
        review_states=REVIEW_FILTERS,
        origins=[origin.value for origin in NoticeOrigin],
        query=filter_query(request.query_params, page=None),
        page_link=lambda n: "/?" + filter_query(request.query_params, page=n),
        search_words=search_terms(filters.search or ""),
    )


def notice_page(request: Request) -> Response:
    auth.require_read(request)
    notice_id = request.path_params["notice_id"]
    with request.app.state.database.sessions() as session:
        detail = notice_detail(session, notice_id)
    if detail is None:
        raise HTTPException(404, f"no notice with id {notice_id}")
    terms = [str(match.get("term")) for match in detail.notice.matches or [] if match.get("term")]
    return page(
        request,
        "notice.html.j2",
        detail=detail,
        notice=detail.notice,
        row=detail.row,
        terms=sorted(set(terms) | set(detail.notice.terms or [])),
        states=[state.value for state in ReviewState],
        reviewed=request.query_params.get("marked") == "1",
        # an alert's "mark reviewed" link arrives with ?state=done: one click on Save then marks it
        preselect=request.query_params.get("state"),
    )


async def review_notice(request: Request) -> Response:
    form = await request.form()
    visitor = auth.require_review(request, form.get("csrf"))
    notice_id = request.path_params["notice_id"]
    state_text = str(form.get("state") or "")
    if state_text not in {state.value for state in ReviewState}:
        raise HTTPException(400, f"state: unknown value '{state_text}'")
    assignee = str(form.get("assignee") or "").strip() or None
    note = str(form.get("note") or "")
    database = request.app.state.database

    def write() -> None:
        with write_transaction(database.sessions) as session:
            reviews.mark(session, notice_id, ReviewState(state_text), str(visitor.name), note, assignee)

    try:
        await run_in_threadpool(write)
    except reviews.UnknownNotice as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/notices/{notice_id}?marked=1#review", status_code=303)
