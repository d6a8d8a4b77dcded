"""Is an extracted list still the list? Links in the key's form, dates that move."""

import datetime as dt
import tomllib

import pytest

from monitor.check.trial import read_saved_page
from monitor.extract.signals import read_signals
from monitor.values import Item
from tests.helpers import catalogue, fixture_file, items_of

DAY = dt.date(2026, 9, 22)
CASES = tomllib.loads(fixture_file("expected.toml").read_text(encoding="utf-8"))["case"]


def rows(urls, newest=DAY, step=2):
    return [
        Item(key=u, title=f"t{n}", url=u, published=newest - dt.timedelta(days=step * n)) for n, u in enumerate(urls)
    ]


NOTICES = [f"https://x.cn/a/t20260908_{n}.html" for n in range(10)]
COLUMNS = [f"https://x.cn/col/c{n}/" for n in range(10)]
PATTERN = r"/t\d{8}_(\d+)\.html$"


def test_a_list_in_the_keys_form_with_recent_dates_is_not_suspect():
    signals = read_signals(rows(NOTICES), PATTERN, DAY + dt.timedelta(days=3), 180)
    assert signals.suspect is None and signals.key_share == 1.0 and signals.age_days == 3


@pytest.mark.parametrize(("notices", "suspect"), [(10, False), (5, False), (4, True), (0, True)])
def test_few_links_in_the_keys_form_look_like_a_landing_page(notices, suspect):
    signals = read_signals(rows(NOTICES[:notices] + COLUMNS[notices:]), PATTERN, DAY, 180)
    assert signals.keyed == notices
    assert bool(signals.off_pattern) is suspect and bool(signals.suspect) is suspect
    if suspect:
        assert f"{notices} of 10 links match" in signals.suspect


def test_frozen_dates_on_a_first_look_and_while_watched():
    frozen = rows(NOTICES, newest=DAY - dt.timedelta(days=200))
    assert "200 days ago" in read_signals(frozen, PATTERN, DAY, 180).suspect  # a first look: the dates decide
    assert read_signals(frozen, PATTERN, DAY, 180, quiet_since=DAY - dt.timedelta(days=10)).suspect is None
    assert read_signals(frozen, PATTERN, DAY, 180, quiet_since=DAY - dt.timedelta(days=181)).stale
    assert read_signals(frozen, PATTERN, DAY, 0).suspect is None  # 0: a list allowed to stay still
    undated = [Item(key=u, title="t", url=u) for u in NOTICES]
    assert read_signals(undated, PATTERN, DAY, 180).suspect is None  # no dates, nothing to call frozen


@pytest.mark.parametrize("case", CASES, ids=[case["source"] for case in CASES])
def test_every_catalogue_source_finds_its_key_on_its_own_page(case):
    source = catalogue()[case["source"]]
    items = items_of(read_saved_page(source, fixture_file(case["fixture"])), source, base_url=source.url)
    assert read_signals(items, source.key_pattern, DAY, 0).off_pattern is None
