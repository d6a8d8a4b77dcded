"""The taxonomy's lists — document types (guideline, draft for comment, …) and topics — read once from
`taxonomy.toml` by the classifier, the alerts and the configuration check alike."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class DocType:
    name: str
    label: str  # shown in alerts, English and Chinese
    gloss: str  # the English of the one-line summary
    pattern: re.Pattern[str]


def taxonomy_path() -> Path:
    return Path(str(resources.files("monitor.classify").joinpath("taxonomy.toml")))


def read_doc_types(data: dict[str, object]) -> tuple[DocType, ...]:
    entries = data.get("doc_type", [])
    assert isinstance(entries, list)
    return tuple(
        DocType(
            name=entry["name"],
            label=entry.get("label", entry["name"]),
            gloss=entry.get("gloss", entry["name"]),
            pattern=re.compile(entry["pattern"]),
        )
        for entry in entries
    )


@lru_cache(maxsize=1)
def _packaged() -> dict[str, object]:
    return tomllib.loads(taxonomy_path().read_text(encoding="utf-8"))


def doc_types() -> dict[str, DocType]:
    """The packaged taxonomy's document types by name, in the order they are tried."""
    return {doc_type.name: doc_type for doc_type in read_doc_types(_packaged())}


def topics() -> list[str]:
    """The packaged taxonomy's topic names (cell_therapy, gene_therapy, …)."""
    found = _packaged().get("topics", {})
    assert isinstance(found, dict)
    return list(found)


def doc_type_label(name: str | None) -> str:
    if not name:
        return ""
    known = doc_types().get(name)
    return known.label if known else name
