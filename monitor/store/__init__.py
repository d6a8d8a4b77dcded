"""Persistence: SQLAlchemy models (schema owned by Alembic), engine set-up and the check transaction."""

from monitor.store.db import open_database, upgrade_database

__all__ = ["open_database", "upgrade_database"]
