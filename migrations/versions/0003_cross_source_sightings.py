"""cross-source sightings: notice fingerprints and the canonical notice a repost belongs to

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("canonical_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_notices_canonical", "notices", ["canonical_id"], ["id"])
        batch.create_index("ix_notices_fingerprint", ["fingerprint"])


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_index("ix_notices_fingerprint")
        batch.drop_constraint("fk_notices_canonical", type_="foreignkey")
        batch.drop_column("fingerprint")
        batch.drop_column("canonical_id")
