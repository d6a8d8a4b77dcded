"""Per-host politeness: a concurrency cap and a minimum spacing between request starts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _HostState:
    slots: asyncio.Semaphore
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


class HostGate:
    """Every request to a host passes through `slot(host)`; hosts never see bursts from us."""

    def __init__(self, concurrency: int = 2, min_delay_s: float = 1.0) -> None:
        self._concurrency = concurrency
        self._min_delay_s = min_delay_s
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        if host not in self._hosts:
            self._hosts[host] = _HostState(asyncio.Semaphore(self._concurrency))
        return self._hosts[host]

    @asynccontextmanager
    async def slot(self, host: str, min_delay_s: float | None = None) -> AsyncIterator[None]:
        state = self._state(host)
        delay = self._min_delay_s if min_delay_s is None else min_delay_s
        async with state.slots:
            async with state.spacing:
                wait = state.next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                state.next_start = time.monotonic() + delay
            yield
