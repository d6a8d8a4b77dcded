"""Browser fetch against a plain fetch: launch time, time per fetch, memory, and the browser's idle close.

    python bench/browser.py [--fetches 10] [--idle-close-s 2]

The recorded NMPA list page (monitor/demo/pages/recorded/nmpa-ggtg.html) is served by a separate process twice on
127.0.0.1: plainly, and behind the imitation JS cookie challenge (monitor/challengesite.py). Measured here:

- plain: httpx fetches of the unguarded page;
- browser: launching the shared Chromium, then browser fetches that pass the challenge each time (a fresh
  context per fetch: 412, the script, the cookie, the reload, the list);
- hand-off: httpx fetches with the cookies and User-Agent the browser earned, as most polls of a guarded
  site are made.

Memory is sampled every 20 ms over this process and all its descendants but the page server (Playwright's
driver, Chromium's processes): RSS summed (shared pages counted once per process) and PSS (shared pages split),
in MB. The browser's own budget is Chromium's process tree alone (`monitor/fetch/browserprocs.py`): its
summed PSS and process count while it passes the challenge (peak and median), and again once it has sat
unused for `--idle-close-s` and closed (nothing should be left). Playwright's driver, a Node process that
lives and goes with the browser, is reported beside it. The last line is machine-readable, its first fields
`browser_pss_mb=… processes=… idle_closed=yes|no`.
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
from monitor.fetch.browserprocs import chromium_processes, descendants, process_role, pss_kb
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
    """Peak RSS and PSS of this process tree (less `excluded` and its own), and Chromium's share of it,
    sampled on a thread."""

    def __init__(self, excluded: int | None = None, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.excluded = excluded
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.chromium_pss_kb: list[int] = []  # one per sample
        self.chromium_processes: list[list[tuple[str, int]]] = []  # each sample's processes: role, PSS in KiB
        self.driver_pss_kb: list[int] = []
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
            skipped = {self.excluded, *descendants(self.excluded)} if self.excluded else set()
            tree = [pid for pid in [os.getpid(), *descendants(os.getpid())] if pid not in skipped]
            chromium = [pid for pid in chromium_processes() if pid not in skipped]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(_field(f"/proc/{pid}/status", "VmRSS:") for pid in tree))
            self.peak_pss_kb = max(self.peak_pss_kb, pss_kb(tree))
            if chromium:
                self.chromium_pss_kb.append(pss_kb(chromium))
                self.chromium_processes.append([(process_role(pid), pss_kb([pid])) for pid in chromium])
                self.driver_pss_kb.append(pss_kb(pid for pid in tree if _name(pid) == "node"))
            self._stop.wait(self.interval_s)


def _name(pid: int) -> str:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return ""


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


async def measure(
    plain_url: str, guarded_url: str, fetches: int, browser_settings: BrowserSettings, server: int
) -> dict[str, float]:
    settings = FetchSettings(per_host_min_delay_s=0.0, retries=0)
    figures: dict[str, float] = {}
    async with HttpFetcher(settings) as http:
        await http.fetch(plain_url)  # connection and client set up
        with MemorySampler(server) as memory:
            times = [await timed(lambda: http.fetch(plain_url), "http") for _ in range(fetches)]
        figures["plain_fetch_ms"] = statistics.median(times) * 1000
        figures["plain_peak_rss_mb"] = memory.peak_rss_kb / 1024
        figures["plain_peak_pss_mb"] = memory.peak_pss_kb / 1024

    idle_close_s = browser_settings.idle_close_s
    async with HttpFetcher(settings) as http, BrowserFetcher(browser_settings, http) as browser:
        request = BrowserRequest(wait_for="div.list ul li")
        with MemorySampler(server) as memory:
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
        if not memory.chromium_pss_kb:
            raise SystemExit("no Chromium process was ever seen under this one")
        peak = max(range(len(memory.chromium_pss_kb)), key=memory.chromium_pss_kb.__getitem__)
        figures["chromium_pss_mb"] = memory.chromium_pss_kb[peak] / 1024
        figures["chromium_pss_median_mb"] = statistics.median(memory.chromium_pss_kb) / 1024
        figures["driver_pss_mb"] = statistics.median(memory.driver_pss_kb) / 1024
        figures["processes"] = max(len(roles) for roles in memory.chromium_processes)
        figures["page_renderers"] = max(
            [role for role, _ in sample].count("renderer") for sample in memory.chromium_processes
        )
        at_peak = memory.chromium_processes[peak]
        roles = ", ".join(f"{role} {kb / 1024:.0f}" for role, kb in sorted(at_peak, key=lambda p: -p[1]))
        # unused now: the browser closes after its idle period, driver and all
        started = time.monotonic()
        while browser.running and time.monotonic() - started < idle_close_s + 60:
            await asyncio.sleep(0.05)
        left = chromium_processes()
        figures["idle_close_after_s"] = time.monotonic() - started
        figures["idle_pss_mb"] = pss_kb(left) / 1024
        figures["idle_processes"] = len(left)
        figures["idle_closed"] = float(browser.idle_closes == 1 and not browser.running and not left)
        figures["driver_left"] = float(any(_name(pid) == "node" for pid in descendants(os.getpid())))
    print(f"Chromium's processes at its peak, PSS in MB: {roles}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetches", type=int, default=10)
    parser.add_argument("--idle-close-s", type=float, default=2.0, help="the browser's idle period here")
    parser.add_argument("--chromium-arg", action="append", default=[], help="an extra switch to try (repeatable)")
    parser.add_argument("--executable-path", default=BrowserSettings().executable_path, help="e.g. a headless shell")
    args = parser.parse_args()
    browser = BrowserSettings(
        executable_path=args.executable_path, idle_close_s=args.idle_close_s, extra_args=args.chromium_arg
    )
    if reason := browser_unavailable(browser):
        raise SystemExit(f"cannot measure the browser: {reason}")
    urls: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(urls, stop), daemon=True)
    server.start()
    try:
        plain_url, guarded_url = urls.get(timeout=30)
        assert server.pid is not None
        f = asyncio.run(measure(plain_url, guarded_url, args.fetches, browser, server.pid))
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
    print(
        f"Chromium, passing:        PSS {f['chromium_pss_mb']:.0f} MB peak, {f['chromium_pss_median_mb']:.0f} MB median; "
        f"{f['processes']:.0f} processes at most, {f['page_renderers']:.0f} renderer(s) for pages"
    )
    print(f"Playwright's driver:      PSS {f['driver_pss_mb']:.0f} MB (median while the browser ran)")
    print(
        f"after {args.idle_close_s:g} s unused:      closed in {f['idle_close_after_s']:.1f} s; "
        f"{f['idle_processes']:.0f} Chromium processes left, PSS {f['idle_pss_mb']:.0f} MB; "
        f"driver {'still running' if f['driver_left'] else 'gone'}"
    )
    closed = "yes" if f.pop("idle_closed") else "no"
    head = f"browser_pss_mb={f.pop('chromium_pss_mb'):.0f} processes={f.pop('processes'):.0f} idle_closed={closed}"
    print(" ".join([head, *(f"{name}={value:.3f}" for name, value in f.items())]))


if __name__ == "__main__":
    main()
