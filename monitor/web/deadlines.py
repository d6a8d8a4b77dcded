"""Comment deadlines: open drafts for comment, the fewest days left first."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from monitor.store.notices import open_deadlines
from monitor.web import auth
from monitor.web.render import page


def today_in(timezone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(timezone)).date()


def deadlines_page(request: Request) -> Response:
    auth.require_read(request)
    today = today_in(request.app.state.settings.schedule.timezone)
    with request.app.state.database.sessions() as session:
        rows = open_deadlines(session, today)
    return page(request, "deadlines.html.j2", rows=rows, today=today)
