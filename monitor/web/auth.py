"""Who may do what on the desk: users and roles from the deployment file, argon2 password hashes, signed
session cookies, CSRF tokens on every form, and the networks that may read without signing in."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from monitor.config.settings import Settings, WebSettings, expand_env

ROLES = ("viewer", "reviewer", "admin")
_hasher = PasswordHasher()
# verified against when the user name is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(settings: WebSettings, name: str, password: str) -> bool:
    user = settings.users.get(name)
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Visitor:
    name: str | None  # None: not signed in
    role: str | None
    may_read: bool

    @property
    def may_review(self) -> bool:
        return self.role in ("reviewer", "admin")


def token_hash(token: str) -> str:
    """A read token as kept in the deployment file: a random token needs no slow hash, only a one-way one."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _token_reader(web: WebSettings, request: Request) -> str | None:
    """The user whose read token the request carries (feeds, calendar, exports, API only)."""
    token = request.query_params.get("token")
    if not token or not request.url.path.startswith(TOKEN_PATHS):
        return None
    given = token_hash(token)
    for name, user in web.users.items():
        if user.token_hash and hmac.compare_digest(user.token_hash, given):
            return name
    return None


TOKEN_PATHS = ("/feeds/", "/calendar/", "/export/", "/api/")


def visitor(request: Request) -> Visitor:
    web: WebSettings = request.app.state.settings.web
    name = request.session.get("user")
    user = web.users.get(name) if isinstance(name, str) else None
    if user is not None:
        return Visitor(name, user.role, True)
    if _token_reader(web, request) is not None:
        return Visitor(None, None, True)  # reads; a token never signs anyone in
    return Visitor(None, None, _on_read_network(web, request))


def _on_read_network(web: WebSettings, request: Request) -> bool:
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in web.read_networks)


class SignInRequired(Exception):
    """A page that needs a signed-in user (or a reader's network); answered with the sign-in page."""


def require_read(request: Request) -> Visitor:
    found = visitor(request)
    if not found.may_read:
        raise SignInRequired()
    return found


def require_review(request: Request, form_token: object) -> Visitor:
    """A write: a signed-in reviewer or admin, with the form's CSRF token."""
    found = visitor(request)
    if found.name is None:
        raise SignInRequired()
    if not found.may_review:
        raise HTTPException(403, "your role may read the desk but not mark notices")
    check_csrf(request, form_token)
    return found


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, form_token: object) -> None:
    expected = request.session.get("csrf")
    if not (isinstance(expected, str) and isinstance(form_token, str) and hmac.compare_digest(expected, form_token)):
        raise HTTPException(403, "the form is out of date or came from elsewhere: reload the page and try again")


def session_secret(settings: Settings) -> str:
    """The configured key, or one made once and kept (owner-only) in the data directory, so sessions outlive
    a restart."""
    if settings.web.secret_key:
        return expand_env(settings.web.secret_key)
    path = Path(settings.state_dir()) / "web-secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        key = secrets.token_urlsafe(48)
        out.write(key)
    return key
