"""Alembic environment: runs on the connection handed over by `cgt-monitor db upgrade`, else on the URL."""

from alembic import context
from sqlalchemy import create_engine

from monitor import failpoints
from monitor.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _after_each_step(**_: object) -> None:
    # a crash between two steps of one upgrade: the tests prove it leaves the schema as it was
    failpoints.hit("upgrade.after_step")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        # `cgt-monitor db upgrade` hands over a connection inside one transaction (on SQLite too): every
        # step commits together, or none does
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            on_version_apply=_after_each_step,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
