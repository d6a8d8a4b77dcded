"""Start light: each command imports what it needs when it needs it."""

import subprocess
import sys

from tests.helpers import ROOT, local_source, serve, site_page

HEAVY = ("sqlalchemy", "httpx", "alembic", "apprise", "playwright", "jinja2", "starlette", "opencc", "pypdf", "docx")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(done.stdout.split())


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
