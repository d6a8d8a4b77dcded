"""Text as the classifier sees it, for titles and terms alike: NFKC (full-width letters and digits to ASCII),
lower case, hyphens, dashes and slashes as spaces, and each English word reduced to one form — plurals to the
singular ("cells", "therapies", "viruses") and the few derived forms that name the same thing ("cellular" is
"cell", "genetic" and "genetically" are "gene"). A taxonomy term is normalised the same way when the automaton is
built, so "cell-based", "Cell Based" and "cell based" are one term, and "Gene-Modified Cellular Therapy Products"
reads as "gene modified cell therapy product"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[-‐‑‒–—―_/]")
_WORD = re.compile(r"[a-z]+")
# Where NFKC changes CJK-era text: Latin-1 signs, general punctuation and symbols, Kangxi radicals, the
# ideographic space, enclosed and compatibility forms, full-width ASCII. Runs of these are normalised on
# their own (a title's few full-width brackets cost little); anything left over gets the full pass.
_COMPATIBLE = re.compile(
    "[\u00a0-\u00bf\u2000-\u2bff\u2e80-\u2fdf\u3000\u3200-\u33ff\uf900-\ufaff\ufe10-\ufe6f\uff00-\uffef]+"
)
_SPACES = re.compile(r" {2,}")

# Derived forms that mean the same thing for matching, and words whose final "s" is not a plural.
_FORMS = {
    "cellular": "cell",
    "genetic": "gene",
    "genetically": "gene",
    "genes": "gene",
}
_NOT_PLURAL = ("ss", "us", "is", "os")


@lru_cache(maxsize=16384)
def word_form(word: str) -> str:
    """The one form an English word (lower case, letters only) is matched in."""
    if word in _FORMS:
        return _FORMS[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # therapies, studies
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "uses")):
        return word[:-2]  # processes, viruses, lentiviruses
    if len(word) > 3 and word.endswith("s") and not word.endswith(_NOT_PLURAL):
        return word[:-1]  # cells, products, vectors, guidelines
    return word


def _word(match: re.Match[str]) -> str:
    return word_form(match.group())


@lru_cache(maxsize=4096)
def _nfkc(run: str) -> str:
    return unicodedata.normalize("NFKC", run)


def _compatible(match: re.Match[str]) -> str:
    return _nfkc(match.group())


def nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, faster on the usual title (NFKC of the pieces, then of the whole,
    is NFKC of the whole)."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = _COMPATIBLE.sub(_compatible, text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def normalise(text: str) -> str:
    text = _SEPARATORS.sub(" ", nfkc(text).lower())
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return _WORD.sub(_word, text)
