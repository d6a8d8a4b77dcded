"""the verdict's level (title, body, none) and, for the body level, the quoted passage

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

notices = sa.table(
    "notices",
    sa.column("id", sa.Integer),
    sa.column("relevant", sa.Boolean),
    sa.column("matches", sa.JSON),
    sa.column("level", sa.String),
)


def upgrade() -> None:
    op.add_column("notices", sa.Column("level", sa.String(length=8), nullable=False, server_default="none"))
    op.add_column("notices", sa.Column("passage", sa.Text(), nullable=True))
    # notices judged before the level existed: relevant with a term in the title is the title level; relevant
    # on its text alone is the body level, without a passage (none was chosen then)
    connection = op.get_bind()
    relevant = connection.execute(sa.select(notices.c.id, notices.c.matches).where(notices.c.relevant.is_(True)))
    for ident, matches in relevant.all():
        in_title = any(match.get("where") == "title" for match in matches or [])
        connection.execute(notices.update().where(notices.c.id == ident).values(level="title" if in_title else "body"))


def downgrade() -> None:
    op.drop_column("notices", "passage")
    op.drop_column("notices", "level")
