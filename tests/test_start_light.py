"""Start light: each command imports what it needs when it needs it."""

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, deployment, local_source, next_day, run_cli, serve, site_page

HEAVY = ("sqlalchemy", "httpx", "alembic", "apprise", "playwright", "jinja2", "starlette", "opencc", "pypdf", "docx")
# what one cycle never needs: the daemon's scheduler, httpx's own command line (Pygments with it), Rich
# when its output is no terminal (plain lines there; a package is loaded whenever any module of it is, so
# "rich" stands for all of Rich), and parsers for attachments and undeclared encodings the cycle's pages
# do not have
SPARED = (
    "apscheduler",
    "multiprocessing",
    "pygments",
    "rich",
    "xml.etree",
    "charset_normalizer",
)


def loaded_after(code: str, modules: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(done.stdout.splitlines()[-1].split())  # the last line: the command's own output comes first


def test_the_command_line_itself_loads_no_store_network_or_sender():
    assert loaded_after("import monitor.cli") == set()


def test_a_check_that_alerts_nobody_on_a_current_schema_loads_only_the_store_and_http(site, settings_for, tmp_path):
    settings = settings_for()
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    from monitor.app import open_store

    open_store(settings).engine.dispose()  # the schema is made here: the probe finds it current
    (tmp_path / "settings.json").write_text(settings.model_dump_json(by_alias=True), encoding="utf-8")
    (tmp_path / "source.json").write_text(source.model_dump_json(by_alias=True), encoding="utf-8")
    code = (
        "import asyncio\n"
        "from pathlib import Path\n"
        "from monitor.app import running_pipeline\n"
        "from monitor.config.settings import Settings\n"
        "from monitor.config.sources import Source\n"
        f"settings = Settings.model_validate_json(Path({str(tmp_path / 'settings.json')!r}).read_text())\n"
        f"source = Source.model_validate_json(Path({str(tmp_path / 'source.json')!r}).read_text())\n"
        "async def go():\n"
        "    async with running_pipeline(settings) as pipeline:\n"
        "        report = await pipeline.check(source)\n"
        "        assert report.summary.outcome == 'baseline', report.summary\n"
        "asyncio.run(go())"
    )
    assert loaded_after(code) == {"sqlalchemy", "httpx"}  # no Alembic, Jinja, apprise, OpenCC or browser


def quiet_deployment(site, tmp_path: Path) -> dict[str, str]:
    """One local source, no channels (nothing to send), its baseline already stored (and the schema made:
    the probe finds it current)."""
    env = deployment(tmp_path, site, "mailto://unused")
    (tmp_path / "cgt-monitor.toml").write_text(
        f'data_dir = "{tmp_path}"\n[fetch]\nper_host_min_delay_s = 0.0\nretries = 0\n', encoding="utf-8"
    )
    serve(site, local_source(site, "nmpa-ggtg"), site_page("nmpa-ggtg.html"))
    baseline = run_cli("run", "--once", env=env)
    assert baseline.returncode == 0, baseline.stderr
    return env


def command(*args: str) -> str:
    """The console entry point run in the probe's process (its stdout and stderr are pipes)."""
    return (
        "import sys\n"
        f"sys.argv = ['cgt-monitor', *{args!r}]\n"
        "from monitor.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
    )


def test_run_once_loads_no_scheduler_highlighter_rich_or_spare_parser(site, tmp_path: Path):
    env = quiet_deployment(site, tmp_path)
    assert loaded_after(command("run", "--once"), HEAVY + SPARED, env) == {"sqlalchemy", "httpx"}


def test_a_check_into_a_pipe_loads_no_rich(site, tmp_path: Path):
    env = quiet_deployment(site, tmp_path)
    serve(site, local_source(site, "nmpa-ggtg"), next_day(site_page("nmpa-ggtg.html")))  # rows to print, two new
    assert loaded_after(command("check", "nmpa-ggtg"), SPARED, env) == set()
