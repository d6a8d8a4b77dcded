"""The evaluation set and its frozen blind split are what the benchmark says they are."""

import csv
import hashlib
import re

from tests.helpers import ROOT

DATA = ROOT / "bench" / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_blind_split_is_the_frozen_file_and_a_part_of_the_set():
    script = (ROOT / "bench" / "classify_eval.py").read_text(encoding="utf-8")
    frozen = re.search(r'^BLIND_SHA256 = "([0-9a-f]{64})"$', script, re.MULTILINE)
    assert frozen, "bench/classify_eval.py names the frozen hash"
    assert hashlib.sha256((DATA / "blind.tsv").read_bytes()).hexdigest() == frozen.group(1)
    assert frozen.group(1) in (DATA / "README.md").read_text(encoding="utf-8")
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
