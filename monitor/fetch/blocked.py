"""Recognise anti-bot and firewall answers so they are reported as `blocked`, never as an empty list."""

from __future__ import annotations

_CHALLENGE_MARKERS = ("$_ts", "window['$_ts']", "_$cookie", "ruishu")
_WAF_MARKERS = ("请不要使用非法的URL地址访问", "非法的URL", "访问被拒绝", "Access Denied", "web应用防火墙")


def block_reason(status: int, text: str) -> str | None:
    """Why this answer is a refusal rather than content, or None if it looks like a real page.

    The JS cookie challenge ("瑞数") answers 412 with a small page carrying inline `$_ts` settings; a page
    that passed the challenge may still carry that script, so a 200 counts as blocked only when it is
    small — callers also treat "no items and a challenge marker" as blocked.
    """
    if status == 412:
        return "anti-bot JS cookie challenge (HTTP 412)"
    if status == 403:
        if any(marker in text for marker in _WAF_MARKERS):
            return "refused by the site's web application firewall (HTTP 403)"
        return "access refused (HTTP 403)"
    if status == 429:
        return "rate limited by the site (HTTP 429)"
    if status == 200 and len(text) < 20_000 and looks_like_challenge(text):
        return "anti-bot JS cookie challenge page (HTTP 200)"
    return None


def looks_like_challenge(text: str) -> bool:
    return any(marker in text for marker in _CHALLENGE_MARKERS)
