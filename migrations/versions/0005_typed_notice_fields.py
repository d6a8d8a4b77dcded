"""typed notice fields: what was read from the detail page and the verdict's facts, in their own columns

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("is_file", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("detail_published", sa.Date(), nullable=True),
        sa.Column("detail_error", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("attachment_text", sa.Text(), nullable=True),
        sa.Column("matches", sa.JSON(), nullable=True),
        sa.Column("gloss", sa.Text(), nullable=True),
        sa.Column("document_number", sa.String(length=128), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
    )


notices = sa.table(
    "notices",
    sa.column("id", sa.Integer()),
    sa.column("extra", sa.JSON()),
    *(sa.column(c.name, c.type) for c in _columns()),
)


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _text(value: object) -> str | None:
    """Text for a TEXT column: PostgreSQL refuses NUL there (a JSON column took it escaped)."""
    return None if value is None else str(value).replace("\x00", "")


def _json(value: object) -> object:
    return value if value else sa.null()  # SQL NULL, not the JSON literal null


_FIELDS = {  # typed column -> its key in the old `extra`
    "body": "body",
    "detail_error": "detail_error",
    "attachment_text": "attachment_text",
    "matches": "matched",
    "gloss": "gloss",
    "document_number": "document_number",
    "contact": "contact",
}


def upgrade() -> None:
    # plain ALTER TABLE on both engines (SQLite >= 3.35 drops columns in place): a batch copy of `notices`
    # would delete the rows that changes and deliveries reference
    for column in _columns():
        op.add_column("notices", column)
    connection = op.get_bind()
    for row_id, extra in connection.execute(sa.select(notices.c.id, notices.c.extra)).all():
        extra = extra or {}
        if not extra:
            continue
        attachments = [{k: v for k, v in a.items() if k != "text"} for a in extra.get("attachments") or []]
        connection.execute(
            notices.update()
            .where(notices.c.id == row_id)
            .values(
                is_file=bool(extra.get("file")),
                body=_text(extra.get("body")),
                detail_published=_date(extra.get("detail_published")),
                detail_error=_text(extra.get("detail_error")),
                attachments=_json(attachments),
                attachment_text=_text(extra.get("attachment_text")),
                matches=_json(extra.get("matched")),
                gloss=_text(extra.get("gloss")),
                document_number=_text(extra.get("document_number")),
                contact=_text(extra.get("contact")),
            )
        )
    op.drop_column("notices", "extra")


def downgrade() -> None:
    """Back into `extra`, as 0004 kept it."""
    op.add_column("notices", sa.Column("extra", sa.JSON(), nullable=False, server_default="{}"))
    connection = op.get_bind()
    typed = [notices.c[name] for name in ("id", "is_file", "detail_published", "attachments", *_FIELDS)]
    for row in connection.execute(sa.select(*typed)).mappings().all():
        extra: dict[str, object] = {key: row[name] for name, key in _FIELDS.items() if row[name] is not None}
        if row["is_file"]:
            extra["file"] = True
        if row["detail_published"] is not None:
            extra["detail_published"] = row["detail_published"].isoformat()
        if row["attachments"]:
            extra["attachments"] = row["attachments"]
        if extra:
            connection.execute(notices.update().where(notices.c.id == row["id"]).values(extra=extra))
    for column in _columns():
        op.drop_column("notices", column.name)
