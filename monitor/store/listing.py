"""The health a check that stored a list records: `ok`, or `suspect` when the list looks like another page.

The judgement itself is `extract/signals`; this adds what only the store knows, when the source last showed
a notice never seen before, so "frozen" means watched without news, not merely old dates on a first look.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config.sources import Source
from monitor.extract.dates import SHANGHAI
from monitor.extract.signals import read_signals
from monitor.store.models import Notice
from monitor.values import Health, Item


def listed_items(session: Session, name: str) -> list[Item]:
    """The source's last list page as stored, in page order."""
    query = select(Notice).where(Notice.source_name == name, Notice.listed).order_by(Notice.position)
    return [Item(key=n.key, title=n.title, url=n.url, published=n.published) for n in session.scalars(query)]


def listing_health(
    session: Session, source: Source, items: Sequence[Item], now: dt.datetime
) -> tuple[Health, str | None]:
    last_new = session.scalar(select(func.max(Notice.first_seen_at)).where(Notice.source_name == source.name))
    quiet_since = last_new.astimezone(SHANGHAI).date() if last_new else now.astimezone(SHANGHAI).date()
    signals = read_signals(
        items, source.key_pattern, now.astimezone(SHANGHAI).date(), source.stale_after_days, quiet_since
    )
    return (Health.SUSPECT, signals.suspect) if signals.suspect else (Health.OK, None)
