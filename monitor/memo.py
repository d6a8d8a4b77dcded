"""A function of a long-lived object, computed once per object rather than once per call."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def by_identity(limit: int = 20_000) -> Callable[[Callable[[K], V]], Callable[[K], V]]:
    """Memoise `fn(obj)` by the object's identity: for frozen models asked the same question on every check,
    where hashing or dumping them costs more than the answer. Each entry holds its object, so the id is not
    reused while it is kept; past `limit` objects (sources reloaded many times over) the memo starts again."""

    def decorate(fn: Callable[[K], V]) -> Callable[[K], V]:
        kept: dict[int, tuple[K, V]] = {}

        @wraps(fn)
        def memoised(obj: K) -> V:
            entry = kept.get(id(obj))
            if entry is not None:
                return entry[1]
            if len(kept) >= limit:
                kept.clear()
            value = fn(obj)
            kept[id(obj)] = (obj, value)
            return value

        return memoised

    return decorate
