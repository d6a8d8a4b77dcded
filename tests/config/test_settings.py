from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.config import ConfigError, load_settings
from monitor.config.settings import BrowserSettings, mask_url, redact, unset_secrets

DEPLOYMENT = """
database_url = "sqlite:///${STATE}/db.sqlite"

[channels.ra-mail]
url = "mailtos://alerts:${SMTP_PASSWORD}@smtp.example.com?to=ra@example.com"

[channels.wecom]
urls = ["wecombot://${WECOM_KEY}"]

[[subscription]]
name = "ra-team"
channels = ["ra-mail", "wecom"]
agencies = ["NMPA", "CDE"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cgt-monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_the_default_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CGT_MONITOR_CONFIG", raising=False)
    monkeypatch.setenv("CGT_MONITOR_DATA", str(tmp_path))
    settings = load_settings()
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/cgt-monitor.db"
    assert load_settings(data_dir=tmp_path / "x").resolved_database_url().endswith("/x/cgt-monitor.db")


def test_env_references_are_expanded_only_when_used(tmp_path, monkeypatch):
    monkeypatch.setenv("STATE", "/srv/state")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("WECOM_KEY", "abc")
    settings = load_settings(write(tmp_path, DEPLOYMENT))
    assert settings.resolved_database_url() == "sqlite:////srv/state/db.sqlite"
    mail = settings.channels["ra-mail"]
    assert mail.resolved_urls() == ["mailtos://alerts:s3cret@smtp.example.com?to=ra@example.com"]
    assert "s3cret" not in " ".join(mail.masked_urls())


def test_a_missing_secret_is_named_with_its_channel_and_line(tmp_path, monkeypatch):
    monkeypatch.setenv("STATE", "/srv/state")
    monkeypatch.setenv("WECOM_KEY", "abc")
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    path = write(tmp_path, DEPLOYMENT)
    settings = load_settings(path)  # secrets are read when an alert is sent, not to read the file
    (warning,) = unset_secrets(settings, path, path.read_text(encoding="utf-8"))
    assert "${SMTP_PASSWORD}" in str(warning) and "[channels.ra-mail]" in str(warning)
    assert "field 'url'" in str(warning) and warning.line == 5  # the key the file uses
    with pytest.raises(ConfigError, match=r"\$\{SMTP_PASSWORD\}"):
        settings.channels["ra-mail"].resolved_urls()


def test_a_subscription_naming_an_unknown_channel_is_refused(tmp_path, monkeypatch):
    for name in ("STATE", "SMTP_PASSWORD", "WECOM_KEY"):
        monkeypatch.setenv(name, "x")
    path = write(tmp_path, DEPLOYMENT.replace('"ra-mail", "wecom"', '"ra-mail", "slack"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "unknown channel 'slack'" in str(caught.value)
    assert caught.value.line == 12


def test_bad_subscription_field_names_the_table(tmp_path, monkeypatch):
    for name in ("STATE", "SMTP_PASSWORD", "WECOM_KEY"):
        monkeypatch.setenv(name, "x")
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, DEPLOYMENT.replace('agencies = ["NMPA", "CDE"]', 'mode = "hourly"')))
    assert "[[subscription]] #1" in str(caught.value)
    assert "mode" in str(caught.value)
    assert caught.value.line == 13


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("mailtos://user:pa55word@smtp.example.com", "pa55word"),
        ("json://hooks.example.com/x?token=abcdef", "abcdef"),
    ],
)
def test_mask_url_hides_inline_secrets(url, secret):
    assert secret not in mask_url(url)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("wecombot://0123456789abcdefABCDEF", "0123456789abcdefABCDEF"),
        ("tgram://123456789:AAHabcdefGHIJKLmnopqrstuv/-100123", "AAHabcdefGHIJKLmnopqrstuv"),
        ("discord://1234567890123/abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz"),
    ],
)
def test_mask_url_hides_tokens_written_into_the_address(url, secret):
    assert secret not in mask_url(url)


def test_mask_url_keeps_what_an_operator_needs_to_recognise():
    url = "mailto://127.0.0.1:2525?from=cgt-monitor@example.org&to=ra-team@example.org&mode=insecure"
    assert mask_url(url) == url
    assert mask_url("wecombot://${WECOM_BOT_KEY}") == "wecombot://${WECOM_BOT_KEY}"


def test_two_subscriptions_with_one_name_are_refused_at_the_second(tmp_path, monkeypatch):
    for name in ("STATE", "SMTP_PASSWORD", "WECOM_KEY"):
        monkeypatch.setenv(name, "x")
    text = DEPLOYMENT + '\n[[subscription]]\nname = "ra-team"\nchannels = ["wecom"]\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert "duplicate subscription name 'ra-team'" in str(caught.value)
    assert "[[subscription]] #2" in str(caught.value) and "#1" in str(caught.value)
    assert caught.value.line == 16


def test_a_channel_listed_twice_in_one_subscription_is_refused(tmp_path, monkeypatch):
    for name in ("STATE", "SMTP_PASSWORD", "WECOM_KEY"):
        monkeypatch.setenv(name, "x")
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, DEPLOYMENT.replace('"ra-mail", "wecom"', '"wecom", "ra-mail", "wecom"')))
    assert "channel 'wecom' is listed more than once" in str(caught.value)
    assert caught.value.line == 12


def test_redact_stars_the_secrets_of_the_url_and_no_ordinary_word():
    url = "wecombot://0123456789abcdefABCDEF"
    message = "Sending WeCom notification to 0123456789abcdefABCDEF failed: unauthorised"
    redacted = redact(message, url)
    assert "0123456789abcdefABCDEF" not in redacted
    assert "notification" in redacted and "unauthorised" in redacted


def test_relevance_is_title_or_title_and_body_and_names_its_line(tmp_path, monkeypatch):
    for name in ("STATE", "SMTP_PASSWORD", "WECOM_KEY"):
        monkeypatch.setenv(name, "x")
    assert load_settings(write(tmp_path, DEPLOYMENT)).subscription[0].relevance == "title+body"
    narrow = DEPLOYMENT.replace('agencies = ["NMPA", "CDE"]', 'relevance = "title"')
    assert load_settings(write(tmp_path, narrow)).subscription[0].relevance == "title"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, DEPLOYMENT.replace('agencies = ["NMPA", "CDE"]', 'relevance = "body"')))
    assert "relevance" in str(caught.value) and caught.value.line == 13


def test_the_browser_idle_close_is_a_finite_number_of_seconds_or_zero_for_never():
    assert BrowserSettings().idle_close_s == 300
    assert BrowserSettings(idle_close_s=0).idle_close_s == 0
    for wrong in (-1, float("nan"), float("inf"), "soon"):
        with pytest.raises(ValidationError, match="idle_close_s"):
            BrowserSettings(idle_close_s=wrong)
