"""A weighted-keyword classifier over the taxonomy file: Aho-Corasick matching, one pass per text."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

from monitor.classify.details import find_contact, find_deadline, find_document_number
from monitor.classify.normalise import normalise
from monitor.classify.taxonomy import read_doc_types
from monitor.classify.taxonomy import taxonomy_path as default_taxonomy
from monitor.classify.variants import traditional_forms
from monitor.values import Match, Verdict

_ASCII_WORD = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class _Term:
    term: str  # as written in the taxonomy (Simplified), reported to users
    form: str  # the normalised form this automaton entry matches (maybe Traditional)
    weight: float
    topic: str | None  # None for negative terms
    word_start: bool = False  # the form starts with an ASCII letter or digit: the text must not go on before it
    word_end: bool = False  # likewise at its end ("til" is not in "until")


_LITERAL = re.compile(r"(?:\\b)?([^\\\\.^$*+?{}\[\]()|]+)(?:\\b)?")


def _alternatives(pattern: str) -> list[str]:
    """A pattern's top-level alternatives ("a|b(c|d)" is "a", "b(c|d)")."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class _DocTypeFinder:
    """Which of the ordered document-type patterns is the first to match a text anywhere. Plain-text
    alternatives (optionally between \\b) are found together in one Aho-Corasick pass; the few that are real
    regular expressions are searched only when no earlier type has already matched."""

    def __init__(self, patterns: list[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        literals: dict[str, list[tuple[int, bool, bool]]] = {}
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
        for index, pattern in enumerate(patterns):
            for alternative in _alternatives(pattern):
                literal = _LITERAL.fullmatch(alternative)
                if literal:
                    text = literal.group(1)
                    literals.setdefault(text, []).append(
                        (index, alternative.startswith("\\b"), alternative.endswith("\\b"))
                    )
                else:
                    self._regexes.append((index, re.compile(alternative)))
        for text, owners in literals.items():
            self._automaton.add_word(text, (len(text), tuple(owners)))
        if literals:
            self._automaton.make_automaton()
        self._has_literals = bool(literals)

    def first(self, text: str) -> int | None:
        best: int | None = None
        if self._has_literals:
            for end, (length, owners) in self._automaton.iter(text):
                start = end - length + 1
                for index, bounded_start, bounded_end in owners:
                    if best is not None and index >= best:
                        continue
                    if bounded_start and start > 0 and _word_char(text[start - 1]):
                        continue
                    if bounded_end and end + 1 < len(text) and _word_char(text[end + 1]):
                        continue
                    best = index
        for index, regex in self._regexes:
            if best is not None and index >= best:
                break
            if regex.search(text):
                best = index
                break
        return best


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
        forms: set[str] = set()
        for entry, topic in entries:
            term = entry["term"]
            for form in sorted({normalise(term)} | {normalise(t) for t in traditional_forms(term)}):
                if form in forms:
                    continue  # two spellings with one normalised form ("CAR-T", "car t"): the first listed wins
                forms.add(form)
                bounds = bool(_ASCII_WORD.match(form[0])), bool(_ASCII_WORD.match(form[-1]))
                self._automaton.add_word(form, _Term(term, form, float(entry["weight"]), topic, *bounds))
        self._automaton.make_automaton()
        self._doc_types = read_doc_types(data)
        self._doc_type_finder = _DocTypeFinder([d.pattern.pattern for d in self._doc_types])

    def _matches(self, normalised: str) -> list[_Term]:
        found: list[_Term] = []
        for end, term in self._automaton.iter_long(normalised):
            if term.word_start:
                start = end - len(term.form) + 1
                if start > 0 and _ASCII_WORD.match(normalised[start - 1]):
                    continue  # "til" inside "until"
            if term.word_end and end + 1 < len(normalised) and _ASCII_WORD.match(normalised[end + 1]):
                continue
            found.append(term)
        return found

    def doc_type(self, title: str, body: str = "") -> str | None:
        return self._doc_type(normalise(title), body)

    def _doc_type(self, normalised_title: str, body: str) -> str | None:
        for text in (normalised_title, normalise(body[:2000]) if body else ""):
            index = self._doc_type_finder.first(text)
            if index is not None:
                return self._doc_types[index].name
        return None

    def classify(self, title: str, body: str = "", attachments: str = "") -> Verdict:
        """Judge a notice on its title and, where fetched, its detail page body and attachment text."""
        score = 0.0
        matches: dict[tuple[str, str], Match] = {}
        normalised_title = normalise(title)
        for where, text, factor in (
            ("title", title, 1.0),
            ("body", body, self.body_factor),
            ("attachment", attachments, self.body_factor),
        ):
            if not text:
                continue
            seen_here: set[str] = set()
            for term in self._matches(normalised_title if where == "title" else normalise(text)):
                if term.term in seen_here:
                    continue  # a term repeated through a long body counts once per place
                seen_here.add(term.term)
                score += term.weight * factor
                matches[(term.term, where)] = Match(term.term, where, term.topic, term.weight)
        topics = tuple(dict.fromkeys(m.topic for m in matches.values() if m.topic and m.weight > 0))
        doc_type = self._doc_type(normalised_title, body)
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
