"""The child side of a send: `python -m monitor.alert.deliver TIMEOUT` reads one composed message as JSON
on stdin, hands it to apprise, and prints the answer as one JSON line.

It runs in its own process so that a service which never answers can be stopped for real at the send's
deadline (a thread could only be abandoned, still holding its socket and CPU). It dies with the daemon
(a killed daemon leaves no sender behind to repeat an alert the restarted one sends again), ignores the
SIGTERM/SIGINT meant for the daemon (a stopping daemon lets its sends finish), and ends itself just past
the deadline should the daemon not.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1


class _CapturingLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _tie_to_parent(timeout_s: float) -> None:
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere the alarm still bounds it
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:  # the daemon died before the tie was made
        os._exit(1)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.alarm(int(timeout_s) + 5)


def _fix_message_id(message_id: str) -> None:
    """The e-mail's Message-ID is the alert's own, so the one retransmission a crash can cause (same alert,
    same id) is dropped by the mailbox. apprise builds the header from `email.utils.make_msgid`; in this
    one-message process that name is pointed at the alert's id."""
    with contextlib.suppress(ImportError, AttributeError):
        from apprise.plugins.email import base

        base.make_msgid = lambda *_args, **_kwargs: message_id


def deliver(job: dict[str, Any]) -> dict[str, Any]:
    import apprise

    from monitor.config.settings import redact

    if message_id := job.get("message_id"):
        _fix_message_id(message_id)
    notifier = apprise.Apprise()
    if not notifier.add(job["url"]):
        return {"ok": False, "detail": "not a valid apprise URL"}
    capture = _CapturingLogs()
    apprise_log = logging.getLogger("apprise")
    apprise_log.addHandler(capture)
    apprise_log.propagate = False  # its lines are reported with the answer, not printed
    try:
        ok = notifier.notify(title=job["subject"], body=job["body"], body_format=job["format"])
    except Exception as exc:  # a plugin's bug is this service's failure, reported as such
        return {"ok": False, "detail": redact(f"{type(exc).__name__}: {exc}", job["url"])}
    finally:
        apprise_log.removeHandler(capture)
    detail = "sent" if ok else redact("; ".join(capture.lines[-2:]) or "service refused or unreachable", job["url"])
    return {"ok": bool(ok), "detail": detail}


def main() -> None:
    _tie_to_parent(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
    answer_to = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # whatever a library prints cannot be taken for the answer
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    answer_to.write(json.dumps(deliver(job)) + "\n")
    answer_to.flush()


if __name__ == "__main__":
    main()
