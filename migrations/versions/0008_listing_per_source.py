"""the last listing kept per source (keys in page order, their digest, when a new notice last came);
notices lose their position

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

sources = sa.table("sources", sa.column("name", sa.String), sa.column("listing", sa.JSON))
notices = sa.table(
    "notices",
    sa.column("source_name", sa.String),
    sa.column("key", sa.String),
    sa.column("listed", sa.Boolean),
    sa.column("position", sa.Integer),
    sa.column("id", sa.Integer),
)


def upgrade() -> None:
    op.add_column("sources", sa.Column("listing", sa.JSON(), nullable=True))
    op.add_column("sources", sa.Column("listing_digest", sa.String(length=64), nullable=True))
    op.add_column("sources", sa.Column("last_new_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE sources SET last_new_at = "
            "(SELECT max(first_seen_at) FROM notices WHERE notices.source_name = sources.name)"
        )
    )
    listings: dict[str, list[str]] = defaultdict(list)
    rows = connection.execute(
        sa.select(notices.c.source_name, notices.c.key)
        .where(notices.c.listed.is_(True))
        .order_by(notices.c.source_name, notices.c.position, notices.c.id)
    )
    for source_name, key in rows:
        listings[source_name].append(key)
    for name, keys in listings.items():
        connection.execute(sources.update().where(sources.c.name == name).values(listing=keys))
    # no digest yet: each source's next check compares its rows once and writes the digest
    op.drop_column("notices", "position")


def downgrade() -> None:
    op.add_column("notices", sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    connection = op.get_bind()
    position = sa.table("notices", sa.column("source_name"), sa.column("key"), sa.column("position"))
    for name, keys in connection.execute(sa.select(sources.c.name, sources.c.listing)):
        for index, key in enumerate(keys or []):
            connection.execute(
                position.update().where(position.c.source_name == name, position.c.key == key).values(position=index)
            )
    op.drop_column("sources", "last_new_at")
    op.drop_column("sources", "listing_digest")
    op.drop_column("sources", "listing")
