"""The evaluation sets — the titles with their frozen blind split, and the frozen body-level set — are what the
benchmark says they are."""

import csv
import hashlib
import importlib.util
import json
import re
import sys

from tests.helpers import ROOT

DATA = ROOT / "bench" / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def assert_frozen(constant: str, name: str) -> None:
    """The file hashes to the SHA-256 the benchmark holds, and the data README records that hash."""
    script = (ROOT / "bench" / "classify_eval.py").read_text(encoding="utf-8")
    frozen = re.search(rf'^{constant} = "([0-9a-f]{{64}})"$', script, re.MULTILINE)
    assert frozen, f"bench/classify_eval.py names the frozen hash of {name}"
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == frozen.group(1)
    assert frozen.group(1) in (DATA / "README.md").read_text(encoding="utf-8")


def test_blind_split_is_the_frozen_file_and_a_part_of_the_set():
    assert_frozen("BLIND_SHA256", "blind.tsv")
    titles = {row["title"]: row for row in rows("titles.tsv")}
    blind = rows("blind.tsv")
    assert all(titles[row["title"]] == row for row in blind)
    assert len(blind) >= 300 and sum(row["label"] == "1" for row in blind) >= 80
    assert {row["language"] for row in blind} == {"zh", "en"}


def test_set_rows_are_unique_labelled_and_sourced():
    table = rows("titles.tsv")
    assert len({row["title"] for row in table}) == len(table) >= 1000
    assert all(row["label"] in {"0", "1"} and row["provenance"] and row["agency"] for row in table)
    assert all(
        row["language"] == ("zh" if any("\u3400" <= c <= "\u9fff" for c in row["title"]) else "en") for row in table
    )
    assert sum(row["label"] == "1" for row in table) >= 150
    assert sum(row["language"] == "en" for row in table) >= 100


def test_body_set_is_the_frozen_file_and_every_text_is_sourced_and_labelled():
    assert_frozen("BODIES_SHA256", "bodies.jsonl")
    records = [json.loads(line) for line in (DATA / "bodies.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 15 and len({r["id"] for r in records}) == len(records)
    assert {r["treats_cgt"] for r in records} == {True, False}
    for r in records:
        assert isinstance(r["treats_cgt"], bool) and r["why"], r["id"]
        assert all(r["provenance"].get(field) for field in ("from", "read", "how")), r["id"]
        assert r["url"].startswith(("http://", "https://")) and r["text"].strip(), r["id"]
        assert r["where"] in {"body", "attachment"} and isinstance(r["excerpt"], bool), r["id"]


def test_the_benchmark_refuses_body_figures_on_another_file(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("classify_eval", ROOT / "bench" / "classify_eval.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "classify_eval", bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    edited = tmp_path / "bodies.jsonl"
    edited.write_bytes((DATA / "bodies.jsonl").read_bytes().replace(b'"treats_cgt": false', b'"treats_cgt": true', 1))
    monkeypatch.setattr(bench, "BODIES", edited)
    (line,) = bench.body_level()
    assert line.startswith("body level: refusing to report")
