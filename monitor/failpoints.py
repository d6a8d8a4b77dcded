"""Named crash points for fault-injection tests: `CGT_MONITOR_FAILPOINT=name` kills the process there.

They let tests and `bench/` prove that a crash at any step loses no alert. Unset, they cost one dict lookup.
"""

from __future__ import annotations

import os
import signal

FAILPOINT_ENV = "CGT_MONITOR_FAILPOINT"


def hit(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
