"""Sending through apprise: each URL of a channel on its own, in the format and size that service takes,
in a child process (`alert/deliver.py`) that is stopped at the send's deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from monitor.alert.render import Format, Message
from monitor.config.errors import ConfigError
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
    stopped: bool = False  # no answer by the deadline: the service is stuck, not refusing


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
    def stopped(self) -> bool:
        return any(t.stopped for t in self.targets)

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


class AppriseSender:
    """Sends each service of a channel through apprise, each in a child process with a hard deadline."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s

    async def send(
        self,
        channel_name: str,
        channel: Channel,
        compose: Compose,
        skip: Collection[int] = (),
        alert_id: str | None = None,
    ) -> SendResult:
        targets = {index: mask_url(raw) for index, raw in enumerate(channel.urls) if index not in skip}
        try:
            urls = channel.resolved_urls()
        except ConfigError as exc:  # a secret that is not set: every service of the channel fails alike
            return _failed(channel_name, targets, exc.message)
        jobs = []
        for index in targets:  # a service that already has it is skipped: a retry must not repeat it there
            url = with_alert_id(urls[index], alert_id)
            fmt, limit = profile(channel, url)
            message = compose(fmt, limit)
            job = {"url": url, "format": fmt, "subject": message.subject, "body": message.body}
            if alert_id:
                job["message_id"] = f"<{alert_id}@cgt-monitor>"  # one alert, one Message-ID: mailboxes drop repeats
            jobs.append(job)
        # the services of a channel side by side, each with its own deadline: a slow one starves no other
        answers = await asyncio.gather(*(deliver_in_child(job, self.timeout_s) for job in jobs))
        result = SendResult(
            tuple(
                TargetResult(index, target, ok, detail, stopped)
                for (index, target), (ok, detail, stopped) in zip(targets.items(), answers, strict=True)
            )
        )
        if not result.ok:
            log.warning("channel %s: %s", channel_name, result.detail)
        return result


def _failed(channel_name: str, targets: dict[int, str], why: str) -> SendResult:
    log.warning("channel %s: %s", channel_name, why)
    return SendResult(tuple(TargetResult(index, target, False, why) for index, target in targets.items()))


async def deliver_in_child(job: dict[str, str], timeout_s: float) -> tuple[bool, str, bool]:
    """(ok, detail, stopped) of one service, from `python -m monitor.alert.deliver`, killed at the deadline.

    The message goes in on stdin (never in argv, where secrets would show in `ps`), the answer comes back
    as the last JSON line of stdout.
    """
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor.alert.deliver",
            str(timeout_s),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError as exc:
        return False, f"could not start the sender: {exc}", False
    try:
        async with asyncio.timeout(timeout_s):
            output, _ = await child.communicate(json.dumps(job).encode())
    except TimeoutError:
        return False, f"no answer within {timeout_s:g} s: the send was stopped", True
    finally:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
    for line in reversed(output.splitlines()):
        with contextlib.suppress(ValueError, KeyError, TypeError):
            answer = json.loads(line)
            return bool(answer["ok"]), str(answer["detail"]), False
    return False, f"the sender stopped without an answer (exit {child.returncode})", False


def url_problem(url: str) -> str | None:
    """Why apprise would refuse this channel URL, or None. A URL with ${NAME} references is checked for its
    scheme only (the secret is not known here); one without is parsed by apprise itself."""
    import apprise

    if url.startswith("${"):
        return None  # the whole URL is a secret: apprise checks it when it is sent
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in _apprise_schemes():
        return f"'{scheme or url}' is not a scheme apprise knows (e.g. mailto, mailtos, wecombot, dingtalk, feishu)"
    if "${" not in url and not apprise.Apprise().add(url):
        return "apprise cannot parse this URL (see the service's page in the apprise wiki)"
    return None


@lru_cache(maxsize=1)
def _apprise_schemes() -> frozenset[str]:
    import apprise

    return frozenset(
        protocol
        for schema in apprise.Apprise().details()["schemas"]
        for protocol in (*(schema.get("protocols") or ()), *(schema.get("secure_protocols") or ()))
    )
