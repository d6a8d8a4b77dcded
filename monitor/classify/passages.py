"""Whether a notice's text *treats* CGT, and the passage to quote: the body-level rule.

A general title (a State Council plan, a city's industry measures, an answer to deputies) says nothing; the
text may. One passing mention in a long plan is not a treatment, so the text is cut into segments (sentences,
and the numbered items official documents are built of: 第三章, 一、, （二）, 3.) and it treats CGT when

- a **heading** names it: a numbered segment whose headline (the words up to the first punctuation, at most
  `heading_chars` long) scores the threshold with a topic term ("（三）加快细胞和基因治疗产业发展。"), or
- it **recurs**: at least `min_segments` segments each score the threshold with a topic term, or
- it is the **subject** of a short text: such segments are at least `min_share` of all its segments.

Segments are scored at full term weight, negative (look-alike) terms included, each term once per segment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# A sentence ends at these; a list item starts at a numbering marker after a space, a stop or the start.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+(?=[A-Z])")
_NUMERAL = "一二三四五六七八九十百零〇"
_MARKER = re.compile(
    rf"(?:^|(?<=[\s。；;：:！？!?]))"
    rf"(?:第[{_NUMERAL}\d]{{1,4}}[章节部分篇条]\s*|[{_NUMERAL}]{{1,3}}、|[（(][{_NUMERAL}\d]{{1,3}}[）)]|\d{{1,2}}[.．、](?!\d))"
)
_SPACES = re.compile(r"\s+")  # the texts come cleaned by the extractors; PDF text keeps its line breaks
_HEADLINE_END = re.compile(r"[，,。；;：:！？!?]")
MAX_SEGMENT_CHARS = 400  # an unpunctuated run (a table, a list) is cut, so it cannot count as one sentence
QUOTE_CHARS = 120


@dataclass(frozen=True)
class BodyRule:
    heading_chars: int = 40
    min_segments: int = 3
    min_share: float = 0.2


@dataclass(frozen=True)
class Segment:
    text: str  # cleaned
    where: str  # body, attachment
    headline: str | None  # the words after a numbering marker, when short enough to be a heading


@dataclass(frozen=True)
class Scored:
    segment: Segment
    score: float
    term: str | None  # the heaviest positive term, where the quote is centred
    heading: bool  # the headline itself names CGT


def segments(text: str, where: str, rule: BodyRule) -> list[Segment]:
    found: list[Segment] = []
    for sentence in _SENTENCE_END.split(_SPACES.sub(" ", text).strip()):
        starts = sorted({0, *(m.start() for m in _MARKER.finditer(sentence))})
        for start, end in zip(starts, [*starts[1:], len(sentence)], strict=True):
            piece = sentence[start:end].strip()
            for cut in range(0, len(piece), MAX_SEGMENT_CHARS):
                part = piece[cut : cut + MAX_SEGMENT_CHARS]
                if part:
                    found.append(Segment(part, where, _headline(part, rule) if cut == 0 else None))
    return found


def _headline(segment: str, rule: BodyRule) -> str | None:
    marker = _MARKER.match(segment)
    if marker is None:
        return None
    rest = segment[marker.end() :].strip()
    headline = _HEADLINE_END.split(rest, maxsplit=1)[0].strip()
    return headline if 0 < len(headline) <= rule.heading_chars else None


# a text's terms: (term as written, weight, topic or None for a look-alike), each once
Terms = Callable[[str], list[tuple[str, float, str | None]]]


def _score(text: str, terms: Terms, threshold: float) -> tuple[float, str | None]:
    """The segment's score, and its heaviest positive term, or (score, None) when it is not about CGT."""
    found = terms(text)
    score = sum(weight for _, weight, _ in found)
    positive = [(weight, term) for term, weight, topic in found if topic is not None and weight > 0]
    if score < threshold or not positive:
        return score, None
    return score, max(positive, key=lambda pair: pair[0])[1]


@dataclass(frozen=True)
class Judgement:
    treats: bool
    passage: str | None


def judge(texts: Iterable[tuple[str, str]], terms: Terms, threshold: float, rule: BodyRule) -> Judgement:
    """Does the text — (where, text) pairs: body, attachment — treat CGT, and which passage shows it."""
    all_segments = [segment for where, text in texts if text for segment in segments(text, where, rule)]
    scored: list[Scored] = []
    for index, segment in enumerate(all_segments):
        score, term = _score(segment.text, terms, threshold)
        if term is None:
            continue
        heading = segment.headline is not None and _score(segment.headline, terms, threshold)[1] is not None
        if heading:  # quoted with the start of what follows it
            following = _join(s.text for s in all_segments[index : index + 3] if s.where == segment.where)
            segment = Segment(following, segment.where, segment.headline)
        scored.append(Scored(segment, score, term, heading))
    treats = bool(scored) and (
        any(s.heading for s in scored)
        or len(scored) >= rule.min_segments
        or len(scored) >= rule.min_share * len(all_segments)
    )
    if not treats:
        return Judgement(False, None)
    strongest = max(scored, key=lambda s: (s.heading, s.score))  # the first of equals: max keeps the first
    return Judgement(True, quote(strongest))


def _join(texts: Iterable[str]) -> str:
    """Segments back into text: Chinese sentences run on, English ones are spaced."""
    joined = ""
    for text in texts:
        joined += text if not joined or not joined[-1].isascii() else " " + text
    return joined


def quote(scored: Scored) -> str:
    """The segment, or ~QUOTE_CHARS around its heaviest term (the start, for a heading), cut with "…"."""
    text = scored.segment.text
    if len(text) <= QUOTE_CHARS:
        return text
    if scored.heading:
        return text[: QUOTE_CHARS - 1].rstrip() + "…"
    at = text.casefold().find((scored.term or "").casefold())
    start = max(0, min(at - QUOTE_CHARS // 3, len(text) - QUOTE_CHARS)) if at >= 0 else 0
    piece = text[start : start + QUOTE_CHARS].strip()
    return ("…" if start > 0 else "") + piece + ("…" if start + QUOTE_CHARS < len(text) else "")
