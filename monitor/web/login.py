"""Signing in and out: a form with a CSRF token, the password checked against its argon2 hash."""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.web import auth
from monitor.web.render import page


def _safe_next(target: object) -> str:
    # only a path on this desk: never an open redirect to another site
    text = str(target or "/")
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


def login_page(request: Request) -> Response:
    return page(request, "login.html.j2", next=_safe_next(request.query_params.get("next")), failed=False)


async def login(request: Request) -> Response:
    form = await request.form()
    auth.check_csrf(request, form.get("csrf"))
    name, password = str(form.get("user") or ""), str(form.get("password") or "")
    target = _safe_next(form.get("next"))
    web = request.app.state.settings.web
    if not await run_in_threadpool(auth.verify, web, name, password):
        return page(request, "login.html.j2", status_code=401, next=target, failed=True, user=name)
    request.session.clear()
    request.session["user"] = name
    request.session["csrf"] = secrets.token_urlsafe(32)  # a new token with the new session
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    auth.check_csrf(request, form.get("csrf"))
    request.session.clear()
    return RedirectResponse("/", status_code=303)
