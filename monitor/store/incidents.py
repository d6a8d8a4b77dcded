"""Incidents: a source or channel that stopped working, opened once and resolved once.

Opening or resolving writes the operator alerts into the outbox in the same transaction, so each incident
is announced exactly once each way, whatever crashes in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alert.route import Route
from monitor.store.models import Delivery, Incident


def open_incident(session: Session, kind: str, subject: str) -> Incident | None:
    query = select(Incident).where(
        Incident.subject_kind == kind, Incident.subject == subject, Incident.resolved_at.is_(None)
    )
    return session.scalars(query.order_by(Incident.id.desc()).limit(1)).first()


def _announce(session: Session, incident: Incident, event: str, routes: Sequence[Route], now: dt.datetime) -> None:
    for target in routes:
        session.add(
            Delivery(
                incident_id=incident.id,
                event=event,
                subscription=target.subscription,
                channel=target.channel,
                mode="immediate",
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
                done_targets=[],
            )
        )


def raise_incident(
    session: Session, kind: str, subject: str, reason: str, routes: Sequence[Route], now: dt.datetime
) -> Incident | None:
    """Open an incident unless one is open already; returns the new incident, or None."""
    if open_incident(session, kind, subject) is not None:
        return None
    incident = Incident(subject_kind=kind, subject=subject, opened_at=now, reason=reason)
    session.add(incident)
    session.flush()
    _announce(session, incident, "opened", routes, now)
    return incident


def resolve_incident(
    session: Session, kind: str, subject: str, routes: Sequence[Route], now: dt.datetime
) -> Incident | None:
    incident = open_incident(session, kind, subject)
    if incident is None:
        return None
    incident.resolved_at = now
    _announce(session, incident, "resolved", routes, now)
    return incident
