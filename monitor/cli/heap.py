"""The interpreter's heap around start-up: imports without the cycle collector, then frozen.

Importing the stack (Typer, Rich, pydantic, SQLAlchemy, httpx and ours) makes hundreds of thousands of
objects — modules, classes, functions — that live as long as the process. The cycle collector would
scan them again at every collection it runs meanwhile, and every full collection afterwards: here it is
off while they are made, and they are then moved out of its sight (`gc.freeze`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def starting() -> Iterator[None]:
    """No cyclic collection while the block imports (or builds what the process keeps); what it built is
    then frozen, and the collector is as it was otherwise. Unfrozen, all of it would be young: the first
    collection after the block would scan every object the imports made (~20 ms at a start)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        settle()
        if enabled:
            gc.enable()


def settle() -> None:
    """Everything alive now is left out of every later collection: what a long run allocates is scanned,
    not the stack it runs on."""
    gc.freeze()
