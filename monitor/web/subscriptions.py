"""Subscriptions and their backtest: what each would have sent over the stored archive, before it goes live."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from monitor.store.backtest import backtest
from monitor.web import auth
from monitor.web.deadlines import today_in
from monitor.web.render import page


def subscriptions_page(request: Request) -> Response:
    auth.require_read(request)
    subs = [s for s in request.app.state.settings.subscription if not s.ops]
    return page(request, "subscriptions.html.j2", subscriptions=subs)


def backtest_page(request: Request) -> Response:
    auth.require_read(request)
    name = request.path_params["name"]
    sub = next((s for s in request.app.state.settings.subscription if s.name == name and not s.ops), None)
    if sub is None:
        raise HTTPException(404, f"no subscription named '{name}'")
    days_text = request.query_params.get("days", "180")
    if not days_text.isdigit() or not 1 <= int(days_text) <= 3660:
        raise HTTPException(400, "days: a number from 1 to 3660")
    today = today_in(request.app.state.settings.schedule.timezone)
    with request.app.state.database.sessions() as session:
        result = backtest(session, sub, today, int(days_text))
    peak = max((count for _, count in result.weeks), default=0) or 1
    return page(request, "backtest.html.j2", sub=sub, result=result, days=int(days_text), peak=peak)
