"""The desk's read side on SQLite and PostgreSQL: filters, pagination, search in Chinese and English, review
marks with their history, and a notice's family."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, update

from monitor.store.db import open_database, session_factory, upgrade_database
from monitor.store.detail import document_name, notice_detail
from monitor.store.models import Change, Notice, SourceState
from monitor.store.notices import NoticeFilter, list_notices, open_deadlines
from monitor.store.reviews import UnknownNotice, history, mark
from monitor.testing.notices import seed_notices
from monitor.values import NoticeOrigin, ReviewState

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_database")
    engine = open_database(url)
    upgrade_database(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded(sessions):
    seed_notices(sessions, 100, today=TODAY)
    return sessions


def ids(sessions, **filters) -> list[int]:
    with sessions() as session:
        return [row.id for row in list_notices(session, NoticeFilter(**filters), per_page=500).rows]


def titles(sessions, **filters) -> list[str]:
    with sessions() as session:
        return [row.title for row in list_notices(session, NoticeFilter(**filters), per_page=500).rows]


def test_every_notice_is_listed_newest_first_and_paginated(seeded):
    with seeded() as session:
        first = list_notices(session, NoticeFilter(), page=1, per_page=30)
        last = list_notices(session, NoticeFilter(), page=4, per_page=30)
    assert first.total == 100 and first.pages == 4 and len(first.rows) == 30 and len(last.rows) == 10
    dates = [row.published for row in first.rows]
    assert dates == sorted(dates, reverse=True) and first.rows[0].published == TODAY
    assert {row.id for row in first.rows}.isdisjoint({row.id for row in last.rows})


def test_baseline_back_filled_and_new_notices_are_told_apart(seeded):
    with seeded.begin() as session:
        session.execute(
            insert(Notice),
            [
                {
                    "source_name": "nmpa-ggtg",
                    "key": "old",
                    "title": "二〇一九年的旧通知",
                    "url": "https://x/old",
                    "first_seen_at": dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC),
                    "last_seen_at": dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC),
                }
            ],
        )
    assert len(ids(seeded, origin=NoticeOrigin.BASELINE)) == 20
    assert len(ids(seeded, origin=NoticeOrigin.NEW)) == 80
    assert titles(seeded, origin=NoticeOrigin.BACKFILL) == ["二〇一九年的旧通知"]
    with seeded() as session:
        rows = list_notices(session, NoticeFilter(), per_page=200).rows
    assert rows[-1].origin is NoticeOrigin.BACKFILL  # undated: last
    assert {row.origin for row in rows[:-1]} == {NoticeOrigin.BASELINE, NoticeOrigin.NEW}


def test_filters_by_relevance_agency_region_source_type_topic_and_dates(seeded):
    assert len(ids(seeded, relevance="relevant")) == 60
    assert len(ids(seeded, relevance="not_relevant")) == 40
    assert len(ids(seeded, agencies=("nmpa",))) == 20  # agencies match whatever their case
    assert len(ids(seeded, regions=("CN-GD",))) == 40  # a province covers its cities
    assert len(ids(seeded, regions=("CN-GD-SZ",))) == 20
    assert len(ids(seeded, sources=("cde-zdyz", "nhc-gfxwj"))) == 40
    assert len(ids(seeded, doc_types=("draft_for_comment",))) == 20
    assert len(ids(seeded, topics=("regenerative_medicine",))) == 20
    assert len(ids(seeded, topics=("cell_therapy",))) == 40
    recent = ids(seeded, since=TODAY - dt.timedelta(days=1), until=TODAY)
    assert len(recent) == 40  # 20 a day in the seed
    assert ids(seeded, since=TODAY + dt.timedelta(days=1)) == []
    with pytest.raises(ValueError, match="empty"):
        NoticeFilter(since=TODAY, until=TODAY - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("基因治疗", 20),  # a Chinese word inside an unbroken run of characters
        ("细胞", 40),  # two characters: shorter than a trigram
        ("干细胞 管理办法", 20),  # every word must be found
        ("gene therapy", 20),  # the English gloss
        ("GENE", 20),  # whatever the case
        ('"in vivo gene"', 20),  # a phrase
        ("指导原则", 60),  # title and body
        ("第7号", 1),
        ("不存在的词语", 0),
        ("100%", 0),  # LIKE's wildcards are literal
    ],
)
def test_search_in_chinese_and_english(seeded, query, expected):
    assert len(ids(seeded, search=query)) == expected


def test_search_follows_edits_and_combines_with_filters(seeded):
    with seeded.begin() as session:
        session.execute(update(Notice).where(Notice.key == "nmpa-ggtg-3").values(title="关于嵌合抗原受体T细胞的公告"))
    assert titles(seeded, search="嵌合抗原受体") == ["关于嵌合抗原受体T细胞的公告"]
    old = titles(seeded, search="复方甘草片", sources=("nmpa-ggtg",))
    assert len(old) == 3 and "关于嵌合抗原受体T细胞的公告" not in old  # the old title is gone
    assert len(ids(seeded, search="细胞治疗", relevance="relevant", agencies=("CDE",))) == 4


def test_review_marks_keep_their_history_and_the_latest_is_the_state(seeded):
    first, second = ids(seeded)[:2]
    with seeded.begin() as session:
        mark(
            session, first, ReviewState.ASSIGNED, "li", assignee="wang", now=dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)
        )
        mark(
            session, first, ReviewState.RELEVANT, "wang", note="需跟进", now=dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)
        )
        mark(session, second, ReviewState.NOT_RELEVANT, "li")
        with pytest.raises(ValueError, match="assigned"):
            mark(session, second, ReviewState.ASSIGNED, "li")
        with pytest.raises(UnknownNotice):
            mark(session, 999_999, ReviewState.DONE, "li")
    with seeded() as session:
        marks = history(session, first)
    assert [(m.state, m.user, m.note, m.assignee) for m in marks] == [
        (ReviewState.RELEVANT, "wang", "需跟进", None),
        (ReviewState.ASSIGNED, "li", None, "wang"),
    ]
    assert ids(seeded, review="relevant") == [first]
    assert ids(seeded, review="not_relevant") == [second]
    assert ids(seeded, review="assigned") == []  # no longer its latest mark
    assert len(ids(seeded, review="unreviewed")) == 98
    with pytest.raises(ValueError, match="unknown review state"):
        NoticeFilter(review="maybe")


def test_open_comment_deadlines_nearest_first(seeded):
    with seeded() as session:
        rows = open_deadlines(session, TODAY)
    assert rows and all(row.deadline >= TODAY for row in rows)
    assert [row.deadline for row in rows] == sorted(row.deadline for row in rows)


def _notice(session, key: str, title: str, published: dt.date, doc_type: str | None = None, number: str | None = None):
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    notice = Notice(
        source_name="cde-zdyz",
        key=key,
        title=title,
        url=f"https://x/{key}",
        published=published,
        first_seen_at=now,
        last_seen_at=now,
        doc_type=doc_type,
        document_number=number,
    )
    session.add(notice)
    session.flush()
    session.add(Change(notice_id=notice.id, source_name="cde-zdyz", kind="new", detected_at=now, title=title, url="u"))
    return notice


def test_a_notice_knows_its_family_draft_final_interpretation(seeded):
    with seeded.begin() as session:
        draft = _notice(
            session,
            "d",
            "关于公开征求《异种移植产品非临床研究技术指导原则（征求意见稿）》意见的通知",
            dt.date(2026, 3, 1),
            "draft_for_comment",
        )
        final = _notice(
            session,
            "f",
            "关于发布《异种移植产品非临床研究技术指导原则》的通告",
            dt.date(2026, 9, 1),
            "guideline",
            "2026年第41号",
        )
        reading = _notice(session, "i", "《异种移植产品非临床研究技术指导原则》政策解读", dt.date(2026, 9, 2))
        _notice(session, "q", "2026年第41号通告的问答", dt.date(2026, 9, 3), "qa", "2026年第41号")
        other = _notice(session, "o", "关于发布《另一份指导原则》的通告", dt.date(2026, 9, 1), "guideline")
    with seeded() as session:
        detail = notice_detail(session, final.id)
        alone = notice_detail(session, other.id)
    assert detail is not None and alone is not None
    stages = [(stage, row.id) for stage, row in detail.family]
    assert stages[:3] == [("draft", draft.id), ("final", final.id), ("interpretation", reading.id)]
    assert len(stages) == 4 and stages[3][0] == "interpretation"  # the Q&A, by its document number
    assert alone.family == []
    assert detail.source.agency == "CDE" and detail.row.origin is NoticeOrigin.NEW


def test_document_names_ignore_the_draft_marks():
    assert document_name("关于公开征求《细胞治疗产品指导原则（征求意见稿）》意见的通知") == "细胞治疗产品指导原则"
    assert document_name("关于发布《细胞治疗产品指导原则》的通告") == "细胞治疗产品指导原则"
    assert document_name("没有书名号的通知") is None


def test_the_search_index_covers_notices_stored_before_the_upgrade(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_database(engine, "0009")  # the revision before the desk's
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(insert(SourceState), [{"name": "s", "agency": "NMPA", "region": "CN", "url": "https://x"}])
        connection.execute(
            insert(Notice),
            [
                {
                    "source_name": "s",
                    "key": "k",
                    "title": "间充质干细胞通告",
                    "url": "u",
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            ],
        )
    upgrade_database(engine)
    sessions = session_factory(engine)
    assert titles(sessions, search="间充质干细胞") == ["间充质干细胞通告"]
    engine.dispose()


def test_origins_as_the_real_pipeline_records_them(site, inbox, settings_for):
    """Baseline, back-filled and new, from real checks of a local copy of a source."""
    from monitor.app import open_store
    from monitor.testing.localsite import Page
    from tests.check.test_backfill_and_follow import older_page
    from tests.helpers import in_pipeline, local_source, next_day, serve, site_page

    settings = settings_for(inbox.apprise_url())
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))  # the baseline
    site.set("/xxgk/ggtg/index_1.html", Page(older_page(1)))
    in_pipeline(settings, database, lambda pipeline: pipeline.backfill(source, 2))
    serve(site, source, next_day(site_page("nmpa-ggtg.html")))
    in_pipeline(settings, database, lambda pipeline: pipeline.run_once([source]))  # two new notices
    with database.sessions() as session:
        rows = list_notices(session, NoticeFilter(), per_page=500).rows
    origins = [row.origin for row in rows]
    assert origins.count(NoticeOrigin.BASELINE) == 20
    assert origins.count(NoticeOrigin.NEW) == 2
    assert origins.count(NoticeOrigin.BACKFILL) == 20
    assert len(ids(database.sessions, origin=NoticeOrigin.BACKFILL)) == 20
    database.engine.dispose()


def test_relevance_filters_tell_a_title_about_cgt_from_a_text_about_it(seeded):
    with seeded.begin() as session:
        chapter = _notice(session, "plan", "某市关于促进生物医药产业发展的若干措施", dt.date(2026, 11, 20))  # synthetic
        chapter.relevant, chapter.level, chapter.passage = True, "body", "（十一）加快细胞和基因治疗产业发展。"
    body = titles(seeded, relevance="body")
    assert body == ["某市关于促进生物医药产业发展的若干措施"]
    by_title = titles(seeded, relevance="title")
    assert by_title and "某市关于促进生物医药产业发展的若干措施" not in by_title
    assert sorted(titles(seeded, relevance="relevant")) == sorted([*by_title, *body])
    with seeded() as session:
        (row,) = [r for r in list_notices(session, NoticeFilter(relevance="body")).rows]
    assert row.as_dict()["level"] == "body" and row.as_dict()["passage"].startswith("（十一）")
