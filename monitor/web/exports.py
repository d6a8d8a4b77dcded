"""The notice list, as filtered on the page, as CSV (for Excel), JSON or xlsx."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from monitor.store.export import NOTICE_FIELDS, local_iso, to_csv, to_json, to_xlsx
from monitor.store.notices import NoticeRow, all_notices
from monitor.web import auth
from monitor.web.feeds import desk_url
from monitor.web.params import notice_filter

FIELDS = [*NOTICE_FIELDS, "desk_url"]
EXPORT_LIMIT = 50_000


def export_row(request: Request, row: NoticeRow) -> dict[str, Any]:
    zone = request.app.state.settings.schedule.timezone
    return {
        **row.as_dict(),
        "first_seen_at": local_iso(row.first_seen_at, zone),
        "desk_url": desk_url(request, f"/notices/{row.id}"),
    }


def _rows(request: Request) -> list[dict[str, Any]]:
    auth.require_read(request)
    filters = notice_filter(request.query_params)
    with request.app.state.database.sessions() as session:
        rows = all_notices(session, filters, limit=EXPORT_LIMIT)
    return [export_row(request, row) for row in rows]


def _download(body: bytes | str, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def export_csv(request: Request) -> Response:
    return _download(to_csv(_rows(request), FIELDS), "text/csv; charset=utf-8", "notices.csv")


def export_json(request: Request) -> Response:
    return _download(to_json(_rows(request)), "application/json", "notices.json")


async def export_xlsx(request: Request) -> Response:
    body = await run_in_threadpool(lambda: to_xlsx(_rows(request), FIELDS))
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(body, media, "notices.xlsx")
