from pathlib import Path

import pytest

from monitor.config import ConfigError, load_sources
from monitor.config.sources import resolve_sources_path

VALID = """
[[source]]
name = "nmpa-ggtg"
agency = "NMPA"
region = "CN"
url = "https://www.nmpa.gov.cn/xxgk/ggtg/index.html"
kind = "html"
evidence = "unverified"
evidence_note = "a test entry"
[source.extract]
item = "div.list ul li"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_catalogue_is_valid_and_starts_with_real_national_sources():
    sources = {s.name: s for s in load_sources(Path(__file__).parents[2] / "sources.toml")}
    assert sources["nmpa-ggtg"].url == "https://www.nmpa.gov.cn/xxgk/ggtg/index.html"
    assert sources["cde-guidelines"].url.startswith("https://www.cde.org.cn/")
    assert any(s.agency == "NHC" and s.url.startswith("https://www.nhc.gov.cn/") for s in sources.values())


def test_a_valid_source_loads(tmp_path):
    (source,) = load_sources(write(tmp_path, VALID))
    assert source.host == "www.nmpa.gov.cn"
    assert source.extract == {"item": "div.list ul li"}


def test_missing_field_names_file_line_source_and_field(tmp_path):
    path = write(tmp_path, VALID + '\n[[source]]\nname = "second"\nagency = "CDE"\nregion = "CN"\nkind = "html"\n')
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    message = str(caught.value)
    assert f"{path}:13" in message  # the second [[source]] header
    assert "[[source]] #2 (second)" in message
    assert "'url'" in message and "required" in message


def test_bad_value_points_at_its_own_line(tmp_path):
    path = write(tmp_path, VALID.replace('region = "CN"', 'region = "china"'))
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert caught.value.line == 5
    assert "region" in str(caught.value)


def test_unknown_kind_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_sources(write(tmp_path, VALID.replace('kind = "html"', 'kind = "rss"')))
    assert "unknown kind 'rss'" in str(caught.value) and "html" in str(caught.value)
    assert caught.value.line == 7


def test_extractor_options_are_validated_by_the_extractor(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_sources(write(tmp_path, VALID.replace('item = "div.list ul li"', 'itme = "div.list ul li"')))
    assert "extract" in str(caught.value)
    assert caught.value.line is not None


def test_key_pattern_must_compile_and_capture(tmp_path):
    with pytest.raises(ConfigError, match="capturing group"):
        load_sources(write(tmp_path, VALID.replace('kind = "html"', "kind = \"html\"\nkey_pattern = '\\d+'")))


def test_duplicate_names_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="duplicate source name 'nmpa-ggtg'"):
        load_sources(write(tmp_path, VALID + VALID))


def test_toml_syntax_error_carries_the_parser_line(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_sources(write(tmp_path, VALID + "\n[[source]\n"))
    assert "TOML syntax error" in str(caught.value)
    assert caught.value.line == 13


def test_a_source_that_says_nothing_of_its_evidence_is_unverified(tmp_path):
    bare = VALID.replace('evidence = "unverified"\nevidence_note = "a test entry"\n', "")
    (source,) = load_sources(write(tmp_path, bare))
    assert source.evidence == "unverified" and source.evidence_note == ""


def test_evidence_is_one_of_three_levels_and_a_claim_needs_its_note(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_sources(write(tmp_path, VALID.replace('evidence = "unverified"', 'evidence = "verified"')))
    assert caught.value.line == 8 and "recorded" in str(caught.value) and "unverified" in str(caught.value)
    claim = VALID.replace('evidence = "unverified"', 'evidence = "recorded"')
    with pytest.raises(ConfigError) as caught:
        load_sources(write(tmp_path, claim.replace('"a test entry"', '""')))
    assert caught.value.line == 9 and "evidence_note" in str(caught.value) and "needs a note" in str(caught.value)
    (source,) = load_sources(write(tmp_path, claim))
    assert source.evidence == "recorded" and source.evidence_note == "a test entry"


def test_sources_path_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CGT_MONITOR_SOURCES", raising=False)
    assert resolve_sources_path(None).name == "sources.toml"  # the packaged catalogue
    write(tmp_path, VALID)
    assert resolve_sources_path(None) == Path("sources.toml")
    monkeypatch.setenv("CGT_MONITOR_SOURCES", "/elsewhere.toml")
    assert resolve_sources_path(None) == Path("/elsewhere.toml")
    assert resolve_sources_path(Path("x.toml")) == Path("x.toml")


def test_extract_options_are_typed_and_a_copy_with_other_selectors_gets_its_own(tmp_path):
    (source,) = load_sources(write(tmp_path, VALID))
    (fresh,) = load_sources(write(tmp_path, VALID))
    assert source.options.item == "div.list ul li" and source.options.title_attr == "title"
    assert source == fresh  # reading the options changes nothing a comparison sees
    other = source.model_copy(update={"extract": {"item": "ul.infoList li", "title": "h4 a"}})
    assert other.options.item == "ul.infoList li" and other.options.title == "h4 a"
    assert source.options.item == "div.list ul li"


CAPTURED = """
[[source]]
name = "cde-news"
agency = "CDE"
region = "CN"
url = "https://www.cde.org.cn/main/news/getList"
kind = "json"
fetch = "browser"
capture = { page = "/main/news/listpage/545cf855a50574699b46b26bcb165f32" }
[source.extract]
records = "data.records"
link = "/main/news/viewInfoCommon/{newsIdCode}"
"""


def test_a_captured_list_page_is_resolved_against_the_url(tmp_path):
    (source,) = load_sources(write(tmp_path, CAPTURED))
    assert source.capture_page == "https://www.cde.org.cn/main/news/listpage/545cf855a50574699b46b26bcb165f32"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (('fetch = "browser"', 'fetch = "http"'), 'needs a browser: set fetch = "browser"'),
        (('page = "/main', 'page = "https://www.example.com/main'), "not on the source's own site (www.cde.org.cn)"),
        (("capture = { page", "capture = { pgae"), "unknown field"),
        (("capture = {", 'page_url = "list_{n}"\ncapture = {'), "pages through page_param"),
    ],
)
def test_a_bad_capture_names_its_line_and_field(tmp_path, change, said):
    with pytest.raises(ConfigError) as caught:
        load_sources(write(tmp_path, CAPTURED.replace(*change)))
    assert caught.value.line in (9, 10) and "field 'capture" in str(caught.value) and said in str(caught.value)
