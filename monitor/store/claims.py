"""Which process is sending an outbox row: so two dispatchers never send the same alert.

A dispatcher claims rows before sending (status "sending", `claimed_by` = this process, `next_attempt_at` =
the end of its lease). A claim is stale — the row may be claimed again — when its process is gone (same
host: the PID is dead or reused) or its lease has run out (another host). A crash between send and mark
therefore repeats at most that one send, as soon as the next process starts.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from functools import lru_cache
from pathlib import Path


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused PID apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 else None


@lru_cache(maxsize=1)
def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()) or '-'}"


def claim_is_stale(claimed_by: str | None, lease_until: dt.datetime, now: dt.datetime) -> bool:
    if not claimed_by:
        return True
    if lease_until <= now:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only its lease can tell
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    return started not in ("-", _start_time(pid) or "?")
