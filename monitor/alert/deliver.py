"""The child side of a send: `python -m monitor.alert.deliver` reads the composed messages of one alert as
JSON on stdin, hands each to apprise, and prints one JSON line per service as soon as it has answered.

It runs in its own process so that a service which never answers can be stopped for real at the send's
deadline (a thread could only be abandoned, still holding its socket and CPU).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import apprise

from monitor.config.settings import mask_url


class _CapturingLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def deliver_one(job: dict[str, Any]) -> dict[str, Any]:
    notifier = apprise.Apprise()
    if not notifier.add(job["url"]):
        return {"index": job["index"], "ok": False, "detail": "not a valid apprise URL"}
    capture = _CapturingLogs()
    apprise_log = logging.getLogger("apprise")
    apprise_log.addHandler(capture)
    try:
        ok = notifier.notify(title=job["subject"], body=job["body"], body_format=job["format"])
    finally:
        apprise_log.removeHandler(capture)
    detail = "sent" if ok else mask_url("; ".join(capture.lines[-2:]) or "service refused or unreachable")
    return {"index": job["index"], "ok": bool(ok), "detail": detail}


def main() -> None:
    logging.getLogger("apprise").propagate = False  # its lines are reported per service, not printed
    for job in json.load(sys.stdin):
        print(json.dumps(deliver_one(job)), flush=True)


if __name__ == "__main__":
    main()
