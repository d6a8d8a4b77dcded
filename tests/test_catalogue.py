"""Every source in sources.toml, run on its fixture: items, keys, dates and absolute links; and what each
source's structure rests on (its evidence), checked against the fixtures' provenance."""

import datetime as dt
import re
import tomllib

import pytest

from monitor.check.trial import read_saved_page
from monitor.config.sources import EVIDENCE_LEVELS
from monitor.extract.links import stable_key
from tests.helpers import SITES, catalogue, fixture_file, items_of

CASES = tomllib.loads((fixture_file("expected.toml")).read_text(encoding="utf-8"))["case"]
PROVENANCE = (SITES / "PROVENANCE.md").read_text(encoding="utf-8")
SEED_REGIONS = {"CN", "CN-GD", "CN-GD-SZ", "CN-SH", "CN-BJ", "CN-TJ", "CN-HI", "CN-JS", "CN-ZJ", "CN-SD"}
# provinces whose medical products administrations the catalogue watches besides the seed regions
PROVINCES = {"CN-SC", "CN-HE", "CN-JL", "CN-XJ"}


def provenance_rows() -> dict[str, str]:
    """The PROVENANCE.md table: fixture file name -> its whole row."""
    rows = {}
    for line in PROVENANCE.splitlines():
        if match := re.match(r"^\|\s*([\w.\-]+\.(?:html|json))\s*\|", line):
            rows[match.group(1)] = line
    return rows


def test_the_catalogue_covers_at_least_forty_five_sources_with_labels():
    sources = catalogue()
    assert len(sources) >= 45
    assert {case["source"] for case in CASES} == set(sources)  # every source has a fixture case
    for source in sources.values():
        assert source.label and source.agency and source.region and source.language
    regions = {s.region for s in sources.values()}
    assert regions >= SEED_REGIONS | PROVINCES
    assert {s.language for s in sources.values()} >= {"zh", "en"}


def test_every_source_says_what_it_rests_on():
    for source in catalogue().values():
        assert source.evidence in EVIDENCE_LEVELS
        assert len(source.evidence_note) >= 20, f"{source.name}: say what the evidence is"


def test_recorded_sources_have_a_fixture_of_real_bytes_named_in_provenance():
    rows = provenance_rows()
    fixtures = {case["source"]: case["fixture"] for case in CASES}
    recorded = [s for s in catalogue().values() if s.evidence == "recorded"]
    assert len(recorded) >= 8
    for source in recorded:
        fixture = fixtures[source.name]
        assert fixture in source.evidence_note, f"{source.name}: the note names its fixture"
        row = rows.get(fixture)
        assert row is not None, f"{fixture}: no PROVENANCE.md row"
        assert "**recorded" in row, f"{fixture}: its PROVENANCE.md row does not say it is real bytes"
        assert source.url.split("?")[0] in row, f"{fixture}: its PROVENANCE.md row names another URL"
        assert re.search(r"\b(\d{4}-\d{2}-\d{2}|saving date not stated)", row), f"{fixture}: no recording date"
        assert "SYNTHETIC" not in fixture_file(fixture).read_text(encoding="utf-8", errors="replace")


def test_synthetic_fixtures_say_so_in_the_file_and_in_provenance():
    rows = provenance_rows()
    fixtures = {case["source"]: case["fixture"] for case in CASES}
    for source in catalogue().values():
        if source.evidence == "recorded":
            continue
        fixture = fixtures[source.name]
        row = rows.get(fixture)
        assert row is not None and "**synthetic" in row, f"{fixture}: PROVENANCE.md must call it synthetic"
        if fixture.endswith(".html"):
            raw = fixture_file(fixture).read_bytes()
            assert b"SYNTHETIC" in raw, f"{fixture}: the file itself must say it is synthetic"


@pytest.mark.parametrize("case", CASES, ids=[case["source"] for case in CASES])
def test_source_on_its_fixture(case):
    source = catalogue()[case["source"]]
    items = items_of(read_saved_page(source, fixture_file(case["fixture"])), source, base_url=source.url)
    assert len(items) == case["items"]
    first, last = items[0], items[-1]
    assert first.title == case["first_title"]
    assert first.url == case["first_url"]
    assert last.title == case["last_title"]
    if case.get("undated"):  # the list publishes no date: none may be made up
        assert all(item.published is None for item in items)
    else:
        assert first.published == dt.date.fromisoformat(case["first_date"])
        assert last.published == dt.date.fromisoformat(case["last_date"])
        assert all(item.published for item in items)
    assert all(item.url.startswith(("http://", "https://")) for item in items)
    assert len({item.key for item in items}) == len(items)
    if source.key_pattern:  # the stable id, not the URL, is the key wherever the site has one
        assert first.key == stable_key(first.url, source.key_pattern) != first.url
