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
                body=extra.get("body"),
                detail_published=_date(extra.get("detail_published")),
                detail_error=extra.get("detail_error"),
                attachments=attachments or None,
                attachment_text=extra.get("attachment_text"),
                matches=extra.get("matched"),
                gloss=extra.get("gloss"),
                document_number=extra.get("document_number"),
                contact=extra.get("contact"),
            )
        )
    op.drop_column("notices", "extra")


def downgrade() -> None:
    op.add_column("notices", sa.Column("extra", sa.JSON(), nullable=False, server_default="{}"))
    for column in _columns():
        op.drop_column("notices", column.name)
