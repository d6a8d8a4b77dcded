"""A weighted-keyword classifier over the taxonomy file, with Aho-Corasick matching."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import ahocorasick

from monitor.values import Verdict

_ASCII_WORD = re.compile(r"[a-z0-9]")
_DEADLINE = re.compile(
    r"(?:截止|截至|反馈|前将|之前|以前)[^。；;]{0,30}?((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"|((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:前|之前|以前|止)"
)


@dataclass(frozen=True)
class _Term:
    term: str
    weight: float
    topic: str | None  # None for negative terms


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class KeywordClassifier:
    def __init__(self, taxonomy_path: Path | None = None) -> None:
        path = taxonomy_path or Path(str(resources.files("monitor.classify").joinpath("taxonomy.toml")))
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        self.threshold = float(data.get("threshold", 1.0))
        self.glosses = {name: topic.get("gloss", name) for name, topic in data.get("topics", {}).items()}
        self._automaton = ahocorasick.Automaton()
        for name, topic in data.get("topics", {}).items():
            for entry in topic["terms"]:
                self._add(_Term(entry["term"], float(entry["weight"]), name))
        for entry in data.get("negative", {}).get("terms", []):
            self._add(_Term(entry["term"], float(entry["weight"]), None))
        self._automaton.make_automaton()
        self._doc_types = [(d["name"], re.compile(d["pattern"])) for d in data.get("doc_type", [])]

    def _add(self, term: _Term) -> None:
        self._automaton.add_word(normalise(term.term), term)

    def _matches(self, text: str) -> list[_Term]:
        normalised = normalise(text)
        found: list[_Term] = []
        for end, term in self._automaton.iter_long(normalised):
            key = normalise(term.term)
            start = end - len(key) + 1
            if _ASCII_WORD.match(key[0]) and start > 0 and _ASCII_WORD.match(normalised[start - 1]):
                continue  # "til" inside "until"
            if _ASCII_WORD.match(key[-1]) and end + 1 < len(normalised) and _ASCII_WORD.match(normalised[end + 1]):
                continue
            found.append(term)
        return found

    def doc_type(self, title: str, body: str = "") -> str | None:
        for text in (title, body[:2000]):
            for name, pattern in self._doc_types:
                if pattern.search(text):
                    return name
        return None

    def classify(self, title: str, body: str = "") -> Verdict:
        matches = self._matches(title) + (self._matches(body) if body else [])
        score = sum(term.weight for term in matches)
        terms = tuple(dict.fromkeys(term.term for term in matches))
        topics = tuple(dict.fromkeys(term.topic for term in matches if term.topic and term.weight > 0))
        doc_type = self.doc_type(title, body)
        deadline = find_deadline(body or title) if doc_type == "draft_for_comment" else None
        return Verdict(
            relevant=score >= self.threshold and bool(topics),
            score=score,
            terms=terms,
            topics=topics,
            doc_type=doc_type,
            deadline=deadline,
        )


def find_deadline(text: str) -> dt.date | None:
    for match in _DEADLINE.finditer(text):
        year, month, day = (g for g in match.groups() if g is not None)
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
    return None


@lru_cache(maxsize=1)
def default_classifier() -> KeywordClassifier:
    return KeywordClassifier()
