"""Kill the real process at each step of a check; restart it; count what the real SMTP server received."""

import signal

import pytest

from monitor.testing.localsite import Page
from tests.helpers import deployment, next_day, run_cli, site_page

pytestmark = pytest.mark.slow


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
