"""Incidents: a source, channel or the database that stopped working, opened once and resolved once.

Opening or resolving writes the operator alerts into the outbox in the same transaction, so each incident
is announced exactly once each way, whatever crashes in between. Who is told (the routes) is decided by
the caller from the subscriptions and handed in as plain data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store import outbox
from monitor.store.models import Incident, Run, SourceState
from monitor.values import Health, Route


def open_incident(session: Session, kind: str, subject: str) -> Incident | None:
    query = select(Incident).where(
        Incident.subject_kind == kind, Incident.subject == subject, Incident.resolved_at.is_(None)
    )
    return session.scalars(query.order_by(Incident.id.desc()).limit(1)).first()


def raise_incident(
    session: Session, kind: str, subject: str, reason: str, routes: Sequence[Route], now: dt.datetime
) -> Incident | None:
    """Open an incident unless one is open already; returns the new incident, or None."""
    if open_incident(session, kind, subject) is not None:
        return None
    incident = Incident(subject_kind=kind, subject=subject, opened_at=now, reason=reason)
    session.add(incident)
    session.flush()
    outbox.enqueue_ops(session, incident.id, "opened", routes, now)
    return incident


def resolve_incident(
    session: Session, kind: str, subject: str, routes: Sequence[Route], now: dt.datetime
) -> Incident | None:
    incident = open_incident(session, kind, subject)
    if incident is None:
        return None
    incident.resolved_at = now
    outbox.enqueue_ops(session, incident.id, "resolved", routes, now)
    return incident


def watch_source(
    session: Session, name: str, failures_to_open: int, routes: Sequence[Route], now: dt.datetime
) -> str | None:
    """Open or resolve the source's incident from its recorded health; returns "opened", "resolved" or None.

    Derived from the stored state alone, so running it again (after a crash) changes nothing.
    """
    state = session.get(SourceState, name)
    if state is None:
        return None
    if state.status == Health.OK:
        return "resolved" if resolve_incident(session, "source", name, routes, now) else None
    if state.consecutive_failures >= failures_to_open and open_incident(session, "source", name) is None:
        reason = f"{state.status}: {state.status_reason} ({state.consecutive_failures} checks in a row)"
        raise_incident(session, "source", name, reason, routes, now)
        return "opened"
    return None


def watch_channel(
    session: Session,
    channel: str,
    failed_attempts: int,
    failures_to_open: int,
    error: str | None,
    routes: Sequence[Route],
    now: dt.datetime,
) -> None:
    """After a send: a channel that delivered resolves its incident; one that failed `failures_to_open`
    attempts of one alert opens one."""
    if error is None:
        resolve_incident(session, "channel", channel, routes, now)
    elif failed_attempts >= failures_to_open:
        reason = f"{failed_attempts} failed attempts to deliver an alert; last error: {error}"
        raise_incident(session, "channel", channel, reason, routes, now)


def record_outage(
    session: Session,
    kind: str,
    subject: str,
    reason: str,
    since: dt.datetime,
    routes: Sequence[Route],
    now: dt.datetime,
) -> Incident:
    """An incident that could not be written while it lasted (the store itself refused writes), recorded
    opened and resolved at once, with its "resolved" alert in the outbox. The "opened" alert went out
    directly when it began: the outbox could not hold it then."""
    incident = Incident(subject_kind=kind, subject=subject[:64], opened_at=since, resolved_at=now, reason=reason)
    session.add(incident)
    session.flush()
    outbox.enqueue_ops(session, incident.id, "resolved", routes, now)
    return incident


def last_write(session: Session) -> dt.datetime | None:
    """When the store last recorded a check or the end of an outage: what an outage began after."""
    times = [session.scalar(select(func.max(Run.finished_at))), session.scalar(select(func.max(Incident.resolved_at)))]
    return max((t for t in times if t is not None), default=None)
