"""The command line: `cgt-monitor run | check | backfill | log | classify | sources | db | demo | deliveries …`."""

from monitor.cli import admin, checks, review  # noqa: F401  (each registers its commands)
from monitor.cli.base import app

__all__ = ["app"]
