"""Atom feeds of notices (overall, by any filter, per subscription) and an ICS calendar of comment deadlines."""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator
from icalendar import Alarm, Calendar, Event
from markupsafe import escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from monitor.classify.taxonomy import doc_type_label
from monitor.store.backtest import subscription_notices
from monitor.store.notices import NoticeRow, all_notices, open_deadlines
from monitor.web import auth
from monitor.web.deadlines import today_in
from monitor.web.params import notice_filter

FEED_SIZE = 100


def desk_url(request: Request, path: str) -> str:
    """An absolute link to a desk page: under the configured public URL, else where this request came."""
    base = request.app.state.settings.web.public_url or str(request.base_url)
    return base.rstrip("/") + path


def _atom(request: Request, title: str, rows: list[NoticeRow]) -> Response:
    feed = FeedGenerator()
    feed.id(desk_url(request, request.url.path))
    feed.title(title)
    feed.link(href=desk_url(request, "/"), rel="alternate")
    feed.link(href=str(request.url), rel="self")
    feed.language("zh-CN")
    feed.updated(max((row.first_seen_at for row in rows), default=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    for row in reversed(rows):  # feedgen puts the last added first
        entry = feed.add_entry()
        entry.id(desk_url(request, f"/notices/{row.id}"))
        entry.title(row.title)
        # one link per entry: feedgen 1.0 drops the rel of every entry link, so a second one would become
        # a second "alternate"; the desk's page is linked from the content instead
        entry.link(href=row.url, rel="alternate")
        entry.updated(row.first_seen_at)
        if row.published:
            entry.published(dt.datetime.combine(row.published, dt.time(), dt.UTC))
        entry.author(name=row.agency)
        facts = [row.gloss or "", f"{row.agency} ({row.region})", doc_type_label(row.doc_type)]
        if row.deadline:
            facts.append(f"comments by {row.deadline.isoformat()}")
        if row.terms:
            facts.append("matched: " + ", ".join(row.terms))
        summary = " · ".join(fact for fact in facts if fact)
        entry.summary(summary)
        desk_link = desk_url(request, f"/notices/{row.id}")
        entry.content(
            f'<p>{escape(summary)}</p><p><a href="{escape(desk_link)}">On the review desk</a> · '
            f'<a href="{escape(row.url)}">{escape(row.agency)}</a></p>',
            type="html",
        )
        for topic in row.topics:
            entry.category(term=topic)
    body = feed.atom_str(pretty=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def notices_feed(request: Request) -> Response:
    """Relevant notices unless the query asks otherwise; any notice filter applies (agency=…, topic=…)."""
    auth.require_read(request)
    filters = notice_filter(request.query_params, relevance="relevant")
    with request.app.state.database.sessions() as session:
        rows = all_notices(session, filters, limit=FEED_SIZE)
    named = [f"{key}={value}" for key, value in request.query_params.multi_items() if value]
    return _atom(request, "CGT notices" + (f" ({', '.join(named)})" if named else ""), rows)


def subscription_feed(request: Request) -> Response:
    auth.require_read(request)
    name = request.path_params["name"]
    sub = next((s for s in request.app.state.settings.subscription if s.name == name and not s.ops), None)
    if sub is None:
        raise HTTPException(404, f"no subscription named '{name}'")
    with request.app.state.database.sessions() as session:
        rows = subscription_notices(session, sub, limit=FEED_SIZE * 5)
    return _atom(request, f"CGT notices for {name}", rows[:FEED_SIZE])


def deadlines_calendar(request: Request) -> Response:
    """Each open comment period as an all-day event on its last day, with a reminder three days before."""
    auth.require_read(request)
    today = today_in(request.app.state.settings.schedule.timezone)
    with request.app.state.database.sessions() as session:
        rows = open_deadlines(session, today - dt.timedelta(days=30))
    calendar = Calendar()
    calendar.add("prodid", "-//cgt-monitor//review desk//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "CGT comment deadlines")
    stamp = dt.datetime.now(dt.UTC)
    for row in rows:
        assert row.deadline is not None
        event = Event()
        event.add("uid", f"deadline-{row.id}@cgt-monitor")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.deadline)
        event.add("dtend", row.deadline + dt.timedelta(days=1))
        event.add("summary", f"Comments due: {row.title}")
        lines = [row.gloss or "", f"{row.agency} ({row.region})", row.url, desk_url(request, f"/notices/{row.id}")]
        event.add("description", "\n".join(line for line in lines if line))
        event.add("url", row.url)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Comments due in 3 days: {row.title}")
        alarm.add("trigger", dt.timedelta(days=-3))
        event.add_component(alarm)
        calendar.add_component(event)
    return Response(calendar.to_ical(), media_type="text/calendar; charset=utf-8")
