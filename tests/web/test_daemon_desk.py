"""The daemon serves the desk when [web] enabled, and stops it with itself; otherwise the web stack is never
imported on the daemon's path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from monitor.testing.localsite import Page
from monitor.testing.mailsink import free_port
from tests.helpers import ROOT, deployment, sigterm, site_page, start_daemon, wait_for


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_the_daemon_serves_the_desk_on_loopback_and_stops_it_on_sigterm(tmp_path: Path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    port = free_port()
    config = Path(env["CGT_MONITOR_CONFIG"])
    config.write_text(
        config.read_text(encoding="utf-8") + f"\n[web]\nenabled = true\nport = {port}\n", encoding="utf-8"
    )
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    daemon = start_daemon(env)
    try:
        assert wait_for(lambda: _answers(f"http://127.0.0.1:{port}/"), timeout=30)
        # the baseline arrives on the desk as the daemon records it
        assert wait_for(lambda: "nmpa-ggtg" in httpx.get(f"http://127.0.0.1:{port}/sources").text, timeout=30)
        assert wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/api/notices").json()["total"] == 20, timeout=30)
    finally:
        stderr, took = sigterm(daemon)
    assert daemon.returncode == 0, stderr
    assert f"review desk on http://127.0.0.1:{port}/" in stderr and "daemon stopped" in stderr
    assert took < 15
    assert not _answers(f"http://127.0.0.1:{port}/")


def test_the_daemons_path_never_imports_the_web_stack():
    probe = (
        "import sys, monitor.cli, monitor.cli.checks, monitor.app, monitor.scheduler; "
        "loaded = [m for m in ('starlette', 'uvicorn', 'monitor.web', 'feedgen', 'openpyxl', 'argon2') "
        "if m in sys.modules]; print(loaded)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
