"""Precision and recall of the classifier on real published titles, and its speed on one core.

    python bench/classify_eval.py [--errors tune|blind|all|none]

`bench/data/titles.tsv` holds every labelled title; `bench/data/blind.tsv` is the frozen blind split (a
stratified half of them, chosen once before any tuning; see bench/data/README.md). The taxonomy may be adjusted
against the rest (`tune`) only. The blind file's SHA-256 is fixed below: if the file differs, the script refuses
to report blind figures at all.

`bench/data/bodies.jsonl` holds real notice texts (detail-page bodies and attachments), each labelled by whether
it treats CGT; it is frozen the same way, and each text goes through the monitor's own path for a followed
notice (`classify_item`). Its figures come just before the blind line, which is printed last.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.check.pipeline import classify_item
from monitor.classify import default_classifier
from monitor.extract.detail import MAX_BODY_CHARS
from monitor.values import Detail, Item, Level, Verdict

DATA = Path(__file__).resolve().parent / "data"
TITLES = DATA / "titles.tsv"
BLIND = DATA / "blind.tsv"
BLIND_SHA256 = "9b24d4e84012dad793a33a3c43ccfa3005349eb46644e7fbee728f9c57582221"
BODIES = DATA / "bodies.jsonl"
BODIES_SHA256 = "a21a9f092f19db4334c1a0192da8f3e65bd034840141e557841a46ca6308a62d"
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


@dataclass(frozen=True)
class Body:
    """One real notice text of the body-level set, and whether it treats CGT (read, not computed)."""

    id: str
    title: str
    url: str
    where: str  # body or attachment
    treats: bool
    text: str


@dataclass(frozen=True)
class Judged:
    body: Body
    title_decides: bool  # the title alone is relevant: the notice never reaches the body rule
    verdict: Verdict  # title and text, as the monitor judges a followed notice
    text_alone: Verdict  # the text without its title: the body rule on every record


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


def read_bodies(path: Path) -> list[Body]:
    bodies = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        bodies.append(Body(r["id"], r["title"], r["url"], r["where"], r["treats_cgt"], r["text"]))
    return bodies


def followed(title: str, body: Body) -> Item:
    """The notice as the monitor holds it after following it: body and attachment text capped as enrich caps them."""
    text = body.text[:MAX_BODY_CHARS]
    detail = Detail(body=text) if body.where == "body" else Detail(attachment_text=text)
    return Item(key=body.url, title=title, url=body.url, detail=detail)


def judge_bodies(bodies: list[Body]) -> list[Judged]:
    classifier = default_classifier()
    return [
        Judged(
            b,
            classifier.classify(b.title).relevant,
            classify_item(classifier, followed(b.title, b)),
            classify_item(classifier, followed("", b)),
        )
        for b in bodies
    ]


def pr(pairs: list[tuple[bool, bool]]) -> str:
    """(label, guess) pairs as P, R and counts."""
    tp = sum(1 for label, guess in pairs if label and guess)
    fp = sum(1 for label, guess in pairs if not label and guess)
    fn = sum(1 for label, guess in pairs if label and not guess)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return f"P={p:.3f} R={r:.3f} (tp={tp} fp={fp} fn={fn})"


def body_level() -> list[str]:
    """The body-level lines: on general titles, P/R of level body; on titles that decide, of the title level;
    on every text without its title, of the body rule alone; then each error."""
    digest = hashlib.sha256(BODIES.read_bytes()).hexdigest()
    if digest != BODIES_SHA256:
        return [
            f"body level: refusing to report: {BODIES.name} has SHA-256 {digest}, the frozen set is {BODIES_SHA256}"
        ]
    judged = judge_bodies(read_bodies(BODIES))
    general = [j for j in judged if not j.title_decides]
    titled = [j for j in judged if j.title_decides]
    lines = [
        f"body level ({BODIES.name}): n={len(judged)} treat CGT={sum(j.body.treats for j in judged)} "
        f"(bodies {sum(j.body.where == 'body' for j in judged)}, attachments {sum(j.body.where != 'body' for j in judged)})",
        f"{'general titles':>22}: n={len(general):3d} treat={sum(j.body.treats for j in general):3d}  level=body "
        + pr([(j.body.treats, j.verdict.level is Level.BODY) for j in general]),
        f"{'titles that decide':>22}: n={len(titled):3d} treat={sum(j.body.treats for j in titled):3d}  level=title "
        + pr([(j.body.treats, j.verdict.level is Level.TITLE) for j in titled]),
        f"{'text without title':>22}: n={len(judged):3d} treat={sum(j.body.treats for j in judged):3d}  level=body "
        + pr([(j.body.treats, j.text_alone.level is Level.BODY) for j in judged]),
    ]
    # the body rule runs only when the whole text's score (look-alike terms anywhere in it included) passes
    threshold = default_classifier().threshold
    reached = [j for j in judged if j.text_alone.score >= threshold and j.text_alone.topics]
    refused = [j for j in reached if j.text_alone.level is not Level.BODY]
    lines.append(
        f"{'':>22}  the body rule ran on {len(reached)} texts ({sum(j.body.treats for j in reached)} treat CGT) "
        f"and refused {len(refused)}; {len(judged) - len(reached)} stopped at the whole-text score"
    )
    errors = [
        (kind, j, v)
        for j in judged
        for kind, v, guess in (
            ("notice", j.verdict, j.verdict.relevant),
            ("text alone", j.text_alone, j.text_alone.level is Level.BODY),
        )
        if guess != j.body.treats
    ]
    lines.append("body-level errors:" if errors else "body-level errors: none")
    for kind, j, v in errors:
        what = "missed" if j.body.treats else "false alarm"
        terms = ",".join(v.terms) or "-"
        quote = f"  passage: {v.passage}" if v.passage else ""
        lines.append(f"  [{kind}] {what:11s} {j.body.id} level={v.level} score={v.score:+.1f} terms={terms}{quote}")
    return lines


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
    print()
    for text in body_level():
        print(text)

    p, r, *_ = scores(blind)
    zh_p, zh_r, *_ = scores([o for o in blind if o.row.language == "zh"])
    en_p, en_r, *_ = scores([o for o in blind if o.row.language == "en"])
    print(
        f"blind n={len(blind)} relevant={sum(1 for o in blind if o.row.label)} P={p:.3f} R={r:.3f} "
        f"P_zh={zh_p:.3f} R_zh={zh_r:.3f} P_en={en_p:.3f} R_en={en_r:.3f} titles_per_s={per_second:.0f}"
    )


if __name__ == "__main__":
    main()
