"""Chromium's processes under this one and what they weigh, for keeping the browser to its memory budget.

PSS (proportional set size) splits each page shared between processes among them, so its sum over a process
tree is what the tree costs the machine; RSS would count Chromium's shared binary once per process. Linux
only (/proc); elsewhere nothing is found.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_PROC = Path("/proc")


def descendants(root: int) -> list[int]:
    """The processes below `root` (children, their children, …), not `root` itself."""
    children: dict[int, list[int]] = {}
    try:
        entries = list(_PROC.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])  # the name in parentheses may hold spaces
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(found)


def is_chromium(pid: int) -> bool:
    """Chromium or Chrome, in any of its roles (browser, zygote, renderer, GPU, utility), or its headless shell."""
    try:
        name = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:  # exited, a zombie, or not ours to look at
        return False
    return name.startswith(("chromium", "chrome"))


def chromium_processes(root: int | None = None) -> list[int]:
    """Chromium's processes started, directly or through Playwright's driver, by `root` (default: this process)."""
    return [pid for pid in descendants(os.getpid() if root is None else root) if is_chromium(pid)]


def process_role(pid: int) -> str:
    """The process's part: `browser`, or a child's `--type` (`renderer`, `zygote`, `gpu-process`, `utility`, …);
    `ui-renderer` for a renderer of the browser's own interface (its WebUI), not of a page."""
    try:
        # Chromium rewrites its children's command lines into one space-separated string
        args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return "gone"
    if "--top-chrome-webui" in args:
        return "ui-renderer"
    return next((arg.removeprefix("--type=") for arg in args if arg.startswith("--type=")), "browser")


def pss_kb(pids: Iterable[int]) -> int:
    """The summed PSS of these processes, in KiB (0 for any that is gone)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total
