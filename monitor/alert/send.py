"""Sending through apprise: one Apprise object per channel, run off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

import apprise

from monitor.alert.render import Message
from monitor.config.settings import Channel, mask_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    detail: str = ""


class Sender(Protocol):
    async def send(self, channel_name: str, channel: Channel, message: Message) -> SendResult: ...


class _CapturingLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _body_format(channel: Channel, url: str) -> str:
    if channel.format:
        return channel.format
    return "html" if url.startswith(("mailto", "mailtos")) else "text"


class AppriseSender:
    async def send(self, channel_name: str, channel: Channel, message: Message) -> SendResult:
        return await asyncio.to_thread(self._send_blocking, channel_name, channel, message)

    def _send_blocking(self, channel_name: str, channel: Channel, message: Message) -> SendResult:
        failures: list[str] = []
        for raw_url, url in zip(channel.urls, channel.resolved_urls(), strict=True):
            notifier = apprise.Apprise()
            if not notifier.add(url):
                failures.append(f"{mask_url(raw_url)}: not a valid apprise URL")
                continue
            body_format = _body_format(channel, url)
            body = message.html if body_format == "html" else message.text
            capture = _CapturingLogs()
            apprise_log = logging.getLogger("apprise")
            apprise_log.addHandler(capture)
            try:
                ok = notifier.notify(title=message.subject, body=body, body_format=body_format)
            finally:
                apprise_log.removeHandler(capture)
            if not ok:
                why = "; ".join(capture.lines[-2:]) or "service refused or unreachable"
                failures.append(f"{mask_url(raw_url)}: {mask_url(why)}")
        if failures:
            log.warning("channel %s: %s", channel_name, " | ".join(failures))
            return SendResult(False, " | ".join(failures))
        return SendResult(True, "sent")
