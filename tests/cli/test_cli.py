"""The console entry point, run as a user runs it."""

import csv
import io
import json

import pytest

from monitor.store.db import head_revision
from monitor.testing.localsite import Page
from tests.helpers import ROOT, deployment, fixture_file, next_day, run_cli, site_page

pytestmark = pytest.mark.slow


def test_classify_reads_lines_and_writes_json_lines():
    result = run_cli("classify", input="免疫细胞治疗产品临床试验技术指导原则\n\n关于注销药品注册证书的公告\n")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["text"] == "免疫细胞治疗产品临床试验技术指导原则"
    assert first["relevant"] is True and "免疫细胞" in first["terms"] and first["score"] > 0
    assert second["relevant"] is False and second["terms"] == []
    assert {"text", "relevant", "score", "terms", "doc_type"} <= set(first)


def test_a_broken_catalogue_exits_non_zero_naming_file_and_line(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text(
        '[[source]]\nname = "x"\nagency = "NMPA"\nregion = "CN"\nurl = "ftp://x"\nkind = "html"\n'
        '[source.extract]\nitem = "li"\n',
        encoding="utf-8",
    )
    result = run_cli("--sources", str(bad), "validate")
    assert result.returncode == 2
    assert f"{bad}:5" in result.stderr.replace("\n", "") and "url" in result.stderr


def test_validate_accepts_the_shipped_catalogue(tmp_path):
    result = run_cli("--data-dir", str(tmp_path), "validate")
    assert result.returncode == 0, result.stderr
    assert "sources" in result.stdout


def test_sources_test_on_a_saved_page_resolves_against_the_source_url():
    result = run_cli("sources", "test", "nmpa-ggtg", "--file", str(fixture_file("nmpa-ggtg.html")), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 20
    assert rows[0]["url"] == "https://www.nmpa.gov.cn/xxgk/ggtg/zhggtg/20260922184421167.html"
    assert rows[0]["published"] == "2026-09-22" and rows[0]["key"] == "20260922184421167"
    assert all({"title", "url", "published", "key", "relevant"} <= set(row) for row in rows)


def test_sources_test_reports_a_challenge_page_as_blocked():
    result = run_cli("sources", "test", "nmpa-ggtg", "--file", str(fixture_file("nmpa-412-challenge.html")))
    assert result.returncode == 1
    assert "blocked" in result.stderr


def test_check_dry_run_stores_nothing_and_log_exports(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    dry = run_cli("check", "nmpa-ggtg", "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    assert len(dry.stdout.splitlines()) == 20
    assert run_cli("log", "--json", env=env).stdout.strip() == "[]"

    assert run_cli("check", "nmpa-ggtg", env=env).returncode == 0  # baseline
    site.set("/xxgk/ggtg/index.html", Page(next_day(site_page("nmpa-ggtg.html"))))
    assert run_cli("check", "nmpa-ggtg", env=env).returncode == 0
    assert len(inbox.mails) == 1

    rows = json.loads(run_cli("log", "--json", env=env).stdout)
    assert [row["kind"] for row in rows] == ["new", "new"]
    assert [row["relevant"] for row in rows].count(True) == 1
    relevant_only = json.loads(run_cli("log", "--json", "--relevant", env=env).stdout)
    assert len(relevant_only) == 1 and "基因治疗" in relevant_only[0]["terms"]

    exported = run_cli("log", "--csv", env=env).stdout
    assert exported.startswith("\ufeff")  # a BOM: Excel reads the Chinese as UTF-8
    table = list(csv.DictReader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert len(table) == 2 and {"detected_at", "title", "url", "relevant"} <= set(table[0])


def test_db_upgrade_creates_the_schema(tmp_path):
    result = run_cli("--data-dir", str(tmp_path), "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert f"revision {head_revision()}" in result.stdout
    assert (tmp_path / "cgt-monitor.db").exists()


def test_db_prune_deletes_old_check_records_for_a_cron_deployment(tmp_path):
    import datetime as dt

    from sqlalchemy import func, select

    from monitor.app import open_store
    from monitor.config.settings import Settings
    from monitor.store.db import write_transaction
    from monitor.store.models import Run

    database = open_store(Settings(data_dir=tmp_path))
    now = dt.datetime.now(dt.UTC)
    with write_transaction(database.sessions) as session:
        for age in (400, 40, 1):
            at = now - dt.timedelta(days=age)
            session.add(Run(source_name="a", started_at=at, finished_at=at, outcome="ok"))
    result = run_cli("--data-dir", str(tmp_path), "db", "prune")  # keep_runs_days: 180
    assert result.returncode == 0, result.stderr
    assert "deleted 1 records of checks older than 180 days" in result.stdout + result.stderr
    result = run_cli("--data-dir", str(tmp_path), "db", "prune", "--days", "30")
    assert result.returncode == 0 and "deleted 1 " in result.stdout + result.stderr
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 1
    database.engine.dispose()


def test_the_demo_runs_offline_and_alerts(tmp_path):
    result = run_cli("demo", "--demo-dir", str(tmp_path), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 CGT-relevant, 3 e-mails received" in result.stdout


def test_python_dash_m_and_help():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "check", "log", "classify", "db", "demo", "sources"):
        assert command in result.stdout
    assert ROOT.exists()


def write_deployment(tmp_path, channels: str) -> dict[str, str]:
    path = tmp_path / "cgt-monitor.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n' + channels, encoding="utf-8")
    return {"CGT_MONITOR_CONFIG": str(path)}


def test_notify_test_reports_each_service(tmp_path, inbox):
    dead = inbox.apprise_url().replace(f":{inbox.port}", ":9")
    env = write_deployment(tmp_path, f'[channels.team]\nurls = ["{inbox.apprise_url()}", "{dead}"]\n')
    result = run_cli("notify", "test", "team", env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok") and lines[1].startswith("failed")
    assert len(inbox.mails) == 1 and "测试 test" in inbox.mails[0].subject


def test_config_show_masks_secrets(tmp_path):
    env = write_deployment(
        tmp_path,
        '[channels.mail]\nurl = "mailtos://u:${SMTP_PASSWORD}@smtp.example.com"\n'
        '[channels.hook]\nurl = "json://hooks.example.com/x?token=abcdef123"\n',
    )
    result = run_cli("config", "show", env={**env, "SMTP_PASSWORD": "hunter2-secret"})
    assert result.returncode == 0, result.stderr
    assert "hunter2-secret" not in result.stdout and "abcdef123" not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["channels"]["mail"]["urls"] == ["mailtos://u:${SMTP_PASSWORD}@smtp.example.com"]


def test_sources_list_shows_each_sources_health(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-412-challenge.html"), status=412))
    assert run_cli("check", "nmpa-ggtg", env=env).returncode == 1
    listing = run_cli("sources", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if "nmpa-ggtg" in line)
    assert "blocked" in row and "412" in row
