"""`sources list`: what each source rests on, in the table and as JSON, filterable by evidence."""

import json

from tests.helpers import catalogue, run_cli


def test_sources_list_json_gives_every_source_with_its_evidence(tmp_path):
    result = run_cli("--data-dir", str(tmp_path), "sources", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    shipped = catalogue()
    assert [row["name"] for row in rows] == list(shipped)
    for row in rows:
        source = shipped[row["name"]]
        assert (row["evidence"], row["evidence_note"]) == (source.evidence, source.evidence_note)
        assert row["url"] == source.url and row["language"] == source.language
        assert row["health"] is None  # a new database: never checked


def test_sources_list_filters_by_evidence_and_shows_it_in_the_table(tmp_path):
    result = run_cli("--data-dir", str(tmp_path), "sources", "list", "--json", "--evidence", "recorded")
    rows = json.loads(result.stdout)
    assert rows and {row["evidence"] for row in rows} == {"recorded"}
    assert {row["name"] for row in rows} == {s.name for s in catalogue().values() if s.evidence == "recorded"}
    table = run_cli("--data-dir", str(tmp_path), "sources", "list", "--evidence", "unverified")
    assert table.returncode == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if "tj-scjg-tjyj" in line]
    assert lines and "unverified" in lines[0]
    assert "nmpa-ggtg" not in table.stdout
    refused = run_cli("--data-dir", str(tmp_path), "sources", "list", "--evidence", "verified")
    assert refused.returncode == 2 and "recorded, reference, unverified" in refused.stderr
