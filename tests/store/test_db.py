import datetime as dt
import json
import os
import signal
import subprocess
import sys

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from monitor.store.db import (
    alembic_config,
    current_revision,
    head_revision,
    newest_revision_file,
    open_database,
    session_factory,
    upgrade_database,
)
from monitor.store.models import Change, Delivery, Notice
from tests.helpers import seeded


def test_sqlite_default_is_wal_and_migrated(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/deep/dir/cgt.db")
    upgrade_database(engine)
    upgrade_database(engine)  # idempotent
    assert current_revision(engine) == head_revision()
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


def test_notices_stored_before_typed_fields_keep_their_detail_and_reason(tmp_path):
    """A database from before the typed notice columns: its followed notice keeps body, files and reason."""
    engine = open_database(f"sqlite:///{tmp_path}/cgt.db")
    upgrade_database(engine, "0004")
    extra = {
        "file": False,
        "body": "体内基因治疗产品药学研究\u0000",  # PDF text may carry NUL, which PostgreSQL text refuses
        "detail_published": "2026-09-23",
        "attachments": [{"url": "https://x/a.pdf", "name": "附件1", "kind": "pdf", "chars": 10, "text": "AAV"}],
        "attachment_text": "AAV vectors",
        "matched": [{"term": "AAV", "where": "attachment", "weight": 1.5}],
        "gloss": "Guideline on gene therapy",
        "document_number": "2022年第31号",
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (name, agency, region, url, baselined, status, consecutive_failures, item_count)"
                " VALUES ('s', 'CDE', 'CN', 'https://x', 1, 'ok', 0, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO notices (source_name, key, title, url, listed, position, first_seen_at, last_seen_at,"
                " relevant, score, terms, topics, extra) VALUES ('s', 'k', 't', 'https://x/1', 1, 0,"
                " '2026-09-23 00:00:00', '2026-09-23 00:00:00', 1, 2.0, '[]', '[]', :extra)"
            ),
            {"extra": json.dumps(extra, ensure_ascii=False)},
        )
        # rows that reference the notice, as every real store has
        connection.execute(
            text(
                "INSERT INTO changes (notice_id, source_name, kind, detected_at, title, url, relevant, score, previous)"
                " VALUES (1, 's', 'new', '2026-09-23 00:00:00', 't', 'https://x/1', 1, 2.0, '{}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO deliveries (change_id, notice_id, subscription, channel, mode, status, attempts,"
                " created_at, next_attempt_at, done_targets) VALUES (1, 1, 'ra', 'mail', 'immediate', 'sent', 1,"
                " '2026-09-23 00:00:00', '2026-09-23 00:00:00', '[]')"
            )
        )
    upgrade_database(engine)
    with session_factory(engine)() as session:
        notice = session.scalars(select(Notice)).one()
    assert notice.body == "体内基因治疗产品药学研究" and notice.detail_published == dt.date(2026, 9, 23)
    assert notice.attachments == [{"url": "https://x/a.pdf", "name": "附件1", "kind": "pdf", "chars": 10}]
    assert notice.attachment_text == "AAV vectors" and notice.gloss == "Guideline on gene therapy"
    assert notice.matches == [{"term": "AAV", "where": "attachment", "weight": 1.5}]
    assert notice.document_number == "2022年第31号" and notice.is_file is False
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM deliveries WHERE notice_id = 1")).scalar() == 1
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with engine.connect() as connection:
        restored = json.loads(connection.execute(text("SELECT extra FROM notices")).scalar())
    assert restored["body"] == "体内基因治疗产品药学研究" and restored["gloss"] == "Guideline on gene therapy"
    assert restored["matched"] == extra["matched"] and restored["detail_published"] == "2026-09-23"


def test_a_kill_in_the_middle_of_an_upgrade_leaves_a_database_the_next_upgrade_completes(tmp_path):
    env = {**os.environ, "CGT_MONITOR_DATA": str(tmp_path)}
    killed = subprocess.run(
        [sys.executable, "-m", "monitor", "db", "upgrade"],
        env={**env, "CGT_MONITOR_FAILPOINT": "upgrade.after_step"},
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL  # killed after the first of its steps
    engine = open_database(f"sqlite:///{tmp_path}/cgt-monitor.db")
    assert current_revision(engine) is None  # the first step was rolled back with the rest
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM sqlite_master WHERE name = 'runs'")).first() is None
    engine.dispose()
    again = subprocess.run([sys.executable, "-m", "monitor", "db", "upgrade"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"revision {head_revision()}" in again.stdout


def test_the_listing_moves_from_notice_positions_to_the_source_row_and_back(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/db.sqlite")
    upgrade_database(engine, "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (name, agency, region, url, baselined, status, consecutive_failures, item_count)"
                " VALUES ('s', 'NMPA', 'CN', 'https://x', 1, 'ok', 0, 3)"
            )
        )
        for key, listed, position in (("b", 1, 1), ("a", 1, 0), ("old", 0, 0), ("c", 1, 2)):
            connection.execute(
                text(
                    "INSERT INTO notices (source_name, key, title, url, listed, position, first_seen_at,"
                    " last_seen_at, relevant, score, terms, topics) VALUES ('s', :key, 't', 'https://x/1',"
                    " :listed, :position, '2026-09-23 00:00:00', '2026-09-23 00:00:00', 0, 0, '[]', '[]')"
                ),
                {"key": key, "listed": listed, "position": position},
            )
    upgrade_database(engine)
    with engine.connect() as connection:
        listing, digest, last_new = connection.execute(
            text("SELECT listing, listing_digest, last_new_at FROM sources")
        ).one()
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(notices)"))}
    assert json.loads(listing) == ["a", "b", "c"] and digest is None  # the next check compares once
    assert str(last_new).startswith("2026-09-23")  # the newest first sight of the source's notices
    assert "position" not in columns
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    with engine.connect() as connection:
        positions = dict(connection.execute(text("SELECT key, position FROM notices WHERE listed")).all())
    assert positions == {"a": 0, "b": 1, "c": 2}


def test_notices_judged_before_levels_get_one_from_where_their_terms_matched(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/db.sqlite")
    upgrade_database(engine, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (name, agency, region, url, baselined, status, consecutive_failures, item_count)"
                " VALUES ('s', 'NMPA', 'CN', 'https://x', 1, 'ok', 0, 3)"
            )
        )
        for key, relevant, matches in (
            ("t", 1, [{"term": "干细胞", "where": "title", "weight": 2.0}]),
            ("b", 1, [{"term": "干细胞", "where": "body", "weight": 2.0}]),
            ("n", 0, []),
        ):
            connection.execute(
                text(
                    "INSERT INTO notices (source_name, key, title, url, listed, first_seen_at, last_seen_at,"
                    " relevant, score, terms, topics, matches) VALUES ('s', :key, 't', 'https://x/1', 1,"
                    " '2026-09-23 00:00:00', '2026-09-23 00:00:00', :relevant, 0, '[]', '[]', :matches)"
                ),
                {"key": key, "relevant": relevant, "matches": json.dumps(matches)},
            )
    upgrade_database(engine)
    with engine.connect() as connection:
        levels = dict(connection.execute(text("SELECT key, level FROM notices")).all())
        assert connection.execute(text("SELECT count(*) FROM notices WHERE passage IS NOT NULL")).scalar() == 0
    assert levels == {"t": "title", "b": "body", "n": "none"}
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    with engine.connect() as connection:
        assert "level" not in {row[1] for row in connection.execute(text("PRAGMA table_info(notices)"))}


def test_the_newest_migration_file_names_alembics_head():
    """A start reads the head from the file names (NNNN_what.py) to skip Alembic: the two must agree."""
    assert newest_revision_file() == head_revision()
