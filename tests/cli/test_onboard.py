"""`sources suggest` and `sources verify` as a user runs them."""

import json
import tomllib

import pytest

from monitor.testing.localsite import Page
from tests.helpers import catalogue, fixture_file, run_cli

pytestmark = pytest.mark.slow


def test_save_suggest_paste_and_test(tmp_path):
    """Adding a source as the README says: the pasted suggestion extracts what the hand-written entry does."""
    page = fixture_file("gdmpa-tzgg.html")
    real = catalogue()["gdmpa-tzgg"]
    suggested = run_cli("sources", "suggest", str(page), "--url", real.url)
    assert suggested.returncode == 0, suggested.stderr
    (table,) = tomllib.loads(suggested.stdout)["source"]
    assert table["url"] == real.url and table["kind"] == "html"
    assert "20 items" in suggested.stderr  # the preview of what it extracts
    catalogue_file = tmp_path / "sources.toml"
    catalogue_file.write_text(suggested.stdout, encoding="utf-8")

    def extracted(name: str, *options: str) -> list[tuple[str, str, str]]:
        result = run_cli(*options, "sources", "test", name, "--file", str(page), "--json")
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        return [(r["title"], r["url"], r["published"]) for r in rows]

    mine = extracted(table["name"], "--sources", str(catalogue_file))
    assert mine == extracted("gdmpa-tzgg") and len(mine) == 20


def test_suggest_fetches_a_url_through_the_http_client(site):
    site.set("/xwdt/tzgg/index.html", Page(fixture_file("nmpa-ggtg.html").read_bytes()))
    result = run_cli("sources", "suggest", site.url("/xwdt/tzgg/index.html"))
    assert result.returncode == 0, result.stderr
    (table,) = tomllib.loads(result.stdout)["source"]
    assert table["url"] == site.url("/xwdt/tzgg/index.html")
    assert table["key_pattern"] == r"/(\d{17})\.html$" and table["page_url"] == "index_{n0}.html"
    assert len(site.hits("/xwdt/tzgg/index.html")) == 1


def test_suggest_says_why_when_there_is_no_list(tmp_path, site):
    landing = tmp_path / "landing.html"
    landing.write_text("<html><body>" + "".join(f'<a href="/c{n}/">栏目{n}</a>' for n in range(9)) + "</body></html>")
    result = run_cli("sources", "suggest", str(landing), "--url", "https://example.gov.cn/")
    assert result.returncode == 1 and "link and a date" in result.stderr and not result.stdout
    missing = run_cli("sources", "suggest", site.url("/gone.html"))
    assert missing.returncode == 1 and "404" in missing.stderr
