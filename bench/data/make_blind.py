"""How `blind.tsv` was drawn from `titles.tsv` (run once, before any tuning; kept to make the draw checkable).

    python bench/data/make_blind.py            # prints what it would draw
    python bench/data/make_blind.py --write    # rewrites blind.tsv (its hash is then no longer the frozen one)

Strata: (agency, language, label), agencies with fewer than 8 rows pooled as "local/other". Within a stratum
rows are ordered by SHA-256 of "blind-2026-12:" + title and the first ceil(n / 2) go to the blind split.
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("label", "title", "agency", "date", "provenance", "language")
SEED = "blind-2026-12:"
SMALL_AGENCY = 8


def draw(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    per_agency = Counter(row["agency"] for row in rows)
    strata: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        agency = row["agency"] if per_agency[row["agency"]] >= SMALL_AGENCY else "local/other"
        strata[(agency, row["language"], row["label"])].append(row)
    chosen: set[str] = set()
    for members in strata.values():
        members.sort(key=lambda row: hashlib.sha256((SEED + row["title"]).encode()).hexdigest())
        chosen.update(row["title"] for row in members[: math.ceil(len(members) / 2)])
    return [row for row in rows if row["title"] in chosen]


def main() -> None:
    with (HERE / "titles.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    blind = draw(rows)
    relevant = sum(1 for row in blind if row["label"] == "1")
    print(f"blind: {len(blind)} titles, {relevant} relevant")
    if "--write" in sys.argv:
        with (HERE / "blind.tsv").open("w", encoding="utf-8", newline="") as handle:
            handle.write("\t".join(COLUMNS) + "\n")
            for row in blind:
                handle.write("\t".join(row[c] for c in COLUMNS) + "\n")


if __name__ == "__main__":
    main()
