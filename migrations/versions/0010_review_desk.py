"""review desk: reviewers' marks on notices, full-text search over notices, indexes for the notice list

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Search on SQLite is an external-content FTS5 table with the trigram tokenizer (any substring of three or more
characters, Chinese included), kept in step with `notices` by triggers. On PostgreSQL it is ILIKE over one
search document, indexed with pg_trgm where the extension can be created (without it, search still works,
unindexed). Numbered after 0008 and 0009 (the start-up check takes the highest file as the head); 0008's change to
`notices` (dropping `position`) may recreate the table on SQLite and would drop these triggers with it; a later
migration that recreates `notices` must recreate them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# the same expression as monitor.store.search.PG_DOCUMENT: PostgreSQL uses the index only for an identical one
PG_DOCUMENT = (
    "(coalesce(title, '') || ' ' || coalesce(gloss, '') || ' ' || coalesce(document_number, '') || ' ' || "
    "coalesce(body, '') || ' ' || coalesce(attachment_text, ''))"
)
_FTS_COLUMNS = "title, gloss, document_number, body, attachment_text"


def _sqlite_search() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE notices_fts USING fts5({_FTS_COLUMNS}, "
        "content='notices', content_rowid='id', tokenize='trigram')"
    )
    new = ", ".join(f"new.{c.strip()}" for c in _FTS_COLUMNS.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in _FTS_COLUMNS.split(","))
    op.execute(
        f"CREATE TRIGGER notices_fts_insert AFTER INSERT ON notices BEGIN "
        f"INSERT INTO notices_fts(rowid, {_FTS_COLUMNS}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER notices_fts_delete AFTER DELETE ON notices BEGIN "
        f"INSERT INTO notices_fts(notices_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.id, {old}); END"
    )
    # only when searched text changes: every check touches last_seen_at of every listed notice
    op.execute(
        f"CREATE TRIGGER notices_fts_update AFTER UPDATE OF {_FTS_COLUMNS} ON notices BEGIN "
        f"INSERT INTO notices_fts(notices_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO notices_fts(rowid, {_FTS_COLUMNS}) VALUES (new.id, {new}); END"
    )
    op.execute("INSERT INTO notices_fts(notices_fts) VALUES ('rebuild')")


def _postgresql_search() -> None:
    bind = op.get_bind()
    try:
        # a savepoint: without the privilege to create the extension the upgrade goes on, search unindexed
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    op.execute(f"CREATE INDEX ix_notices_search_trgm ON notices USING gin ({PG_DOCUMENT} gin_trgm_ops)")


def upgrade() -> None:
    op.create_table(
        "review_marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("notices.id"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_marks_notice", "review_marks", ["notice_id", "id"])
    # the notice list: newest first, and whether a notice was ever alerted as new
    op.create_index("ix_notices_published", "notices", ["published", "id"])
    op.create_index("ix_changes_notice", "changes", ["notice_id", "kind"])
    op.create_index("ix_runs_finished", "runs", ["finished_at"])  # the poll log, newest first
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()
    else:
        _postgresql_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS notices_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS notices_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_notices_search_trgm")
    op.drop_index("ix_runs_finished", table_name="runs")
    op.drop_index("ix_changes_notice", table_name="changes")
    op.drop_index("ix_notices_published", table_name="notices")
    op.drop_index("ix_review_marks_notice", table_name="review_marks")
    op.drop_table("review_marks")
