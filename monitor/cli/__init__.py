"""The command line: `cgt-monitor run | check | backfill | log | classify | sources | db | demo | deliveries …`."""

import sys

from monitor.cli.heap import starting

with starting():
    from monitor.cli import admin, checks, desk, onboard, review, web  # noqa: F401  (each registers its commands)
    from monitor.cli.base import app, complain


def main() -> None:
    """The console entry point: whatever goes wrong reaches the user as one line, never a traceback
    (`-v` adds it, for a bug report)."""
    verbose = any(arg in ("-v", "-vv", "--verbose") for arg in sys.argv[1:])
    try:
        app(prog_name="cgt-monitor")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if verbose:
            import traceback

            traceback.print_exc()
        from monitor.store.db import write_refusal

        if why := write_refusal(exc):  # the operator's to fix, not a bug to report: said in its own words
            complain("error", f"the database refuses writes: {why}")
        else:
            complain("error", f"{type(exc).__name__}: {exc}" + ("" if verbose else " (run with -v for the details)"))
        sys.exit(1)


__all__ = ["app", "main"]
