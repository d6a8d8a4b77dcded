"""Precision and recall of the classifier on real published titles, and its speed on one core.

    python bench/classify_eval.py [--errors tune|blind|all|none]

`bench/data/titles.tsv` holds every labelled title; `bench/data/blind.tsv` is the frozen blind split (a
stratified half of them, chosen once before any tuning; see bench/data/README.md). The taxonomy may be adjusted
against the rest (`tune`) only. The blind file's SHA-256 is fixed below: if the file differs, the script refuses
to report blind figures at all. The blind line is printed last.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.classify import default_classifier

DATA = Path(__file__).resolve().parent / "data"
TITLES = DATA / "titles.tsv"
BLIND = DATA / "blind.tsv"
BLIND_SHA256 = "9b24d4e84012dad793a33a3c43ccfa3005349eb46644e7fbee728f9c57582221"
SMALL_AGENCY = 8  # agencies with fewer rows are reported together, as in the split's strata


@dataclass(frozen=True)
class Row:
    label: bool
    title: str
    agency: str
    language: str


@dataclass(frozen=True)
class Outcome:
    row: Row
    guess: bool
    score: float
    terms: tuple[str, ...]


def read(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Row(r["label"] == "1", r["title"], r["agency"], r["language"])
            for r in csv.DictReader(handle, delimiter="\t")
        ]


def scores(outcomes: list[Outcome]) -> tuple[float, float, int, int, int]:
    tp = sum(1 for o in outcomes if o.row.label and o.guess)
    fp = sum(1 for o in outcomes if not o.row.label and o.guess)
    fn = sum(1 for o in outcomes if o.row.label and not o.guess)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def line(name: str, outcomes: list[Outcome]) -> str:
    p, r, tp, fp, fn = scores(outcomes)
    relevant = sum(1 for o in outcomes if o.row.label)
    return f"{name:>22}: n={len(outcomes):4d} relevant={relevant:3d}  P={p:.3f}  R={r:.3f}  (tp={tp} fp={fp} fn={fn})"


def report(name: str, outcomes: list[Outcome], counts: dict[str, int], show_errors: bool) -> None:
    """`counts`: rows per agency in the whole set, which decides (as in the split) who is reported apart."""
    print(f"\n== {name} ==")
    print(line("all", outcomes))
    for language in ("zh", "en"):
        print(line(f"language {language}", [o for o in outcomes if o.row.language == language]))
    by_agency: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_agency[o.row.agency if counts[o.row.agency] >= SMALL_AGENCY else "local/other"].append(o)
    for agency in sorted(by_agency, key=lambda a: (-len(by_agency[a]), a)):
        print(line(f"agency {agency}", by_agency[agency]))
    errors = [o for o in outcomes if o.row.label != o.guess]
    if show_errors and errors:
        print(f"confusion list ({name}):")
        for o in errors:
            kind = "missed" if o.row.label else "false alarm"
            terms = ",".join(o.terms) or "-"
            print(
                f"  [{name}] {kind:11s} {o.row.language} {o.row.agency:8s} score={o.score:+.1f} terms={terms}  {o.row.title}"
            )


def speed(titles: list[str]) -> float:
    classifier = default_classifier()
    repeat = max(1, 200_000 // len(titles))
    start = time.process_time()
    for _ in range(repeat):
        for title in titles:
            classifier.classify(title)
    return repeat * len(titles) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", choices=["tune", "blind", "all", "none"], default="all")
    args = parser.parse_args()
    digest = hashlib.sha256(BLIND.read_bytes()).hexdigest()
    if digest != BLIND_SHA256:
        sys.exit(f"refusing to report: {BLIND.name} has SHA-256 {digest}, the frozen split is {BLIND_SHA256}")
    rows = read(TITLES)
    blind_rows = read(BLIND)
    known = {row.title: row for row in rows}
    if any(known.get(row.title) != row for row in blind_rows):
        sys.exit(f"refusing to report: {BLIND.name} is not a subset of {TITLES.name}")
    blind_titles = {row.title for row in blind_rows}

    classifier = default_classifier()
    outcomes = []
    for row in rows:
        verdict = classifier.classify(row.title)
        outcomes.append(Outcome(row, verdict.relevant, verdict.score, verdict.terms))
    tune = [o for o in outcomes if o.row.title not in blind_titles]
    blind = [o for o in outcomes if o.row.title in blind_titles]
    relevant = sum(1 for row in rows if row.label)
    english = sum(1 for row in rows if row.language == "en")
    print(
        f"titles: {len(rows)} ({relevant} relevant, {english} in English); blind split {len(blind)}, tune {len(tune)}"
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.agency] += 1
    report("tune", tune, counts, args.errors in ("tune", "all"))
    per_second = speed([row.title for row in rows])
    print(f"\nspeed: {per_second:,.0f} titles/s on one core")
    report("blind", blind, counts, args.errors in ("blind", "all"))

    p, r, *_ = scores(blind)
    zh_p, zh_r, *_ = scores([o for o in blind if o.row.language == "zh"])
    en_p, en_r, *_ = scores([o for o in blind if o.row.language == "en"])
    print(
        f"blind n={len(blind)} relevant={sum(1 for o in blind if o.row.label)} P={p:.3f} R={r:.3f} "
        f"P_zh={zh_p:.3f} R_zh={zh_r:.3f} P_en={en_p:.3f} R_en={en_r:.3f} titles_per_s={per_second:.0f}"
    )


if __name__ == "__main__":
    main()
