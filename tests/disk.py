"""A small real filesystem (tmpfs) for the tests of a store that refuses writes: filled to the last byte,
freed, remounted read-only. Mounting needs root; elsewhere the tests that need it are skipped (failed in CI).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.helpers import require


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> int:
        """Write until the filesystem has not one byte left; returns the bytes written."""
        written = 0
        with open(self.filler, "ab", buffering=0) as out:
            for size in (1 << 20, 1 << 12, 1):
                try:
                    while True:
                        written += out.write(b"\0" * size)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        return written

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.path)], check=True)


@contextlib.contextmanager
def small_disk(where: Path, size: str = "4m") -> Iterator[SmallDisk]:
    require(_unavailable())
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:  # root without the right to mount (a locked-down container): not ours to install
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(where)
    finally:
        # lazily: a connection the test leaked must not leave the mount behind
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        with contextlib.suppress(OSError):
            where.rmdir()


def truncate_wal(database: Path) -> None:
    """Checkpoint the write-ahead log and cut it to nothing: the next write must take new space on disk
    (a log left at its size is reused from its start, and small writes would still fit in it)."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "the checkpoint was blocked by a reader"


class ReadOnlySwitch:
    """Makes an engine's SQLite connections refuse writes, and take them again, with SQLite's own
    `PRAGMA query_only` ("attempt to write a readonly database"): no root needed, and each transaction
    takes the current setting when it is taken from the pool."""

    def __init__(self, engine: Engine) -> None:
        self.refusing = False
        event.listen(engine, "checkout", self._checkout)  # outside any transaction: BEGIN IMMEDIATE is a write

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.execute(f"PRAGMA query_only = {int(self.refusing)}")

    def on(self) -> None:
        self.refusing = True

    def off(self) -> None:
        self.refusing = False
