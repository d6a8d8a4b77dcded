"""The desk as an ASGI application: routes, signed sessions, error pages and security headers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.app import Database, open_store
from monitor.config.settings import Settings
from monitor.config.sources import Source
from monitor.web import api, auth, deadlines, exports, feeds, login, notices, sources, subscriptions
from monitor.web.render import HERE, make_templates, page

_MACHINE_PREFIXES = ("/api/", "/feeds/", "/calendar/", "/export/")
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
]


class SecurityHeaders:
    """Security headers on every answer, and the time the desk took to answer (Server-Timing, read by
    `bench/review.py` and a browser's developer tools)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message["headers"] = [*message.get("headers", []), *_HEADERS, (b"server-timing", took)]
            await send(message)

        await self.app(scope, receive, with_headers)


def _for_machines(request: Request) -> bool:
    return request.url.path.startswith(_MACHINE_PREFIXES)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    if _for_machines(request):
        return PlainTextResponse("sign in, or read from a network in [web] read_networks", status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _for_machines(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return page(request, "error.html.j2", status_code=exc.status_code, status=exc.status_code, message=exc.detail)


def routes() -> list[Any]:
    return [
        Route("/", notices.notices_page, name="notices"),
        Route("/notices/{notice_id:int}", notices.notice_page, name="notice"),
        Route("/notices/{notice_id:int}/review", notices.review_notice, methods=["POST"], name="review"),
        Route("/sources", sources.sources_page, name="sources"),
        Route("/deadlines", deadlines.deadlines_page, name="deadlines"),
        Route("/subscriptions", subscriptions.subscriptions_page, name="subscriptions"),
        Route("/subscriptions/{name}/backtest", subscriptions.backtest_page, name="backtest"),
        Route("/login", login.login_page, name="login_page"),
        Route("/login", login.login, methods=["POST"], name="login"),
        Route("/logout", login.logout, methods=["POST"], name="logout"),
        Route("/feeds/notices.atom", feeds.notices_feed, name="feed"),
        Route("/feeds/subscriptions/{name}.atom", feeds.subscription_feed, name="subscription_feed"),
        Route("/calendar/deadlines.ics", feeds.deadlines_calendar, name="calendar"),
        Route("/export/notices.csv", exports.export_csv, name="export_csv"),
        Route("/export/notices.json", exports.export_json, name="export_json"),
        Route("/export/notices.xlsx", exports.export_xlsx, name="export_xlsx"),
        Route("/api/notices", api.api_notices, name="api_notices"),
        Route("/api/notices/{notice_id:int}", api.api_notice, name="api_notice"),
        Route("/api/sources", api.api_sources, name="api_sources"),
        Route("/api/deadlines", api.api_deadlines, name="api_deadlines"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]


def create_app(settings: Settings, database: Database | None = None, sources: Sequence[Source] = ()) -> Starlette:
    web = settings.web
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=auth.session_secret(settings),
            session_cookie="cgt_desk",
            max_age=int(web.session_hours * 3600),
            same_site="lax",
            https_only=web.secure_cookies(),
        ),
    ]
    app = Starlette(
        routes=routes(),
        middleware=middleware,
        exception_handlers={auth.SignInRequired: _sign_in_first, HTTPException: _error},
    )
    app.state.settings = settings
    app.state.database = database or open_store(settings)
    app.state.catalogue = {source.name: source for source in sources}  # what each source's structure rests on
    app.state.templates = make_templates(settings.schedule.timezone)
    return app
