"""One line per fault in the log; the traceback only for whoever asked for it (-v)."""

from __future__ import annotations

import logging


def fault(log: logging.Logger, message: str, *args: object) -> None:
    """Log the exception being handled as one ERROR line, with its traceback at DEBUG."""
    log.error(message + ": %s", *args, _current(), exc_info=log.isEnabledFor(logging.DEBUG))


def _current() -> str:
    import sys

    exc = sys.exc_info()[1]
    return f"{type(exc).__name__}: {exc}" if exc else "unknown error"
