"""The review desk with 100,000 notices in SQLite: server time of the notices page and of searches.

    python bench/review.py [--notices 100000] [--requests 20]

A store is seeded (monitor/testing/notices.py: five sources, titles modelled on real notices, a fifth of them
at the baseline) in a temporary directory, the desk is served by uvicorn on 127.0.0.1, and each page is asked
for `--requests` times after one warm-up. Server time is the desk's own Server-Timing header (request in to
response start), so the client's overhead is left out. Target: under 100 ms for the page and a search. The
last line is machine-readable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn

from monitor.app import open_store
from monitor.config.settings import Settings
from monitor.testing.mailsink import free_port
from monitor.testing.notices import seed_notices
from monitor.web.app import create_app

PAGES = {
    "notices page": "/",
    "page 50": "/?page=50",
    "filtered (CDE, relevant)": "/?agency=CDE&relevance=relevant",
    "search 基因治疗": "/?q=" + quote("基因治疗"),
    "search 'gene therapy'": "/?q=" + quote("gene therapy"),
    "search 细胞 (2 chars)": "/?q=" + quote("细胞"),
    "a notice": None,  # filled in once the store is seeded
}


def server_ms(client: httpx.Client, path: str) -> float:
    answer = client.get(path)
    answer.raise_for_status()
    return float(answer.headers["server-timing"].split("dur=")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cgt-bench-review-") as scratch:
        settings = Settings(data_dir=Path(scratch))
        database = open_store(settings)
        started = time.perf_counter()
        seed_notices(database.sessions, args.notices)
        print(f"seeded {args.notices:,} notices in {time.perf_counter() - started:.1f} s")
        port = free_port()
        config = uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        medians: dict[str, float] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            newest = client.get("/api/notices?per_page=1").json()["notices"][0]["id"]
            PAGES["a notice"] = f"/notices/{newest}"
            for label, path in PAGES.items():
                assert path is not None
                server_ms(client, path)  # warm-up
                times = [server_ms(client, path) for _ in range(args.requests)]
                medians[label] = statistics.median(times)
                print(f"{label:<28} median {medians[label]:7.1f} ms   max {max(times):7.1f} ms")
        server.should_exit = True
        thread.join(timeout=10)
        database.engine.dispose()
    page, search, english = medians["notices page"], medians["search 基因治疗"], medians["search 'gene therapy'"]
    verdict = "ok" if max(page, search, english) < 100 else "over the 100 ms target"
    print(
        f"notices={args.notices} requests={args.requests} page_median_ms={page:.1f} "
        f"search_median_ms={search:.1f} search_en_median_ms={english:.1f} {verdict}"
    )


if __name__ == "__main__":
    main()
