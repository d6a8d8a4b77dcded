"""Every source in sources.toml, run on its fixture: items, keys, dates and absolute links."""

import datetime as dt
import tomllib

import pytest

from monitor.check.trial import read_saved_page
from monitor.extract.links import stable_key
from tests.helpers import catalogue, fixture_file, items_of

CASES = tomllib.loads((fixture_file("expected.toml")).read_text(encoding="utf-8"))["case"]


def test_the_catalogue_covers_at_least_twenty_real_sources_with_labels():
    sources = catalogue()
    assert len(sources) >= 20
    assert {case["source"] for case in CASES} == set(sources)  # every source has a fixture case
    for source in sources.values():
        assert source.label and source.agency and source.region and source.language
    regions = {s.region for s in sources.values()}
    assert {"CN", "CN-GD", "CN-GD-SZ", "CN-SH", "CN-BJ", "CN-TJ", "CN-HI", "CN-JS", "CN-ZJ", "CN-SD"} <= regions


@pytest.mark.parametrize("case", CASES, ids=[case["source"] for case in CASES])
def test_source_on_its_fixture(case):
    source = catalogue()[case["source"]]
    items = items_of(read_saved_page(source, fixture_file(case["fixture"])), source, base_url=source.url)
    assert len(items) == case["items"]
    first, last = items[0], items[-1]
    assert first.title == case["first_title"]
    assert first.url == case["first_url"]
    assert first.published == dt.date.fromisoformat(case["first_date"])
    assert last.title == case["last_title"]
    assert last.published == dt.date.fromisoformat(case["last_date"])
    assert all(item.url.startswith(("http://", "https://")) for item in items)
    assert all(item.published for item in items)
    assert len({item.key for item in items}) == len(items)
    if source.key_pattern:  # the stable id, not the URL, is the key wherever the site has one
        assert first.key == stable_key(first.url, source.key_pattern) != first.url
