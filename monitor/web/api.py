"""A read-only JSON API of the desk's lists, for systems that take them in: notices (paginated, the same
filters as the page), one notice, sources with their poll log, open comment deadlines."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from monitor.store.detail import notice_detail
from monitor.store.export import local_iso
from monitor.store.notices import list_notices, open_deadlines
from monitor.store.queries import recent_runs, source_health
from monitor.web import auth
from monitor.web.deadlines import today_in
from monitor.web.exports import export_row
from monitor.web.params import notice_filter, page_number


def _json(data: object) -> Response:
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


def api_notices(request: Request) -> Response:
    auth.require_read(request)
    filters = notice_filter(request.query_params)
    per_page = request.query_params.get("per_page", "50")
    if not per_page.isdigit() or not 1 <= int(per_page) <= 500:
        raise HTTPException(400, "per_page: a number from 1 to 500")
    with request.app.state.database.sessions() as session:
        listed = list_notices(session, filters, page=page_number(request.query_params), per_page=int(per_page))
    return _json(
        {
            "total": listed.total,
            "page": listed.page,
            "pages": listed.pages,
            "per_page": listed.per_page,
            "notices": [export_row(request, row) for row in listed.rows],
        }
    )


def api_notice(request: Request) -> Response:
    auth.require_read(request)
    zone = request.app.state.settings.schedule.timezone
    with request.app.state.database.sessions() as session:
        detail = notice_detail(session, request.path_params["notice_id"])
    if detail is None:
        raise HTTPException(404, "no such notice")
    notice = detail.notice
    return _json(
        {
            **export_row(request, detail.row),
            "body": notice.body,
            "attachments": notice.attachments or [],
            "attachment_text": notice.attachment_text,
            "contact": notice.contact,
            "sightings": [export_row(request, row) for row in detail.sightings],
            "family": [{"stage": stage, **export_row(request, row)} for stage, row in detail.family],
            "deliveries": [
                {
                    "subscription": d.subscription,
                    "channel": d.channel,
                    "status": d.status,
                    "sent_at": local_iso(d.sent_at, zone),
                }
                for d in detail.deliveries
            ],
            "review_history": [
                {
                    "state": str(mark.state),
                    "assignee": mark.assignee,
                    "note": mark.note,
                    "user": mark.user,
                    "at": local_iso(mark.at, zone),
                }
                for mark in detail.marks
            ],
        }
    )


def api_sources(request: Request) -> Response:
    auth.require_read(request)
    zone = request.app.state.settings.schedule.timezone
    with request.app.state.database.sessions() as session:
        health = source_health(session)
        runs = recent_runs(session, request.query_params.get("source") or None, limit=500)
    return _json(
        {
            "sources": [
                {
                    "name": s.name,
                    "agency": s.agency,
                    "region": s.region,
                    "url": s.url,
                    "status": s.status,
                    "reason": s.status_reason,
                    "consecutive_failures": s.consecutive_failures,
                    "items": s.item_count,
                    "last_checked_at": local_iso(s.last_checked_at, zone),
                    "last_ok_at": local_iso(s.last_ok_at, zone),
                    "fetch_mode": s.fetch_mode,
                }
                for s in sorted(health.values(), key=lambda s: s.name)
            ],
            "polls": [
                {
                    "source": run.source_name,
                    "finished_at": local_iso(run.finished_at, zone),
                    "outcome": run.outcome,
                    "items": run.items,
                    "new": run.new,
                    "elapsed_s": round(run.elapsed_s, 3),
                    "reason": run.reason,
                }
                for run in runs
            ],
        }
    )


def api_deadlines(request: Request) -> Response:
    auth.require_read(request)
    today = today_in(request.app.state.settings.schedule.timezone)
    with request.app.state.database.sessions() as session:
        rows = open_deadlines(session, today)
    return _json(
        [{**export_row(request, row), "days_left": (row.deadline - today).days} for row in rows if row.deadline]
    )
