"""`sources suggest` and `sources verify` as a user runs them."""

import json
import re
import tomllib

import pytest

from monitor.testing.localsite import Page
from tests.helpers import catalogue, deployment, fixture_file, run_cli

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


def _catalogue(site, names: list[str]) -> str:
    """Sources on the local site; stale_after_days = 0 as the recorded page's dates age (staleness is
    tested in tests/check/test_verify.py on pages dated from today)."""
    return "".join(
        f'[[source]]\nname = "{name}"\nagency = "NMPA"\nregion = "CN"\nurl = "{site.url(f"/{name}/index.html")}"\n'
        f"kind = \"html\"\nkey_pattern = '/(\\d{{17}})\\.html$'\nstale_after_days = 0\n"
        '[source.extract]\nitem = "div.list ul li"\ntitle = "a"\nlink = "a"\ndate = "span"\n\n'
        for name in names
    )


def test_verify_exits_non_zero_when_a_source_fails_and_says_which(tmp_path, site):
    site.set("/good/index.html", Page(fixture_file("nmpa-ggtg.html").read_bytes()))
    landing = re.sub(rb'/(\d{17})\.html"', rb'/col\1/"', fixture_file("nmpa-ggtg.html").read_bytes())  # column links
    site.set("/landing/index.html", Page(landing))
    sources = tmp_path / "sources.toml"
    sources.write_text(_catalogue(site, ["good", "landing"]), encoding="utf-8")
    env = {"CGT_MONITOR_SOURCES": str(sources), "CGT_MONITOR_DATA": str(tmp_path)}

    both = run_cli("sources", "verify", "--json", env=env)
    assert both.returncode == 1 and "1 of 2 sources failed: landing" in both.stderr
    rows = {row["source"]: row for row in json.loads(both.stdout)}
    assert rows["good"]["items"] == 20 and rows["good"]["key_share"] == 1.0 and rows["good"]["newest"] == "2026-09-22"
    assert rows["landing"]["status"] == "off_pattern" and rows["landing"]["key_share"] == 0

    good = run_cli("sources", "verify", "good", env=env)
    assert good.returncode == 0, good.stderr
    assert "good" in good.stdout and "2026-09-22" in good.stdout
    assert run_cli("sources", "verify", "nosuch", env=env).returncode == 2


def test_sources_list_shows_a_landing_page_as_suspect(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    landing = re.sub(rb'/(\d{17})\.html"', rb'/col\1/"', fixture_file("nmpa-ggtg.html").read_bytes())
    site.set("/xxgk/ggtg/index.html", Page(landing))
    assert run_cli("check", "nmpa-ggtg", env=env).returncode == 0  # its rows are stored all the same
    listing = run_cli("sources", "list", env=env)
    row = next(line for line in listing.stdout.splitlines() if "nmpa-ggtg" in line)
    assert "suspect" in row and "0 of 20 links" in listing.stdout
