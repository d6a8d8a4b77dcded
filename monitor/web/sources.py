"""The sources page (each source's health) and the poll log (every check, newest first)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from monitor.store.queries import last_failures, recent_runs, source_health
from monitor.web import auth
from monitor.web.render import page


def sources_page(request: Request) -> Response:
    auth.require_read(request)
    name = request.query_params.get("source") or None
    with request.app.state.database.sessions() as session:
        health = sorted(source_health(session).values(), key=lambda state: (state.status == "ok", state.name))
        runs = recent_runs(session, name, limit=200)
        failures = last_failures(session)
    catalogue = request.app.state.catalogue
    return page(
        request, "sources.html.j2", health=health, runs=runs, selected=name, failures=failures, catalogue=catalogue
    )
