"""`notices`, `show`, `review` and the `log` filters, as a user runs them (at 80 columns)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store.db import open_database, session_factory, upgrade_database
from monitor.testing.notices import seed_notices

TODAY = dt.date.today()


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = open_database(url)
    upgrade_database(engine)
    seed_notices(session_factory(engine), 50, today=TODAY)
    engine.dispose()
    config = tmp_path / "cgt-monitor.toml"
    config.write_text(f'database_url = "{url}"\n[schedule]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    return {"CGT_MONITOR_CONFIG": str(config), "COLUMNS": "80"}


def cli(env, *args: str):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_notices_lists_baseline_notices_too_and_reads_at_80_columns(env):
    result = cli(env, "notices", "--origin", "baseline", "--per-page", "5")
    assert result.exit_code == 0, result.output
    assert "page 1 of 2: 5 of 10 notices" in result.output
    assert result.output.count("baseline") == 5
    for line in result.output.splitlines():
        assert cell_len(line) <= 80 or line.startswith("https://"), line  # only links run on, unbroken
    assert "https://cde-zdyz.example.gov.cn/c/5.html\n" in result.output


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("notices", "--days", "0"), "--days"),
        (("log", "--days", "0"), "--days"),
        (("notices", "--since", "yesterday"), "not a date"),
        (("notices", "--since", "2026-05-01", "--until", "2026-04-01"), "empty"),
        (("notices", "--doc-type", "memo"), "unknown value 'memo'"),
        (("notices", "--topic", "oncology"), "unknown value 'oncology'"),
        (("notices", "--review", "maybe"), "maybe"),
        (("notices", "--relevance", "high"), "high"),
        (("notices", "--search", "  "), "empty search"),
        (("log", "--kind", "deleted"), "deleted"),
    ],
)
def test_bad_filter_values_are_errors_not_everything(env, args, complaint):
    result = cli(env, *args)
    assert result.exit_code == 2
    assert complaint in result.output


def test_exports_csv_for_excel_json_and_xlsx_with_links(env, tmp_path):
    from openpyxl import load_workbook

    raw = cli(env, "notices", "--relevance", "relevant", "--csv").stdout
    assert raw.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert len(table) == 30 and {row["relevant"] for row in table} == {"yes"}
    assert table[0]["first_seen_at"].endswith(("+01:00", "+02:00"))  # the configured zone, its offset shown

    rows = json.loads(cli(env, "notices", "--search", "基因治疗", "--json").stdout)
    assert len(rows) == 10 and all("基因治疗" in row["title"] for row in rows)

    path = tmp_path / "out.xlsx"
    assert cli(env, "notices", "--xlsx", str(path)).exit_code == 0
    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    url_cell = sheet.cell(row=2, column=header.index("url") + 1)
    assert sheet.max_row == 51
    assert url_cell.hyperlink is not None and url_cell.hyperlink.target == url_cell.value
    assert sheet.cell(row=2, column=header.index("relevant") + 1).value in ("yes", "no")


def test_review_then_show_prints_the_notice_whole_with_its_history(env):
    notice_id = json.loads(cli(env, "notices", "--search", "干细胞", "--json").stdout)[0]["id"]
    assert cli(env, "review", str(notice_id), "assign", "wang", "--user", "li").exit_code == 0
    marked = cli(env, "review", str(notice_id), "relevant", "--note", "需跟进：征求意见", "--user", "wang")
    assert marked.exit_code == 0 and f"notice #{notice_id} marked relevant by wang" in marked.output
    assert cli(env, "review", str(notice_id), "assign").exit_code == 2  # assign needs a name
    assert cli(env, "review", str(notice_id), "done", "wang").exit_code == 2
    assert cli(env, "review", "999999", "done").exit_code == 2

    shown = cli(env, "show", str(notice_id)).output
    assert "干细胞" in shown and "review history" in shown and "需跟进：征求意见" in shown
    assert shown.index("wang: relevant") < shown.index("li: assigned → wang")  # latest first
    assert "Europe/Berlin" in shown  # times labelled with their zone
    assert cli(env, "show", "999999").exit_code == 2

    reviewed = json.loads(cli(env, "notices", "--review", "relevant", "--json").stdout)
    assert [row["id"] for row in reviewed] == [notice_id]


def test_log_takes_the_same_filters(env):
    rows = json.loads(cli(env, "log", "--agency", "CDE", "--relevance", "relevant", "--json", "--limit", "500").stdout)
    assert rows and {row["agency"] for row in rows} == {"CDE"} and all(row["relevant"] for row in rows)
    assert all(row["detected_at"].endswith(("+01:00", "+02:00")) for row in rows)
    raw = cli(env, "log", "--csv", "--search", "基因治疗").stdout
    assert raw.startswith("\ufeff") and "yes" in raw and "True" not in raw
    text = cli(env, "log", "--limit", "3").output
    assert "Europe/Berlin" in text and text.count("notice #") == 3


def test_subscriptions_test_backtests_over_the_archive(env, tmp_path):
    config = tmp_path / "cgt-monitor.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '[channels.mail]\nurl = "mailto://x@example.org"\n'
        + '[[subscription]]\nname = "drafts"\nchannels = ["mail"]\ndoc_types = ["draft_for_comment"]\n',
        encoding="utf-8",
    )
    result = json.loads(cli(env, "subscriptions", "test", "drafts", "--days", "2", "--json").stdout)
    # 20 notices a day, one in five a draft for comment: 4 a day
    assert result["total"] == 8 and sum(week["notices"] for week in result["weeks"]) == 8
    assert {row["doc_type"] for row in result["notices"]} == {"draft_for_comment"}
    text = cli(env, "subscriptions", "test", "drafts").output
    assert "drafts: 10 notices since" in text and "█" in text
    assert cli(env, "subscriptions", "test", "nobody").exit_code == 2
    assert cli(env, "subscriptions", "test", "drafts", "--days", "0").exit_code == 2
