"""the last list page's bytes kept as a digest, with its newest date: an unchanged page is not parsed again

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("page_digest", sa.String(length=64), nullable=True))
    op.add_column("sources", sa.Column("page_newest", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("sources", "page_newest")
    op.drop_column("sources", "page_digest")
