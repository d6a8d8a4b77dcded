import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from monitor.store.db import current_revision, open_database, upgrade_database
from monitor.store.models import Change, Delivery
from tests.helpers import seeded


def test_sqlite_default_is_wal_and_migrated(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/deep/dir/cgt.db")
    upgrade_database(engine)
    upgrade_database(engine)  # idempotent
    assert current_revision(engine) == "0004"
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_datetimes_come_back_aware_utc(tmp_path):
    sessions, _, _, now = seeded(open_database(f"sqlite:///{tmp_path}/cgt.db"))
    with sessions() as session:
        stored = session.query(Change).one().detected_at
    assert stored.tzinfo is not None and stored == now.replace(microsecond=stored.microsecond)


def test_one_delivery_per_subscription_notice_and_channel(tmp_path):
    sessions, notice_id, change_id, now = seeded(open_database(f"sqlite:///{tmp_path}/cgt.db"))
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
