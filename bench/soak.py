"""Memory over time: one long-lived pipeline checking the same sources cycle after cycle, as the daemon does.

    python bench/soak.py [--sources 100] [--cycles 10000] [--change-every 25]

The pages are the generated NMPA-like lists of bench/cycle.py, served by a separate process on 127.0.0.1
without validators (no 304), so every check extracts and compares its listing. Every `--change-every`
cycles a tenth of the sources gain a row (new notices: diff, classification, routing and store writes).
The pipeline, its HTTP client, its database engine and its caches live for the whole run, as in the
daemon; what could grow with history is per-source state in any of them. RSS is read from /proc after
cycle 100 and at the end; the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cycle import bench_settings, bench_sources, page

from monitor.app import open_store, running_pipeline


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(answers: multiprocessing.Queue, commands: multiprocessing.Queue, sources: int) -> None:
    from monitor.testing.localsite import LocalSite, Page

    site = LocalSite().start()
    answers.put(site.base_url)
    rows = dict.fromkeys(range(sources), 20)
    while (grow := commands.get()) is not None:
        for index in range(sources):
            if grow and index % 10 == grow % 10:
                rows[index] += 1
            site.set(f"/s{index}/index.html", Page(page(index, rows[index], 1), etag=False))
        site.requests.clear()  # the recorder's own memory is not ours to measure
        answers.put("ready")
    site.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--change-every", type=int, default=25)
    args = parser.parse_args()

    answers: multiprocessing.Queue = multiprocessing.Queue()
    commands: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(answers, commands, args.sources), daemon=True)
    server.start()
    base = answers.get(timeout=30)
    sources = bench_sources(base, args.sources)
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp))
        database = open_store(settings)

        async def soak() -> tuple[float, float, int]:
            at_100 = 0.0
            checks = 0
            async with running_pipeline(settings, database=database) as pipeline:
                for cycle in range(1, args.cycles + 1):
                    if cycle == 1 or cycle % args.change_every == 0:
                        commands.put(cycle if cycle > 1 else 0)
                        await asyncio.to_thread(answers.get, True, 600)
                    reports = await pipeline.check_all(sources)
                    checks += len(reports)
                    failed = [r.summary for r in reports if r.summary.outcome not in ("baseline", "ok")]
                    if failed:
                        raise SystemExit(f"cycle {cycle}: checks failed: {failed[:3]}")
                    if cycle == min(100, args.cycles):
                        at_100 = rss_mb()
                    if cycle % 500 == 0:
                        print(f"cycle {cycle}: rss {rss_mb():.1f} MB", flush=True)
            return at_100, rss_mb(), checks

        started = time.perf_counter()
        at_100, at_end, checks = asyncio.run(soak())
        elapsed = time.perf_counter() - started
        commands.put(None)
        server.join(timeout=10)
    growth = (at_end - at_100) / at_100 * 100 if at_100 else 0.0
    print(
        f"sources={args.sources} cycles={args.cycles} checks={checks} wall_s={elapsed:.0f} "
        f"rss_mb_at_100={at_100:.1f} rss_mb_end={at_end:.1f} growth_pct={growth:.1f}"
    )


if __name__ == "__main__":
    main()
