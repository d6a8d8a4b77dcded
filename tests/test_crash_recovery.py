"""Kill the real process at each step of a check; restart it; count what the real SMTP server received."""

import signal
from pathlib import Path

import pytest

from monitor.localsite import LocalSite, Page
from tests.conftest import ROOT, run_cli, site_page
from tests.test_pipeline import next_day


def deployment(tmp_path: Path, site: LocalSite, mail_url: str) -> dict[str, str]:
    catalogue = (ROOT / "sources.toml").read_text(encoding="utf-8")
    start = catalogue.index('[[source]]\nname = "nmpa-ggtg"')
    end = catalogue.index("[[source]]", start + 10)
    entry = catalogue[start:end].replace("https://www.nmpa.gov.cn", site.base_url)
    (tmp_path / "sources.toml").write_text(entry, encoding="utf-8")
    (tmp_path / "cgt-monitor.toml").write_text(
        f'data_dir = "{tmp_path}"\n[fetch]\nper_host_min_delay_s = 0.0\nretries = 0\n'
        f'[channels.mail]\nurl = "{mail_url}"\n'
        '[[subscription]]\nname = "ra"\nchannels = ["mail"]\n',
        encoding="utf-8",
    )
    return {
        "CGT_MONITOR_SOURCES": str(tmp_path / "sources.toml"),
        "CGT_MONITOR_CONFIG": str(tmp_path / "cgt-monitor.toml"),
    }


@pytest.fixture
def baselined(tmp_path, site, inbox):
    env = deployment(tmp_path, site, inbox.apprise_url())
    site.set("/xxgk/ggtg/index.html", Page(site_page("nmpa-ggtg.html")))
    assert run_cli("run", "--once", env=env).returncode == 0
    site.set("/xxgk/ggtg/index.html", Page(next_day(site_page("nmpa-ggtg.html"))))
    return env


def test_killed_after_commit_before_send_the_alert_is_sent_after_restart_exactly_once(baselined, inbox):
    crashed = run_cli("run", "--once", env={**baselined, "CGT_MONITOR_FAILPOINT": "check.after_commit"})
    assert crashed.returncode == -signal.SIGKILL
    assert inbox.mails == []  # the change is committed, its alert not yet sent

    assert run_cli("run", "--once", env=baselined).returncode == 0
    assert [m.subject for m in inbox.mails] == [inbox.mails[0].subject]
    assert "体内基因治疗产品" in inbox.mails[0].subject

    assert run_cli("run", "--once", env=baselined).returncode == 0
    assert len(inbox.mails) == 1


def test_killed_after_send_before_marking_repeats_at_most_that_one_send(baselined, inbox):
    """The window of at-least-once delivery: the one in-flight send may repeat, nothing is lost."""
    crashed = run_cli("run", "--once", env={**baselined, "CGT_MONITOR_FAILPOINT": "dispatch.after_send"})
    assert crashed.returncode == -signal.SIGKILL
    assert len(inbox.mails) == 1

    assert run_cli("run", "--once", env=baselined).returncode == 0
    assert len(inbox.mails) == 2  # the in-flight send repeated once
    assert inbox.mails[0].subject == inbox.mails[1].subject

    assert run_cli("run", "--once", env=baselined).returncode == 0
    assert len(inbox.mails) == 2  # and never again


def test_killed_before_commit_the_change_is_detected_again(baselined, inbox):
    crashed = run_cli("run", "--once", env={**baselined, "CGT_MONITOR_FAILPOINT": "check.before_commit"})
    assert crashed.returncode == -signal.SIGKILL
    assert run_cli("run", "--once", env=baselined).returncode == 0
    assert len(inbox.mails) == 1
