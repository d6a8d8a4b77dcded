"""Feeds, the calendar, exports and the JSON API, each read back by a real parser or library."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import feedparser
import icalendar
from openpyxl import load_workbook

from tests.web.conftest import TODAY


def test_the_atom_feed_of_relevant_notices_is_valid(local):
    answer = local.get("/feeds/notices.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and len(feed.entries) == 75  # every relevant notice (under the cap)
    entry = feed.entries[0]
    assert entry.link.startswith("https://") and "/c/" in entry.link  # the regulator's page
    assert [link.rel for link in entry.links] == ["alternate"]
    assert 'href="https://desk.example.org/notices/' in entry.content[0].value  # the desk's page
    assert entry.id.startswith("https://desk.example.org/notices/")
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)


def test_feeds_per_agency_topic_and_subscription(local):
    by_agency = feedparser.parse(local.get("/feeds/notices.atom?agency=CDE").content)
    assert len(by_agency.entries) == 15 and {e.author for e in by_agency.entries} == {"CDE"}
    by_topic = feedparser.parse(local.get("/feeds/notices.atom?topic=gene_therapy").content)
    assert len(by_topic.entries) == 25 and all("基因治疗" in e.title for e in by_topic.entries)
    gene = feedparser.parse(local.get("/feeds/subscriptions/gene.atom").content)
    assert not gene.bozo and len(gene.entries) == 25
    guangdong = feedparser.parse(local.get("/feeds/subscriptions/guangdong.atom").content)
    assert len(guangdong.entries) == 50  # relevant_only = false: everything from the province and its city
    assert local.get("/feeds/subscriptions/nobody.atom").status_code == 404


def test_the_calendar_of_comment_deadlines_is_valid(local):
    answer = local.get("/calendar/deadlines.ics")
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = list(calendar.walk("VEVENT"))
    assert events
    for event in events:
        deadline = event.decoded("dtstart")
        assert isinstance(deadline, dt.date) and not isinstance(deadline, dt.datetime)  # all-day
        assert deadline >= TODAY - dt.timedelta(days=30)
        assert str(event["summary"]).startswith("Comments due: ")
        assert "https://desk.example.org/notices/" in str(event["description"])
        assert list(event.walk("VALARM"))
    assert len({str(event["uid"]) for event in events}) == len(events)


def test_csv_export_opens_in_excel_and_neutralises_formulas(local, desk):
    from sqlalchemy import update

    from monitor.store.db import write_transaction
    from monitor.store.models import Notice

    with write_transaction(desk.state.database.sessions) as session:
        session.execute(
            update(Notice).where(Notice.key == "nmpa-ggtg-0").values(title='=HYPERLINK("https://evil.example","点")')
        )
    answer = local.get("/export/notices.csv?agency=NMPA")
    assert answer.headers["content-disposition"] == 'attachment; filename="notices.csv"'
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 25 and {row["agency"] for row in rows} == {"NMPA"}
    assert {row["relevant"] for row in rows} == {"yes", "no"}
    assert any(row["title"].startswith("'=HYPERLINK") for row in rows)
    assert all(row["desk_url"].startswith("https://desk.example.org/notices/") for row in rows)


def test_xlsx_export_has_working_links_and_json_the_same_rows(local):
    answer = local.get("/export/notices.xlsx?relevance=relevant&agency=CDE")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.max_row == 16
    for column in ("url", "desk_url"):
        cell = sheet.cell(row=2, column=header.index(column) + 1)
        assert cell.hyperlink is not None and cell.hyperlink.target == cell.value
    assert sheet.cell(row=2, column=header.index("relevant") + 1).value == "yes"
    rows = local.get("/export/notices.json?relevance=relevant&agency=CDE").json()
    assert [row["id"] for row in rows] == [sheet.cell(row=n, column=1).value for n in range(2, 17)]


def test_the_json_api_lists_pages_notices_sources_and_deadlines(local):
    first = local.get("/api/notices?per_page=10&q=细胞").json()
    assert first["total"] == 50 and first["pages"] == 5 and len(first["notices"]) == 10
    assert first["notices"][0]["first_seen_at"].endswith("+08:00")  # the configured zone, its offset the label
    notice = local.get(f"/api/notices/{first['notices'][0]['id']}").json()
    assert notice["title"] == first["notices"][0]["title"] and notice["review_history"] == []
    assert local.get("/api/notices/999999").status_code == 404
    assert local.get("/api/notices?per_page=0").json() == {"error": "per_page: a number from 1 to 500"}
    assert local.get("/api/notices?doc_type=memo").status_code == 400
    sources = local.get("/api/sources").json()
    assert {s["name"] for s in sources["sources"]} >= {"nmpa-ggtg", "cde-zdyz"} and sources["polls"]
    deadlines = local.get("/api/deadlines").json()
    assert [d["days_left"] for d in deadlines] == sorted(d["days_left"] for d in deadlines)
    # read-only: the API takes no writes
    assert local.post("/api/notices", json={}).status_code == 405


def test_a_subscription_backtest_counts_per_week_what_it_would_have_sent(local):
    listing = local.get("/subscriptions").text
    assert 'action="/subscriptions/gene/backtest"' in listing and "topics: gene_therapy" in listing
    page = local.get("/subscriptions/gene/backtest?days=3").text
    # 20 notices a day in the seed, one in five of them on gene therapy: 4 a day over three days
    assert "12 notices since" in page
    weekly = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page)]
    assert sum(weekly) == 12
    assert local.get("/subscriptions/gene/backtest?days=0").status_code == 400
    assert local.get("/subscriptions/nobody/backtest").status_code == 404


def test_a_read_token_opens_feeds_and_the_calendar_but_nothing_else(desk, desk_settings):
    from starlette.testclient import TestClient

    from monitor.web.auth import token_hash

    users = dict(desk_settings.web.users)
    users["outlook"] = users["zhao"].model_copy(update={"token_hash": token_hash("tok-123")})
    desk.state.settings = desk_settings.model_copy(
        update={"web": desk_settings.web.model_copy(update={"users": users})}
    )
    outside = TestClient(desk, base_url="http://desk.test", client=("203.0.113.9", 50000))
    assert outside.get("/calendar/deadlines.ics").status_code == 401
    assert outside.get("/calendar/deadlines.ics?token=wrong").status_code == 401
    calendar = outside.get("/calendar/deadlines.ics?token=tok-123")
    assert calendar.status_code == 200 and icalendar.Calendar.from_ical(calendar.content).walk("VEVENT")
    assert not feedparser.parse(outside.get("/feeds/notices.atom?token=tok-123").content).bozo
    assert outside.get("/?token=tok-123", follow_redirects=False).status_code == 303  # not the pages
    assert outside.get("/", follow_redirects=False).status_code == 303  # and no session came of it
