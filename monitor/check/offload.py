"""CPU work of a check (parsing pages) off the event loop, in a thread that never holds up an exit.

lexbor releases the GIL while it parses, so the loop keeps serving other sources and signals. The thread
is a daemon thread rather than an executor's: a page built to take minutes to parse is abandoned at the
check's deadline, and an executor would make the process wait for it at exit; a daemon thread does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def off_loop(fn: Callable[..., T], *args: object) -> T:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # the check gave up on it (deadline, shutdown)
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (fn(*args), None)
        except BaseException as exc:  # handed to the awaiting check, which records it
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name="cgt-parse", daemon=True).start()
    return await future
