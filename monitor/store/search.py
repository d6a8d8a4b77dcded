"""Full-text search over notices (title, English gloss, document number, body, attachment text).

SQLite: the FTS5 table `notices_fts` with the trigram tokenizer (migration 0007), so a Chinese word is found
inside a run of characters with no spaces. Trigram matching needs three characters; a shorter term (many
Chinese words have two) is a LIKE over the same columns. PostgreSQL: ILIKE over one search document, which
the pg_trgm index serves when the extension is there.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, literal_column, or_, select, text
from sqlalchemy.sql.expression import true

from monitor.store.models import Notice

PG_DOCUMENT = (
    "(coalesce(title, '') || ' ' || coalesce(gloss, '') || ' ' || coalesce(document_number, '') || ' ' || "
    "coalesce(body, '') || ' ' || coalesce(attachment_text, ''))"
)
_COLUMNS = (Notice.title, Notice.gloss, Notice.document_number, Notice.body, Notice.attachment_text)
_TERM = re.compile(r'"([^"]+)"|(\S+)')


def _unindexed_id() -> ColumnElement[int]:
    # `+id`: SQLite then walks the list's date index and probes the matches (a LIMIT stops it early) instead
    # of fetching every match by rowid and sorting them all, five to twenty times slower at 100,000 notices
    return literal_column("+notices.id", Integer)


def search_terms(query: str) -> list[str]:
    """Words of a query, all of which must be found; "quoted phrases" stay whole."""
    return [(quoted or bare).strip() for quoted, bare in _TERM.findall(query) if (quoted or bare).strip()]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_clause(query: str, dialect: str) -> ColumnElement[bool]:
    terms = search_terms(query)
    if not terms:
        return true()
    if dialect == "postgresql":
        document: ColumnElement[str] = literal_column(PG_DOCUMENT)
        return and_(*(document.ilike(_like_pattern(term), escape="\\") for term in terms))
    clauses: list[ColumnElement[bool]] = []
    long_terms = [term for term in terms if len(term) >= 3]
    if long_terms:
        expression = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
        matching: Select[tuple[Any]] = (
            select(literal_column("rowid"))
            .select_from(text("notices_fts"))
            .where(text("notices_fts MATCH :fts").bindparams(fts=expression))
        )
        clauses.append(_unindexed_id().in_(matching))
    for term in terms:
        if len(term) < 3:
            clauses.append(or_(*(column.like(_like_pattern(term), escape="\\") for column in _COLUMNS)))
    return and_(*clauses)


def title_contains(fragment: str, dialect: str) -> ColumnElement[bool]:
    """Notices whose title holds `fragment` (through the FTS index on SQLite when it is long enough)."""
    if dialect == "sqlite" and len(fragment) >= 3:
        expression = 'title : "' + fragment.replace('"', '""') + '"'
        matching: Select[tuple[Any]] = (
            select(literal_column("rowid"))
            .select_from(text("notices_fts"))
            .where(text("notices_fts MATCH :title_fts").bindparams(title_fts=expression))
        )
        return _unindexed_id().in_(matching)
    return Notice.title.ilike(_like_pattern(fragment), escape="\\")
