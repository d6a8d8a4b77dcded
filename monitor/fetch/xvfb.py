"""A virtual X display (Debian's `xvfb`) for running the browser with a window on a machine without one.

Xvfb picks a free display number itself (-displayfd) and writes it to a pipe once it accepts clients, so two
instances never race for the same display and nothing polls for a socket.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time


class XvfbError(RuntimeError):
    pass


class Xvfb:
    def __init__(self, executable: str = "Xvfb", screen: str = "1366x768x24", start_timeout_s: float = 10.0) -> None:
        self.executable = executable
        self.screen = screen
        self.start_timeout_s = start_timeout_s
        self.display: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the server; returns the DISPLAY value (":N")."""
        if self.display is not None and self._process is not None and self._process.poll() is None:
            return self.display
        self.stop()  # not started yet, or it died: start afresh
        binary = shutil.which(self.executable)
        if binary is None:
            raise XvfbError(f"{self.executable} not found: install Debian's xvfb package to run a non-headless browser")
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [binary, "-displayfd", str(write_end), "-screen", "0", self.screen, "-nolisten", "tcp"],
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.close(write_end)
            write_end = -1
            number = self._read_display(read_end)
        finally:
            if write_end >= 0:
                os.close(write_end)
            os.close(read_end)
        self.display = f":{number}"
        return self.display

    def _read_display(self, fd: int) -> str:
        deadline = time.monotonic() + self.start_timeout_s
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
            chunk = os.read(fd, 64) if ready else b""
            if not chunk:
                self.stop()
                raise XvfbError("Xvfb did not start (no display reported)")
            data += chunk
        return data.decode().strip()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self.display = None

    def __enter__(self) -> Xvfb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
