"""Check cycles over N generated sources served on 127.0.0.1: wall time, CPU per check, peak memory.

    python bench/cycle.py [--sources 300[,1000,10000]] [--rows 20]

The pages imitate the NMPA list markup (20 rows, relative links, "(YYYY-MM-DD)" dates) and are served by a
separate process, so the figures are the monitor's own. All sources share one host here, so the per-host
politeness limits are widened for the run (concurrency 8, no spacing); the figures measure our work, not
the delays we would impose on a real site. The second cycle adds two rows per page: diff, classify and
outbox writes included; the third serves the same pages again, without validators (no 304), so the
listing itself is compared. Each size runs in a fresh store; the per-check CPU of the sizes side by side
shows whether a check costs the same with more sources. One machine-readable line per size, last.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.app import open_store, running_pipeline
from monitor.config.settings import Channel, FetchSettings, Settings, Subscription
from monitor.config.sources import Source

TITLES = [
    "国家药监局关于发布《免疫细胞治疗产品药学研究与评价技术指导原则》的通告",
    "国家药监局关于注销药品注册证书的公告",
    "关于发布仿制药参比制剂目录的通告",
    "国家药监局关于批准注册医疗器械产品的公告",
]


def page(index: int, rows: int, day: int) -> bytes:
    items = []
    grown = day >= 2  # day 2 brings two rows; day 3 is day 2 again
    for row in range(rows + (2 if grown else 0)):
        ident = f"2026{index:04d}{row:09d}"[:17]
        title = TITLES[(index + row) % len(TITLES)] + f"（第{row}号）"
        items.append(
            f'<li><a href="../../xxgk/ggtg/{index}/{ident}.html" title="{title}">{title}</a>'
            f"<span>(2026-09-{(row % 28) + 1:02d})</span></li>"
        )
    if grown:
        items = items[-2:] + items[:-2]
    return f'<html><body><div class="list"><ul>{"".join(items)}</ul></div></body></html>'.encode()


def serve(port_queue: multiprocessing.Queue, day_queue: multiprocessing.Queue, sources: int, rows: int) -> None:
    from monitor.testing.localsite import LocalSite, Page

    site = LocalSite().start()
    port_queue.put(site.base_url)
    while (day := day_queue.get()) is not None:
        for index in range(sources):
            site.set(f"/s{index}/index.html", Page(page(index, rows, day), etag=False))
        site.requests.clear()
        port_queue.put("ready")
    site.stop()


CYCLES = {1: "baseline", 2: "two new rows per source", 3: "unchanged, no 304"}


def bench_sources(base: str, count: int) -> list[Source]:
    """`count` sources reading the generated lists served at `base`."""
    return [
        Source(
            name=f"s{i}",
            agency="NMPA",
            region="CN",
            url=f"{base}/s{i}/index.html",
            kind="html",
            evidence="unverified",
            evidence_note="a benchmark source on 127.0.0.1",
            key_pattern=r"/(\d{17})\.html$",
            extract={"item": "div.list ul li", "date": "span"},
        )
        for i in range(count)
    ]


def bench_settings(data_dir: Path) -> Settings:
    """Politeness widened (all pages share one host); one subscription, so new notices are routed and queued."""
    return Settings(
        data_dir=data_dir,
        fetch=FetchSettings(per_host_concurrency=8, per_host_min_delay_s=0.0, retries=0, max_concurrent_checks=16),
        channels={"file": Channel(urls=[f"json://127.0.0.1:9/{data_dir}"])},
        subscription=[Subscription(name="s", channels=["file"])],
    )


def measure(size: int, rows: int) -> str:
    ports: multiprocessing.Queue = multiprocessing.Queue()
    days: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, days, size, rows), daemon=True)
    server.start()
    base = ports.get(timeout=30)
    sources = bench_sources(base, size)
    figures: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp))
        database = open_store(settings)
        for day in CYCLES:
            days.put(day)
            ports.get(timeout=600)

            async def cycle() -> None:
                async with running_pipeline(settings, database=database) as pipeline:
                    reports = await pipeline.check_all(sources)
                    failed = [r.summary for r in reports if r.summary.outcome not in ("baseline", "ok")]
                    if failed:
                        raise SystemExit(f"checks failed: {failed[:3]}")

            cpu0, wall0 = time.process_time(), time.perf_counter()
            asyncio.run(cycle())
            figures[day] = (time.perf_counter() - wall0, time.process_time() - cpu0)
            wall, cpu = figures[day]
            print(
                f"N={size} cycle {day} ({CYCLES[day]}): wall {wall:.2f}s, cpu {cpu:.2f}s, {cpu / size * 1000:.2f} ms/check"
            )
        database.engine.dispose()
        days.put(None)
        server.join(timeout=10)
    wall, cpu = figures[2]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"sources={size} wall_s={wall:.2f} cpu_s_per_check={cpu / size:.4f} "
        f"unchanged_cpu_s_per_check={figures[3][1] / size:.4f} peak_rss_mb={peak_mb:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", default="300", help="one size or several, comma-separated")
    parser.add_argument("--rows", type=int, default=20)
    args = parser.parse_args()
    lines = [measure(int(size), args.rows) for size in args.sources.split(",")]
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
