"""Traditional-character spellings of taxonomy terms, as written in Hong Kong, Macao and Taiwan.

Loading OpenCC's dictionaries costs a third of a second of CPU at every start, for the same few hundred
terms each time. The spellings of the bundled taxonomy's terms are therefore kept in `traditional.json`,
written by `python -m monitor.classify.variants` and checked against the taxonomy by the tests; only terms
it lacks (a deployment's own taxonomy) load OpenCC.
"""

from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from pathlib import Path

SPELLINGS = Path(__file__).with_name("traditional.json")
TAXONOMY = Path(__file__).with_name("taxonomy.toml")


@lru_cache(maxsize=1)
def _converters() -> tuple[object, ...]:
    from opencc import OpenCC

    return tuple(OpenCC(config) for config in ("s2t", "s2hk", "s2tw"))


def converted(term: str) -> list[str]:
    """OpenCC's Traditional, Hong Kong and Taiwan spellings of a term (the term itself left out)."""
    forms = {converter.convert(term) for converter in _converters()}  # type: ignore[attr-defined]
    return sorted(forms - {term})


@lru_cache(maxsize=1)
def _kept() -> dict[str, list[str]]:
    try:
        return dict(json.loads(SPELLINGS.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}


def traditional_forms(term: str) -> list[str]:
    kept = _kept().get(term)
    return kept if kept is not None else converted(term)


def taxonomy_terms(data: dict) -> list[str]:
    """Every term of a parsed taxonomy, topics and negatives, in file order."""
    terms = [entry["term"] for topic in data.get("topics", {}).values() for entry in topic["terms"]]
    return terms + [entry["term"] for entry in data.get("negative", {}).get("terms", [])]


def computed_spellings() -> dict[str, list[str]]:
    terms = taxonomy_terms(tomllib.loads(TAXONOMY.read_text(encoding="utf-8")))
    return {term: converted(term) for term in sorted(set(terms))}


def main() -> None:
    spellings = computed_spellings()
    SPELLINGS.write_text(json.dumps(spellings, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{SPELLINGS}: {len(spellings)} terms")


if __name__ == "__main__":
    main()
