"""A desk over a seeded store: users of each role, and clients from inside and outside the read networks."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from monitor.app import open_store
from monitor.config.settings import Channel, Settings, Subscription, WebSettings, WebUser
from monitor.testing.notices import seed_notices
from monitor.web.app import create_app
from monitor.web.auth import hash_password
from monitor.web.deadlines import today_in

PASSWORDS = {"li": "reviewer-pass-1", "zhao": "viewer-pass-1", "root": "admin-pass-1"}
# the desk's today is the configured zone's (Asia/Shanghai), a day ahead of UTC's for eight hours of it
TODAY = today_in(Settings().schedule.timezone)


@pytest.fixture(scope="session")
def hashes() -> dict[str, str]:
    return {name: hash_password(password) for name, password in PASSWORDS.items()}


@pytest.fixture
def desk_settings(tmp_path, hashes) -> Settings:
    roles = {"li": "reviewer", "zhao": "viewer", "root": "admin"}
    return Settings(
        data_dir=tmp_path,
        web=WebSettings(
            users={name: WebUser(password_hash=hashes[name], role=role) for name, role in roles.items()},  # type: ignore[arg-type]
            public_url="https://desk.example.org",
            cookie_secure=False,  # the test client speaks plain http
        ),
        channels={"mail": Channel(urls=["mailto://x@example.org"])},
        subscription=[
            Subscription(name="gene", channels=["mail"], topics=["gene_therapy"]),
            Subscription(name="guangdong", channels=["mail"], regions=["CN-GD"], relevant_only=False),
        ],
    )


@pytest.fixture
def desk(desk_settings):
    database = open_store(desk_settings)
    seed_notices(database.sessions, 125, today=TODAY)  # 25 of each source and each kind
    app = create_app(desk_settings, database)
    yield app
    database.engine.dispose()


@pytest.fixture
def outsider(desk):
    """A client on no read network: it must sign in even to read."""
    return TestClient(desk, base_url="http://desk.test", client=("203.0.113.9", 50000))


@pytest.fixture
def local(desk):
    """A client on the loopback read network: reads without signing in."""
    return TestClient(desk, base_url="http://desk.test", client=("127.0.0.1", 50000))


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def sign_in(client: TestClient, user: str) -> None:
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"user": user, "password": PASSWORDS[user], "csrf": csrf_of(form.text), "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
