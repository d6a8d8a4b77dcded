"""Precision, recall and F1 of the classifier on real published titles, and its speed on one core.

    python bench/classify_eval.py [--data bench/data/titles.tsv] [--show-errors]

The set is split by a stable hash of each title: `tune` (70 %) is what the taxonomy may be adjusted
against; `held-out` (30 %) is never looked at while tuning, and its figures are the honest ones.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.classify import default_classifier

DATA = Path(__file__).resolve().parent / "data" / "titles.tsv"


def split_of(title: str) -> str:
    return "held-out" if int(hashlib.sha256(title.encode()).hexdigest(), 16) % 10 < 3 else "tune"


def scores(rows: list[tuple[bool, bool]]) -> tuple[float, float, float, int, int, int]:
    tp = sum(1 for truth, guess in rows if truth and guess)
    fp = sum(1 for truth, guess in rows if not truth and guess)
    fn = sum(1 for truth, guess in rows if truth and not guess)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show-errors", choices=["tune", "held-out", "all"], default="all")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t")]
    classifier = default_classifier()
    results: dict[str, list[tuple[bool, bool]]] = {"tune": [], "held-out": []}
    errors: list[tuple[str, str, str, float, tuple[str, ...]]] = []
    for row in rows:
        truth = row["label"] == "1"
        verdict = classifier.classify(row["title"])
        part = split_of(row["title"])
        results[part].append((truth, verdict.relevant))
        if truth != verdict.relevant:
            kind = "missed" if truth else "false alarm"
            errors.append((part, kind, row["title"], verdict.score, verdict.terms))
    relevant = sum(1 for row in rows if row["label"] == "1")
    print(f"titles: {len(rows)} ({relevant} relevant, {len(rows) - relevant} not)")
    for part, pairs in [*results.items(), ("all", results["tune"] + results["held-out"])]:
        p, r, f, tp, fp, fn = scores(pairs)
        print(f"{part:>8}: n={len(pairs):4d}  precision={p:.3f}  recall={r:.3f}  F1={f:.3f}  (tp={tp} fp={fp} fn={fn})")
    shown = [e for e in errors if args.show_errors in ("all", e[0])]
    if shown:
        print("\nmisclassified:")
        for part, kind, title, score, terms in shown:
            print(f"  [{part}] {kind:11s} score={score:+.1f} terms={','.join(terms) or '-'}  {title}")

    titles = [row["title"] for row in rows]
    repeat = max(1, 200_000 // len(titles))
    start = time.process_time()
    for _ in range(repeat):
        for title in titles:
            classifier.classify(title)
    elapsed = time.process_time() - start
    print(f"\nspeed: {repeat * len(titles) / elapsed:,.0f} titles/s on one core ({repeat * len(titles)} titles)")


if __name__ == "__main__":
    main()
