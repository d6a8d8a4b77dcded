"""The health a check that stored a list records: `ok`, or `suspect` when the list looks like another page.

The judgement itself is `extract/signals`; this adds what only the store knows, when the source last showed
a notice never seen before, so "frozen" means watched without news, not merely old dates on a first look.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config.sources import Source
from monitor.extract.dates import SHANGHAI
from monitor.extract.signals import frozen, read_signals
from monitor.store.inlist import chunks
from monitor.store.models import Notice
from monitor.values import Health, Item


def listed_items(session: Session, name: str, keys: Sequence[str]) -> list[Item]:
    """The source's last list page as stored (its keys in page order)."""
    columns = (Notice.key, Notice.title, Notice.url, Notice.published)
    by_key: dict[str, Item] = {}
    for chunk in chunks(keys):
        query = select(*columns).where(Notice.source_name == name, Notice.key.in_(chunk))
        for key, title, url, published in session.execute(query):
            by_key[key] = Item(key=key, title=title, url=url, published=published)
    return [by_key[key] for key in keys if key in by_key]


def listing_health(
    source: Source, items: Sequence[Item], last_new: dt.datetime | None, now: dt.datetime
) -> tuple[Health, str | None]:
    """`last_new`: when the source last listed a notice never seen before (None: not yet watched)."""
    quiet_since = last_new.astimezone(SHANGHAI).date() if last_new else now.astimezone(SHANGHAI).date()
    signals = read_signals(
        items, source.key_pattern, now.astimezone(SHANGHAI).date(), source.stale_after_days, quiet_since
    )
    return (Health.SUSPECT, signals.suspect) if signals.suspect else (Health.OK, None)


def still_fresh(
    source: Source, count: int, newest: dt.date | None, last_new: dt.datetime | None, now: dt.datetime
) -> bool:
    """A page seen before, byte for byte, and healthy then: healthy now unless its dates have since gone stale
    (everything else `listing_health` judges is in the page, and the page has not changed)."""
    today = now.astimezone(SHANGHAI).date()
    quiet_since = last_new.astimezone(SHANGHAI).date() if last_new else today
    return frozen(count, newest, today, source.stale_after_days, quiet_since) is None
