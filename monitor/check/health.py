"""Source health → operator alerts: an incident after N consecutive failed checks, resolved on the next good one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from monitor.alert.route import ops_routes
from monitor.config.settings import Settings
from monitor.store.incidents import open_incident, raise_incident, resolve_incident
from monitor.store.models import SourceState


def watch_source(session: Session, settings: Settings, name: str, now: dt.datetime) -> str | None:
    """Open or resolve the source's incident from its recorded health; returns "opened", "resolved" or None.

    Derived from the stored state alone, so running it again (after a crash) changes nothing.
    """
    state = session.get(SourceState, name)
    if state is None:
        return None
    routes = ops_routes(settings.subscription, now)
    if state.status == "ok":
        return "resolved" if resolve_incident(session, "source", name, routes, now) else None
    if state.consecutive_failures >= settings.ops.source_failures and open_incident(session, "source", name) is None:
        reason = f"{state.status}: {state.status_reason} ({state.consecutive_failures} checks in a row)"
        raise_incident(session, "source", name, reason, routes, now)
        return "opened"
    return None
