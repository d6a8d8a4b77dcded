"""Per-host politeness: a concurrency cap and a minimum spacing between request starts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _HostState:
    limit: int
    active: int = 0
    floor_s: float = 0.0  # a spacing no request to this host goes below (set once it has refused us)
    turns: asyncio.Condition = field(default_factory=asyncio.Condition)
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
            self._hosts[host] = _HostState(self._concurrency)
        return self._hosts[host]

    def serialise(self, host: str, min_spacing_s: float) -> None:
        """From now on one request at a time to this host, starts at least `min_spacing_s` apart."""
        state = self._state(host)
        state.limit = 1
        state.floor_s = max(state.floor_s, min_spacing_s)

    @asynccontextmanager
    async def slot(self, host: str, min_delay_s: float | None = None, spaced: bool = True) -> AsyncIterator[None]:
        """A turn at the host. `spaced=False` is for the follow-up a challenge answer asks for at once (its
        reload); it still counts towards the concurrency cap and pushes the next request back."""
        state = self._state(host)
        async with state.turns:
            await state.turns.wait_for(lambda: state.active < state.limit)
            state.active += 1
        try:
            delay = max(self._min_delay_s if min_delay_s is None else min_delay_s, state.floor_s)
            async with state.spacing:
                wait = state.next_start - time.monotonic()
                if wait > 0 and (spaced or state.floor_s > 0):
                    await asyncio.sleep(wait)
                state.next_start = time.monotonic() + delay
            yield
        finally:
            async with state.turns:
                state.active -= 1
                state.turns.notify_all()
