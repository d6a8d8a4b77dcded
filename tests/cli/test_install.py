"""The README's service installation, run in a clean directory (without systemd): nothing installed may
point back at the checkout it came from."""

import os
import shutil
import subprocess
import sys

import pytest

from monitor.testing.localsite import Page
from tests.helpers import ROOT, site_page

pytestmark = pytest.mark.slow


def test_make_install_then_init_validate_and_a_cycle_run_from_the_installed_copy(tmp_path, site):
    checkout = tmp_path / "checkout"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    prefix, etc, state = tmp_path / "opt", tmp_path / "etc", tmp_path / "state"
    made = subprocess.run(
        ["make", "install", f"PREFIX={prefix}", f"PYTHON={sys.executable}"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    shutil.rmtree(checkout)  # the installed copy must not need it
    installed = prefix / "venv" / "bin" / "cgt-monitor"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CGT_MONITOR_")},
        "SMTP_PASSWORD": "x",
        "WECOM_BOT_KEY": "x",
        "CGT_MONITOR_DATA": str(state),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(installed), *args], capture_output=True, text=True, env=env, cwd=tmp_path)

    assert run("--version").stdout.startswith("cgt-monitor ")
    assert run("init", str(etc)).returncode == 0
    config, catalogue = str(etc / "cgt-monitor.toml"), etc / "sources.toml"
    validated = run("--config", config, "--sources", str(catalogue), "validate")
    assert validated.returncode == 0, validated.stderr
    # one source of the installed catalogue, pointed at the local site: a first cycle from the installed copy
    text = catalogue.read_text(encoding="utf-8")
    start = text.index('[[source]]\nname = "nmpa-ggtg"')
    entry = text[start : text.index("[[source]]", start + 10)].replace("https://www.nmpa.gov.cn", site.base_url)
    catalogue.write_text(entry.replace('fetch = "auto"', 'fetch = "http"'), encoding="utf-8")
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    assert run("--config", config, "--sources", str(catalogue), "db", "upgrade").returncode == 0
    cycle = run("--config", config, "--sources", str(catalogue), "run", "--once")
    assert cycle.returncode == 0, cycle.stderr
    assert "baseline" in cycle.stdout and (state / "cgt-monitor.db").is_file()
