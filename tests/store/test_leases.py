"""Leases bind other live instances, never the holder itself, nor a clock that stepped or an old interval."""

import datetime as dt

from monitor.store import leases
from monitor.store.db import open_database, session_factory, upgrade_database, write_transaction

HOLD, HOUR = dt.timedelta(minutes=6), dt.timedelta(hours=1)
NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)


def test_a_lease_keeps_other_instances_out_until_the_source_is_due(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/db.sqlite")
    upgrade_database(engine)
    sessions = session_factory(engine)
    other = "another-host:1:1"  # on another machine: alive as far as this one can tell

    def take(holder, now, interval=HOUR):
        with write_transaction(sessions) as session:
            return leases.take(session, "s", holder, now, HOLD, interval)

    assert take(other, NOW)
    assert not take("me-host:2:2", NOW + dt.timedelta(seconds=1))  # held
    with write_transaction(sessions) as session:
        leases.give_back(session, "s", other, NOW, NOW + dt.timedelta(minutes=55))
    assert not take("me-host:2:2", NOW + dt.timedelta(minutes=1))  # checked lately: not due
    assert take(other, NOW - dt.timedelta(minutes=10))  # its own lease, even with the clock stepped back
    with write_transaction(sessions) as session:
        leases.give_back(session, "s", other, NOW, NOW + dt.timedelta(days=7))  # an old weekly interval
    assert take("me-host:2:2", NOW + dt.timedelta(minutes=1), interval=HOUR)  # now hourly: due
