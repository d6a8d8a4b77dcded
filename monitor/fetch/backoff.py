"""Back-off for hosts that refuse us (a firewall's 403, a 429): exponential, capped, jittered.

A firewall that answers a burst with 403 bans the address for a while; asking again sooner only extends the
ban. While a host is backing off no request is sent to it at all and checks report `blocked` with the time
of the next try.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Strikes:
    count: int = 0
    until: float = 0.0


class HostBackoff:
    def __init__(
        self,
        base_s: float = 300.0,
        cap_s: float = 6 * 3600.0,
        jitter: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.base_s, self.cap_s, self.jitter = base_s, cap_s, jitter
        self._clock, self._rng = clock, rng
        self._hosts: dict[str, _Strikes] = {}

    def remaining(self, host: str) -> float:
        """Seconds until the host may be asked again; 0 when it may be asked now."""
        strikes = self._hosts.get(host)
        return max(0.0, strikes.until - self._clock()) if strikes else 0.0

    def refused(self, host: str, at_least_s: float | None = None) -> float:
        """Record a refusal; returns the back-off now in force, in seconds."""
        strikes = self._hosts.setdefault(host, _Strikes())
        strikes.count += 1
        delay = self.base_s * 2 ** (strikes.count - 1) * self._rng(1 - self.jitter, 1 + self.jitter)
        delay = min(self.cap_s, max(delay, at_least_s or 0.0))
        strikes.until = self._clock() + delay
        return delay

    def cleared(self, host: str) -> None:
        """A normal answer: the next refusal starts from the base delay again."""
        self._hosts.pop(host, None)


def retry_note(delay_s: float, now: dt.datetime | None = None) -> str:
    """'next try after 2026-09-23 10:15:00 UTC (in 5 min)' — for health reasons and logs."""
    now = now or dt.datetime.now(dt.UTC)
    at = (now + dt.timedelta(seconds=delay_s)).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"next try after {at} (in {_span(delay_s)})"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
