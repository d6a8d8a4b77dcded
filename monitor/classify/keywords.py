"""A weighted-keyword classifier over the taxonomy file: Aho-Corasick matching, one pass per text."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

from monitor.classify.details import find_contact, find_deadline, find_document_number
from monitor.classify.taxonomy import read_doc_types
from monitor.classify.taxonomy import taxonomy_path as default_taxonomy
from monitor.values import Match, Verdict

_ASCII_WORD = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class _Term:
    term: str  # as written in the taxonomy (Simplified), reported to users
    form: str  # the normalised form this automaton entry matches (maybe Traditional)
    weight: float
    topic: str | None  # None for negative terms


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def _converters() -> tuple[object, ...]:
    from opencc import OpenCC  # loading its dictionaries is slow: once per process

    return tuple(OpenCC(config) for config in ("s2t", "s2hk", "s2tw"))


def _traditional_forms(term: str) -> set[str]:
    """Traditional-character spellings used in Hong Kong, Macao and Taiwan, computed once at load."""
    return {converter.convert(term) for converter in _converters()}  # type: ignore[attr-defined]


class KeywordClassifier:
    def __init__(self, taxonomy_path: Path | None = None) -> None:
        path = taxonomy_path or default_taxonomy()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        self.threshold = float(data.get("threshold", 1.0))
        self.body_factor = float(data.get("body_factor", 0.5))
        self.glosses = {name: topic.get("gloss", name) for name, topic in data.get("topics", {}).items()}
        self._automaton = ahocorasick.Automaton()
        entries = [(e, name) for name, topic in data.get("topics", {}).items() for e in topic["terms"]]
        entries += [(e, None) for e in data.get("negative", {}).get("terms", [])]
        for entry, topic in entries:
            term = entry["term"]
            for form in {normalise(term)} | {normalise(t) for t in _traditional_forms(term)}:
                self._automaton.add_word(form, _Term(term, form, float(entry["weight"]), topic))
        self._automaton.make_automaton()
        self._doc_types = read_doc_types(data)

    def _matches(self, text: str) -> list[_Term]:
        normalised = normalise(text)
        found: list[_Term] = []
        for end, term in self._automaton.iter_long(normalised):
            start = end - len(term.form) + 1
            if _ASCII_WORD.match(term.form[0]) and start > 0 and _ASCII_WORD.match(normalised[start - 1]):
                continue  # "til" inside "until"
            last = end + 1
            if _ASCII_WORD.match(term.form[-1]) and last < len(normalised) and _ASCII_WORD.match(normalised[last]):
                continue
            found.append(term)
        return found

    def doc_type(self, title: str, body: str = "") -> str | None:
        for text in (title, body[:2000]):
            for doc_type in self._doc_types:
                if doc_type.pattern.search(text):
                    return doc_type.name
        return None

    def classify(self, title: str, body: str = "", attachments: str = "") -> Verdict:
        """Judge a notice on its title and, where fetched, its detail page body and attachment text."""
        score = 0.0
        matches: dict[tuple[str, str], Match] = {}
        for where, text, factor in (
            ("title", title, 1.0),
            ("body", body, self.body_factor),
            ("attachment", attachments, self.body_factor),
        ):
            if not text:
                continue
            seen_here: set[str] = set()
            for term in self._matches(text):
                if term.term in seen_here:
                    continue  # a term repeated through a long body counts once per place
                seen_here.add(term.term)
                score += term.weight * factor
                matches[(term.term, where)] = Match(term.term, where, term.topic, term.weight)
        topics = tuple(dict.fromkeys(m.topic for m in matches.values() if m.topic and m.weight > 0))
        doc_type = self.doc_type(title, body)
        context = "\n".join(part for part in (title, body, attachments) if part)
        deadline = find_deadline(context) if doc_type == "draft_for_comment" else None
        relevant = score >= self.threshold and bool(topics)
        return Verdict(
            relevant=relevant,
            score=score,
            terms=tuple(dict.fromkeys(m.term for m in matches.values())),
            topics=topics,
            doc_type=doc_type,
            deadline=deadline,
            matches=tuple(matches.values()),
            gloss=self.gloss(topics, doc_type, deadline) if topics else "",
            document_number=find_document_number(context),
            contact=find_contact(body) if doc_type == "draft_for_comment" else None,
        )

    def gloss(self, topics: tuple[str, ...], doc_type: str | None, deadline: dt.date | None) -> str:
        """One line of English for readers who do not read Chinese."""
        subject = "; ".join(self.glosses[t] for t in topics)
        kind = next((d.gloss for d in self._doc_types if d.name == doc_type), "notice")
        line = f"{kind[:1].upper()}{kind[1:]} on {subject}"
        return line + (f"; comments due {deadline.isoformat()}" if deadline else "")


@lru_cache(maxsize=1)
def default_classifier() -> KeywordClassifier:
    return KeywordClassifier()
