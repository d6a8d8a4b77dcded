"""operator alerts: incidents, ops rows in the outbox, per-URL delivery results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incidents_open", "incidents", ["subject_kind", "subject", "resolved_at"])
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("change_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("notice_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("event", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("done_targets", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_foreign_key("fk_deliveries_incident", "incidents", ["incident_id"], ["id"])
        batch.create_unique_constraint("uq_ops_delivery_once", ["subscription", "incident_id", "event", "channel"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_ops_delivery_once", type_="unique")
        batch.drop_constraint("fk_deliveries_incident", type_="foreignkey")
        batch.drop_column("done_targets")
        batch.drop_column("event")
        batch.drop_column("incident_id")
        batch.alter_column("notice_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("change_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_incidents_open", table_name="incidents")
    op.drop_table("incidents")
