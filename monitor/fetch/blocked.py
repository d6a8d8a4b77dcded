"""Recognise anti-bot and firewall answers so they are reported as `blocked`, never as an empty list.

The one place that decides whether an answer is a refusal, and of which kind (`BlockKind`); everything
downstream branches on `Fetched.block`, never on the wording of a reason.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.values import BlockKind, FetchOutcome

_CHALLENGE = "anti-bot JS cookie challenge"
_CHALLENGE_MARKERS = ("$_ts", "window['$_ts']", "_$cookie", "ruishu")
_WAF_MARKERS = ("请不要使用非法的URL地址访问", "非法的URL", "访问被拒绝", "Access Denied", "web应用防火墙")
# A challenge page is a few kilobytes of settings and a script tag; real list pages are larger.
_SMALL_PAGE = 20_000

ListProbe = Callable[[str], bool]  # does this text hold the list we came for?


def block_reason(status: int, text: str, has_list: ListProbe | None = None) -> tuple[BlockKind, str] | None:
    """What kind of refusal this answer is and why, or None if it looks like a real page.

    The JS cookie challenge ("瑞数") answers 412 with a small page carrying inline `$_ts` settings. A page that
    passed the challenge still carries that inline script, so one marker proves nothing: a 200 counts as a
    challenge only when it has a marker, is small, and does not hold the expected list (when a probe says
    what that is). 202 with a marker is the challenge's other status.
    """
    if status == 412:
        return BlockKind.CHALLENGE, f"{_CHALLENGE} (HTTP 412)"
    if status == 403:
        if any(marker in text for marker in _WAF_MARKERS):
            return BlockKind.FIREWALL, "refused by the site's web application firewall (HTTP 403)"
        return BlockKind.REFUSED, "access refused (HTTP 403)"
    if status == 429:
        return BlockKind.RATE_LIMITED, "rate limited by the site (HTTP 429)"
    if status == 202 and looks_like_challenge(text):
        return BlockKind.CHALLENGE, f"{_CHALLENGE} page (HTTP 202)"
    small_challenge = status == 200 and len(text) < _SMALL_PAGE and looks_like_challenge(text)
    if small_challenge and (has_list is None or not has_list(text)):
        return BlockKind.CHALLENGE, f"{_CHALLENGE} page (HTTP 200)"
    return None


def looks_like_challenge(text: str) -> bool:
    """The challenge's inline settings are on the page (which a page that passed it still carries)."""
    return any(marker in text for marker in _CHALLENGE_MARKERS)


def is_refusal(status: int) -> bool:
    """Answers that ask us to go away for a while: the host is put on back-off."""
    return status in (403, 429)


def outcome_of(
    status: int, text: str, has_list: ListProbe | None = None
) -> tuple[FetchOutcome, BlockKind | None, str | None]:
    """How an answer (not a 304) counts: content, a refusal (of which kind), or an HTTP error."""
    if blocked := block_reason(status, text, has_list):
        kind, reason = blocked
        return FetchOutcome.BLOCKED, kind, reason
    if status >= 400:
        return FetchOutcome.ERROR, None, f"HTTP {status}"
    return FetchOutcome.OK, None, None
