"""Sending through apprise: each URL of a channel on its own, in the format and size that service takes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

import apprise

from monitor.alert.render import Format, Message
from monitor.config.settings import Channel, mask_url

log = logging.getLogger(__name__)

# (format, size cap in UTF-8 bytes) by apprise scheme; the cap leaves the service's own limit unreached
_PROFILES: dict[str, tuple[Format, int | None]] = {
    "mailto": ("html", None),
    "mailtos": ("html", None),
    "wecombot": ("text", 2048),
    "dingtalk": ("markdown", 20000),
    "feishu": ("markdown", 30000),
    "lark": ("markdown", 30000),
    "slack": ("markdown", 40000),
    "tgram": ("markdown", 4096),
    "discord": ("markdown", 2000),
    "ntfy": ("markdown", 4096),
    "ntfys": ("markdown", 4096),
    "json": ("text", None),
    "jsons": ("text", None),
}

Compose = Callable[[Format, int | None], Message]


def profile(channel: Channel, url: str) -> tuple[Format, int | None]:
    scheme = url.split("://", 1)[0].lower()
    fmt, limit = _PROFILES.get(scheme, ("text", None))
    return (channel.format or fmt), limit


@dataclass(frozen=True)
class TargetResult:
    index: int
    target: str  # the URL, masked
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class SendResult:
    targets: tuple[TargetResult, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.targets)

    @property
    def succeeded(self) -> list[int]:
        return [t.index for t in self.targets if t.ok]

    @property
    def detail(self) -> str:
        return " | ".join(f"{t.target}: {t.detail}" for t in self.targets if not t.ok)


ALERT_ID_HEADER = "X-CGT-Alert-Id"


def with_alert_id(url: str, alert_id: str | None) -> str:
    """The apprise URL with the alert's idempotency key as a header (`+Header=value`, e-mail and webhooks).

    Delivery is at least once: a crash between a send and its record repeats that send. The key is the
    same on the repeat, so a receiver (a webhook consumer, a mail filter) can drop it.
    """
    scheme = url.split("://", 1)[0].lower()
    if not alert_id or scheme not in _HEADER_SCHEMES:
        return url
    return f"{url}{'&' if '?' in url else '?'}+{ALERT_ID_HEADER}={alert_id}"


_HEADER_SCHEMES = {"mailto", "mailtos", "json", "jsons", "xml", "xmls", "form", "forms"}


class Sender(Protocol):
    async def send(
        self,
        channel_name: str,
        channel: Channel,
        compose: Compose,
        skip: Collection[int] = (),
        alert_id: str | None = None,
    ) -> SendResult: ...


class _CapturingLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class AppriseSender:
    async def send(
        self,
        channel_name: str,
        channel: Channel,
        compose: Compose,
        skip: Collection[int] = (),
        alert_id: str | None = None,
    ) -> SendResult:
        return await asyncio.to_thread(self._send_blocking, channel_name, channel, compose, skip, alert_id)

    def _send_blocking(
        self, channel_name: str, channel: Channel, compose: Compose, skip: Collection[int], alert_id: str | None
    ) -> SendResult:
        results = []
        for index, (raw_url, url) in enumerate(zip(channel.urls, channel.resolved_urls(), strict=True)):
            if index in skip:
                continue  # this service already has it: a retry must not repeat it there
            results.append(self._send_one(index, raw_url, with_alert_id(url, alert_id), channel, compose))
        result = SendResult(tuple(results))
        if not result.ok:
            log.warning("channel %s: %s", channel_name, result.detail)
        return result

    @staticmethod
    def _send_one(index: int, raw_url: str, url: str, channel: Channel, compose: Compose) -> TargetResult:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return TargetResult(index, mask_url(raw_url), False, "not a valid apprise URL")
        fmt, limit = profile(channel, url)
        message = compose(fmt, limit)
        capture = _CapturingLogs()
        apprise_log = logging.getLogger("apprise")
        apprise_log.addHandler(capture)
        try:
            ok = notifier.notify(title=message.subject, body=message.body, body_format=fmt)
        finally:
            apprise_log.removeHandler(capture)
        why = "" if ok else mask_url("; ".join(capture.lines[-2:]) or "service refused or unreachable")
        return TargetResult(index, mask_url(raw_url), bool(ok), why or "sent")
