"""What a new operator meets in the first hour, run as they would run it: the real CLI in a child process."""

import json
import os
import subprocess
import sys

import pytest

from monitor.testing.localsite import Page
from tests.helpers import ROOT, deployment, fixture_file, next_day, run_cli, site_page

pytestmark = pytest.mark.slow

BAD_SOURCES = """[[source]]
name = "Bad Name"
agency = "NMPA"
region = "CN"
url = "https://www.nmpa.gov.cn/xxgk/ggtg/index.html"
kind = "html"
follow = "yes"
evidence = "unverified"
evidence_note = "a broken entry"
[source.extract]
item = "div..x"
"""

BAD_DEPLOYMENT = """[channels.x]
url = "mailto://127.0.0.1:2525?to=a@example.org"
format = "pdf"

[[subscription]]
name = "ra"
channels = ["x"]
doc_types = ["guidance"]
"""


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_configuration_errors_print_verbatim_all_at_once_with_file_line_and_field(tmp_path):
    result = run_cli("--sources", write(tmp_path, "sources.toml", BAD_SOURCES), "validate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert f"{tmp_path}/sources.toml:2: [[source]] #1 (Bad Name): field 'name'" in lines[0]
    assert r"'^[a-z0-9][a-z0-9_\-]*$'" in lines[0]  # the pattern survives printing
    assert "sources.toml:7:" in lines[1] and "must be true or false, not 'yes'" in lines[1] and "hint:" in lines[1]
    assert "sources.toml:11:" in lines[2] and "not a valid CSS selector: 'div..x'" in lines[2]
    assert "3 problems" in lines[3]

    result = run_cli("--config", write(tmp_path, "cgt-monitor.toml", BAD_DEPLOYMENT), "validate")
    assert result.returncode == 2
    assert "cgt-monitor.toml:3: [channels.x]: field 'format'" in result.stderr
    assert "cgt-monitor.toml:8: [[subscription]] #1 (ra): field 'doc_types': unknown value 'guidance'" in result.stderr


def test_an_unset_secret_breaks_no_command_and_validate_warns_naming_the_key(tmp_path):
    config = write(
        tmp_path,
        "cgt-monitor.toml",
        f'data_dir = "{tmp_path}"\n[channels.ra-mail]\nurl = "mailtos://a:${{SMTP_PASSWORD}}@smtp.example.com"\n'
        '[[subscription]]\nname = "ra"\nchannels = ["ra-mail"]\n',
    )
    env = {"CGT_MONITOR_CONFIG": config}
    env_without = {k: v for k, v in os.environ.items() if k != "SMTP_PASSWORD"}
    for args in (("validate",), ("log",), ("config", "show")):
        result = subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            capture_output=True,
            text=True,
            env={**env_without, **env, "COLUMNS": "200"},
            cwd=ROOT,
        )
        assert result.returncode == 0, (args, result.stderr)
    assert "field 'url': ${SMTP_PASSWORD} is not set" in run_cli("validate", env=env).stderr


def test_validate_refuses_what_would_silently_never_work(tmp_path):
    config = write(
        tmp_path,
        "cgt-monitor.toml",
        '[channels.a]\nurl = "mialto://alerts@example.com"\n'
        '[[subscription]]\nname = "ra"\nchannels = ["a"]\nagencies = ["FDA"]\nregions = ["cn-gd"]\n',
    )
    result = run_cli("--config", config, "validate")
    assert result.returncode == 2
    assert "field 'regions': 'cn-gd' is not a region code" in result.stderr
    fixed = write(
        tmp_path,
        "fixed.toml",
        '[channels.a]\nurl = "mialto://alerts@example.com"\n'
        '[[subscription]]\nname = "ra"\nchannels = ["a"]\nagencies = ["FDA"]\n',
    )
    result = run_cli("--config", fixed, "validate")
    assert result.returncode == 2
    assert "'mialto' is not a scheme apprise knows" in result.stderr
    assert "field 'agencies': no source in the catalogue has 'FDA'" in result.stderr
    empty = run_cli("validate")  # the embedded default: nothing to send to
    assert empty.returncode == 0 and "no channels: nothing will be sent" in empty.stderr


def test_validate_tries_a_sources_selectors_and_key_pattern_on_a_saved_page(tmp_path):
    catalogue = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = catalogue.index('[[source]]\nname = "nmpa-ggtg"')
    entry = catalogue[start : catalogue.index("[[source]]", start + 10)]
    page = str(fixture_file("nmpa-ggtg.html"))
    assert (
        run_cli("--sources", write(tmp_path, "ok.toml", entry), "validate", "--page", f"nmpa-ggtg={page}").returncode
        == 0
    )
    wrong_key = entry.replace("key_pattern = ", 'key_pattern = "/nomatch/(\\\\d+)" # ')
    result = run_cli("--sources", write(tmp_path, "key.toml", wrong_key), "validate", "--page", f"nmpa-ggtg={page}")
    assert result.returncode == 2 and "key_pattern '/nomatch/(\\d+)' matches none of the page's" in result.stderr


def test_a_selector_failure_names_the_selector_and_what_it_matched(tmp_path):
    catalogue = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = catalogue.index('[[source]]\nname = "nmpa-ggtg"')
    entry = catalogue[start : catalogue.index("[[source]]", start + 10)]
    page = str(fixture_file("nmpa-ggtg.html"))
    for broken, expected in (
        (
            entry.replace('item = "div.list ul li"', 'item = "div.lists ul li"'),
            "item selector 'div.lists ul li' matched",
        ),
        (
            entry.replace('title = "a"', 'title = "h4 a"'),
            "but the title selector 'h4 a' matched nothing inside them",
        ),
    ):
        result = run_cli("--sources", write(tmp_path, "s.toml", broken), "sources", "test", "nmpa-ggtg", "--file", page)
        assert result.returncode == 1 and expected in result.stderr, result.stderr
    missing = run_cli("sources", "test", "nmpa-ggtg", "--file", str(tmp_path / "missing.html"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "does not exist" in missing.stderr


def test_the_daemon_log_is_quiet_but_says_what_it_did_and_vv_adds_the_libraries(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    quiet = run_cli("run", "--once", env=env)
    assert quiet.returncode == 0 and "httpx" not in quiet.stderr and "DEBUG" not in quiet.stderr
    assert "first sight of 1 source(s): their 20 notices are stored as the baseline and not alerted" in quiet.stdout
    chatty = run_cli("-vv", "run", "--once", env=env)
    assert chatty.returncode == 0 and "httpx" in chatty.stderr


def test_small_things_a_user_notices(tmp_path, site, inbox):
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("cgt-monitor 0.")
    assert "<bool>" not in run_cli("run", "--help").stdout
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")
    first = (ROOT / "sources.toml").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# cgt-monitor source catalogue: one [[source]] table per")

    (tmp_path / "d").mkdir()
    env = deployment(tmp_path / "d", site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    dry = run_cli("check", "nmpa-ggtg", "--dry-run", "--json", env=env)
    rows = [json.loads(line) for line in dry.stdout.splitlines()]
    assert dry.returncode == 0 and len(rows) == 20 and all(row["new"] and row["baseline"] for row in rows)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["cgt-monitor.toml", "sources.toml"]  # no database


def test_a_held_digest_is_reported_as_held(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    config = tmp_path / "cgt-monitor.toml"
    config.write_text(config.read_text(encoding="utf-8") + 'mode = "digest"\ndigest_at = "09:00"\n', encoding="utf-8")
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    assert run_cli("run", "--once", env=env).returncode == 0
    site.set("/xxgk/ggtg/index.html", Page(next_day(site_page("nmpa-ggtg.html"))))
    result = run_cli("run", "--once", env=env)
    assert "alerts sent: 0" in result.stdout and "held: 1 (digests, quiet hours or retries)" in result.stdout


def test_the_demo_shows_its_deployment_file_and_keeps_its_data_when_asked(tmp_path):
    kept = tmp_path / "demo"
    result = run_cli("demo", "--demo-dir", str(kept), timeout=240)
    assert result.returncode == 0, result.stderr
    assert "deployment file" in result.stdout and "[channels.team-mail]" in result.stdout
    assert (kept / "cgt-monitor.toml").is_file() and (kept / "cgt-monitor.db").is_file()
    log = run_cli("--config", str(kept / "cgt-monitor.toml"), "log", "--json")
    assert log.returncode == 0 and len(log.stdout.splitlines()) >= 3


def test_run_once_into_a_pipe_prints_one_tab_separated_line_per_source(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    assert run_cli("run", "--once", env=env).returncode == 0
    site.set("/xxgk/ggtg/index.html", Page(next_day(site_page("nmpa-ggtg.html"))))
    lines = run_cli("run", "--once", env=env).stdout.splitlines()
    at = lines.index("One cycle: 1 source(s)")
    header, row = (line.split("\t") for line in lines[at + 1 : at + 3])
    assert dict(zip(header, row, strict=True)) == {
        "source": "nmpa-ggtg",
        "outcome": "ok",
        "items": "22",
        "new": "2",
        "relevant": "1",
        "changed": "0",
        "gone": "0",
        "alerts": "1",
        "reason": "",
    }
