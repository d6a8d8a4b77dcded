"""The desk in a real headless Chromium (Debian's, through Playwright): sign in, filter, search in Chinese
and English, open a notice, mark it reviewed, see the history. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from monitor.app import open_store
from monitor.testing.mailsink import free_port
from monitor.testing.notices import seed_notices
from monitor.web.app import create_app
from tests.helpers import ROOT
from tests.web.conftest import PASSWORDS, TODAY

ARTIFACTS = Path(os.environ.get("CGT_TEST_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture
def served_desk(desk_settings) -> Iterator[str]:
    """The desk on a real port; nobody reads it without signing in (no read networks)."""
    settings = desk_settings.model_copy(
        update={"web": desk_settings.web.model_copy(update={"read_networks": [], "public_url": None})}
    )
    database = open_store(settings)
    seed_notices(database.sessions, 125, today=TODAY)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    database.engine.dispose()


def test_a_reviewer_works_through_the_desk_in_a_real_browser(chromium, served_desk):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium.executable_path, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
        try:
            page.goto(served_desk + "/")
            expect(page).to_have_url(served_desk + "/login?next=/")
            page.screenshot(path=ARTIFACTS / "desk-1-sign-in.png")
            page.fill("input[name=user]", "li")
            page.fill("input[name=password]", PASSWORDS["li"])
            page.click("form.login button")
            expect(page.locator("#count")).to_have_text("125 notices · page 1 of 3")
            expect(page.locator(".who")).to_contain_text("li · reviewer")

            page.select_option("select[name=agency]", "CDE")
            page.select_option("select[name=relevance]", "relevant")
            page.click("text=Apply filters")
            expect(page.locator("#count")).to_have_text("15 notices")
            assert page.locator("table.notices tbody tr td.agency").all_inner_texts() == ["CDE\nCN"] * 15

            page.goto(served_desk + "/")
            page.fill("input[name=q]", "基因治疗")
            page.click("form.filters .searchrow button")
            expect(page.locator("#count")).to_have_text("25 notices")
            expect(page.locator("td.title mark").first).to_have_text("基因治疗")
            page.screenshot(path=ARTIFACTS / "desk-2-search-chinese.png")

            page.fill("input[name=q]", "in vivo gene")
            page.click("form.filters .searchrow button")
            expect(page.locator("#count")).to_have_text("25 notices")

            title = page.locator("td.title a").first.inner_text()
            page.locator("td.title a").first.click()
            expect(page.locator("h1")).to_have_text(title)
            expect(page.locator(".gloss.big")).to_contain_text("gene therapy")
            expect(page.locator("#review")).to_contain_text("Not reviewed yet.")

            # as an alert's link arrives: "done" chosen, one click on Save marks it
            page.goto(page.url.split("?")[0] + "?state=done#review")
            expect(page.locator("input[name=state][value=done]")).to_be_checked()
            page.fill("textarea[name=note]", "已读，无需跟进")
            page.click("form.review button")
            expect(page.locator("#review .ok")).to_have_text("Marked.")
            history = page.locator("ol.history li").first
            expect(history).to_contain_text("done")
            expect(history).to_contain_text("已读，无需跟进")
            expect(history).to_contain_text("li")
            page.screenshot(path=ARTIFACTS / "desk-3-reviewed.png")

            page.goto(served_desk + "/?review=done")
            expect(page.locator("#count")).to_have_text("1 notice")
        finally:
            browser.close()
    assert all((ARTIFACTS / name).stat().st_size > 10_000 for name in ("desk-1-sign-in.png", "desk-3-reviewed.png"))
