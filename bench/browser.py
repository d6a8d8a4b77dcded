"""Browser fetch against a plain fetch: launch time, time per fetch, peak memory.

    python bench/browser.py [--fetches 10]

The recorded NMPA list page (monitor/demo/pages/recorded/nmpa-ggtg.html) is served by a separate process twice on
127.0.0.1: plainly, and behind the imitation JS cookie challenge (monitor/challengesite.py). Measured here:

- plain: httpx fetches of the unguarded page;
- browser: launching the shared Chromium, then browser fetches that pass the challenge each time (a fresh
  context per fetch: 412, the script, the cookie, the reload, the list);
- hand-off: httpx fetches with the cookies and User-Agent the browser earned, as most polls of a guarded
  site are made.

Memory is sampled every 20 ms over this process and all its descendants (Playwright's driver, Chromium's
processes): RSS summed (shared pages counted once per process) and PSS (shared pages split), in MB. The last
line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config.settings import BrowserSettings, FetchSettings
from monitor.fetch import BrowserFetcher, BrowserRequest, HttpFetcher, RequestOptions
from monitor.fetch.browser import browser_unavailable
from monitor.values import FetchOutcome

PAGE = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "pages" / "recorded" / "nmpa-ggtg.html"
LIST = "/xxgk/ggtg/index.html"


def serve(urls: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    from monitor.testing.challengesite import ChallengeSite
    from monitor.testing.localsite import LocalSite, Page

    body = PAGE.read_bytes()
    with LocalSite() as plain, ChallengeSite(uses=10_000) as guarded:
        plain.set(LIST, Page(body))
        guarded.set(LIST, Page(body))
        urls.put((plain.url(LIST), guarded.url(LIST)))
        stop.wait()


class MemorySampler:
    """Peak RSS and PSS of this process tree, sampled on a thread."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = pss = 0
            for pid in _tree(os.getpid()):
                rss += _field(f"/proc/{pid}/status", "VmRSS:")
                pss += _field(f"/proc/{pid}/smaps_rollup", "Pss:")
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._stop.wait(self.interval_s)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _field(path: str, name: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


async def timed(fetch, expect_mode: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fetched = await fetch()
    elapsed = time.perf_counter() - started
    if fetched.outcome is not FetchOutcome.OK or fetched.mode != expect_mode:
        raise SystemExit(f"unexpected answer: {fetched.outcome} via {fetched.mode}: {fetched.reason}")
    return elapsed


async def measure(plain_url: str, guarded_url: str, fetches: int) -> dict[str, float]:
    settings = FetchSettings(per_host_min_delay_s=0.0, retries=0)
    figures: dict[str, float] = {}
    async with HttpFetcher(settings) as http:
        await http.fetch(plain_url)  # connection and client set up
        with MemorySampler() as memory:
            times = [await timed(lambda: http.fetch(plain_url), "http") for _ in range(fetches)]
        figures["plain_fetch_ms"] = statistics.median(times) * 1000
        figures["plain_peak_rss_mb"] = memory.peak_rss_kb / 1024
        figures["plain_peak_pss_mb"] = memory.peak_pss_kb / 1024

    async with HttpFetcher(settings) as http, BrowserFetcher(BrowserSettings(), http) as browser:
        request = BrowserRequest(wait_for="div.list ul li")
        with MemorySampler() as memory:
            first = await timed(lambda: browser.fetch(guarded_url, RequestOptions(), request), "browser")
            figures["browser_launch_s"] = browser.last_launch_s or 0.0
            figures["browser_first_fetch_s"] = first
            times = [
                await timed(lambda: browser.fetch(guarded_url, RequestOptions(), request), "browser")
                for _ in range(fetches)
            ]
            figures["browser_fetch_s"] = statistics.median(times)
            handed = [await timed(lambda: http.fetch(guarded_url), "http+cookies") for _ in range(fetches)]
            figures["handoff_fetch_ms"] = statistics.median(handed) * 1000
        figures["browser_peak_rss_mb"] = memory.peak_rss_kb / 1024
        figures["browser_peak_pss_mb"] = memory.peak_pss_kb / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetches", type=int, default=10)
    args = parser.parse_args()
    if reason := browser_unavailable(BrowserSettings()):
        raise SystemExit(f"cannot measure the browser: {reason}")
    urls: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(urls, stop), daemon=True)
    server.start()
    try:
        plain_url, guarded_url = urls.get(timeout=30)
        f = asyncio.run(measure(plain_url, guarded_url, args.fetches))
    finally:
        stop.set()
        server.join(timeout=10)
    print(f"plain httpx fetch:        {f['plain_fetch_ms']:.1f} ms (median of {args.fetches})")
    print(f"browser launch:           {f['browser_launch_s']:.2f} s (once; shared by every browser fetch)")
    print(f"first browser fetch:      {f['browser_first_fetch_s']:.2f} s (launch + challenge + list)")
    print(f"browser fetch:            {f['browser_fetch_s']:.2f} s (median; challenge passed each time)")
    print(f"hand-off httpx fetch:     {f['handoff_fetch_ms']:.1f} ms (median; the browser's cookies)")
    print(f"peak memory, plain:       RSS {f['plain_peak_rss_mb']:.0f} MB, PSS {f['plain_peak_pss_mb']:.0f} MB")
    print(f"peak memory, browser:     RSS {f['browser_peak_rss_mb']:.0f} MB, PSS {f['browser_peak_pss_mb']:.0f} MB")
    print(" ".join(f"{name}={value:.3f}" for name, value in f.items()))


if __name__ == "__main__":
    main()
