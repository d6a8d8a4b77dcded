"""The same schema and the same check on a real PostgreSQL server."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from monitor.app import open_store
from monitor.store.db import current_revision, head_revision
from monitor.store.models import Change, Delivery
from tests.helpers import in_pipeline, local_source, next_day, seeded, serve, site_page
from tests.store.test_retention import prunes_as_it_should

pytestmark = pytest.mark.postgres


def test_migrations_and_constraints_on_postgres(pg_database):
    from monitor.store.db import open_database

    engine = open_database(pg_database)
    sessions, notice_id, change_id, now = seeded(engine)
    assert current_revision(engine) == head_revision()
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(
            Delivery(
                change_id=change_id,
                notice_id=notice_id,
                subscription="ra",
                channel="mail",
                created_at=now,
                next_attempt_at=now,
            )
        )
    engine.dispose()


def test_a_full_cycle_on_postgres(pg_database, site, inbox, tmp_path, settings_for):
    settings = settings_for(inbox.apprise_url(), database_url=pg_database)
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")

    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    _, dispatch = in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))
    assert dispatch.sent == 1 and len(inbox.mails) == 1
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Change)) == 2
    database.engine.dispose()


def test_old_runs_are_pruned_on_postgres(pg_database, settings_for):
    database = open_store(settings_for(database_url=pg_database))
    prunes_as_it_should(database)
    database.engine.dispose()
