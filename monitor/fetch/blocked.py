"""Recognise anti-bot and firewall answers so they are reported as `blocked`, never as an empty list."""

from __future__ import annotations

from collections.abc import Callable

from monitor.values import Fetched, FetchOutcome

CHALLENGE = "anti-bot JS cookie challenge"
_CHALLENGE_MARKERS = ("$_ts", "window['$_ts']", "_$cookie", "ruishu")
_WAF_MARKERS = ("请不要使用非法的URL地址访问", "非法的URL", "访问被拒绝", "Access Denied", "web应用防火墙")
# A challenge page is a few kilobytes of settings and a script tag; real list pages are larger.
_SMALL_PAGE = 20_000

ListProbe = Callable[[str], bool]  # does this text hold the list we came for?


def block_reason(status: int, text: str, has_list: ListProbe | None = None) -> str | None:
    """Why this answer is a refusal rather than content, or None if it looks like a real page.

    The JS cookie challenge ("瑞数") answers 412 with a small page carrying inline `$_ts` settings. A page that
    passed the challenge still carries that inline script, so one marker proves nothing: a 200 counts as a
    challenge only when it has a marker, is small, and does not hold the expected list (when a probe says
    what that is). 202 with a marker is the challenge's other status.
    """
    if status == 412:
        return f"{CHALLENGE} (HTTP 412)"
    if status == 403:
        if any(marker in text for marker in _WAF_MARKERS):
            return "refused by the site's web application firewall (HTTP 403)"
        return "access refused (HTTP 403)"
    if status == 429:
        return "rate limited by the site (HTTP 429)"
    if status == 202 and looks_like_challenge(text):
        return f"{CHALLENGE} page (HTTP 202)"
    small_challenge = status == 200 and len(text) < _SMALL_PAGE and looks_like_challenge(text)
    if small_challenge and (has_list is None or not has_list(text)):
        return f"{CHALLENGE} page (HTTP 200)"
    return None


def looks_like_challenge(text: str) -> bool:
    return any(marker in text for marker in _CHALLENGE_MARKERS)


def is_refusal(status: int) -> bool:
    """Answers that ask us to go away for a while: the host is put on back-off."""
    return status in (403, 429)


def is_challenge(fetched: Fetched) -> bool:
    """A challenge a real browser may pass (as opposed to a firewall refusal, which it would not)."""
    return fetched.outcome is FetchOutcome.BLOCKED and (fetched.reason or "").startswith(CHALLENGE)


def outcome_of(status: int, text: str, has_list: ListProbe | None = None) -> tuple[FetchOutcome, str | None]:
    """How an answer (not a 304) counts: content, a refusal, or an HTTP error."""
    if reason := block_reason(status, text, has_list):
        return FetchOutcome.BLOCKED, reason
    if status >= 400:
        return FetchOutcome.ERROR, f"HTTP {status}"
    return FetchOutcome.OK, None
