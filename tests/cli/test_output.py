"""Output without Rich where there is no terminal, the bytes Rich wrote there (tabs kept); Rich's tables on one."""

import io
import os
import pty
import re
import sys

import pytest
from rich.console import Console
from rich.text import Text

from monitor.cli.base import complain, on_terminal, say
from monitor.testing.localsite import Page
from tests.helpers import deployment, next_day, run_cli, site_page

AWKWARD = [
    "plain",
    "[bold]not markup[/]",
    "line\r\nbreak\x07 bell",
    "trailing   ",
    "\x1b[31mescaped\x1b[0m",
    "two\nlines\n",
    "long words " * 30,
    "",
]


@pytest.fixture
def no_overrides(monkeypatch):
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("text", AWKWARD)
def test_say_and_complain_into_a_pipe_write_what_rich_wrote_there(text, capsys, no_overrides):
    said, complained = io.StringIO(), io.StringIO()
    Console(file=said).print(Text(text), highlight=False, soft_wrap=True)
    Console(file=complained).print(Text.assemble(("error: ", "red"), text), highlight=False, soft_wrap=True)
    say(text)
    complain("error", text)
    assert capsys.readouterr() == (said.getvalue(), complained.getvalue())


def test_a_tab_into_a_pipe_stays_a_tab(capsys, no_overrides):
    say("宽\t字\tx")
    complain("error", "a\tb")
    assert capsys.readouterr() == ("宽\t字\tx\n", "error: a\tb\n")


@pytest.mark.parametrize(
    "env", [{}, {"TTY_COMPATIBLE": "1"}, {"TTY_COMPATIBLE": "0"}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": ""}]
)
@pytest.mark.parametrize("tty", [False, True])
def test_the_terminal_test_agrees_with_rich(env, tty, monkeypatch, no_overrides):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if tty:
        leader, follower = pty.openpty()
        stream = os.fdopen(follower, "w")
        os.close(leader)
    else:
        stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        assert on_terminal() == Console().is_terminal
    finally:
        stream.close()


@pytest.fixture
def checked_once(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    assert run_cli("run", "--once", env=env).returncode == 0  # the baseline
    site.set("/xxgk/ggtg/index.html", Page(next_day(site_page("nmpa-ggtg.html"))))  # two new notices
    return env


def unstyled(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_on_a_terminal_the_cycle_and_a_check_are_rich_tables(checked_once):
    terminal = {**checked_once, "TTY_COMPATIBLE": "1"}  # what Rich and `on_terminal` both take for a terminal
    cycle = run_cli("run", "--once", env=terminal)
    assert cycle.returncode == 0, cycle.stderr
    shown = unstyled(cycle.stdout)
    assert "One cycle" in shown and "┃ source " in shown and "│ nmpa-ggtg " in shown and "\t" not in shown
    check = run_cli("check", "nmpa-ggtg", env=terminal)
    assert check.returncode == 0, check.stderr
    shown = unstyled(check.stdout)
    assert "┃ published " in shown and "\t" not in shown and "outcome: not_modified" in shown


def test_a_check_into_a_pipe_prints_one_tab_separated_line_per_item(checked_once):
    check = run_cli("check", "nmpa-ggtg", env=checked_once)
    assert check.returncode == 0, check.stderr
    title, header, *rows, outcome = check.stdout.splitlines()
    assert title.startswith("nmpa-ggtg — http") and title.endswith(": 22 item(s)")
    assert header.split("\t") == ["published", "relevant", "new", "title", "terms", "url"]
    assert len(rows) == 22 and all(len(row.split("\t")) == 6 for row in rows)
    assert [row.split("\t")[2] for row in rows].count("new") == 2
    assert outcome == "outcome: ok  items: 22  new: 2  changed: 0  gone: 0  alerts queued: 1"
