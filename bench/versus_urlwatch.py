"""cgt-monitor beside urlwatch on the same local pages: CPU and peak memory of one whole `run --once`.

    python bench/versus_urlwatch.py [--sizes 300,1000] [--rounds 3]

What a user would otherwise run is urlwatch with a CSS filter on the list. It is installed into a temporary
virtual environment (from the package registry) and both tools watch N copies of the real NMPA
announcements list (`monitor/demo/pages/recorded/nmpa-ggtg.html`, 20 rows) served by a separate process on
127.0.0.1. "changed": every page gained one row since the last run (a benchmark-made row put on top, the
bottom row scrolled off); "unchanged": the same bytes again, served without validators so neither tool gets
a 304. The pages share one host, so both tools get 10 requests at a time and no spacing (urlwatch's fixed
pool size). No channels or subscriptions are configured: urlwatch prints its report, cgt-monitor stores
its changes, classifies them and prints its summary.

Each figure is the median of `--rounds` runs; the tools alternate which goes first in each round. CPU is
user + system time of the whole process tree, memory the peak RSS of its largest process. The last line is
machine-readable, one per size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = ROOT / "monitor" / "demo" / "pages" / "recorded" / "nmpa-ggtg.html"
LIST_START = '<div class="list">'
ROW = (
    '<li><a href="../../xxgk/ggtg/qtggtg/2027{day:04d}{index:09d}.html" target="_blank" '
    'title="benchmark row {day} of list {index}">benchmark row {day} of list {index}</a>'
    "<span>(2027-01-01)</span></li>"
)

MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys
    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:  # a run that failed is not a figure
        sys.exit(done.stderr.decode(errors="replace")[-2000:])
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(use.ru_utime + use.ru_stime, use.ru_maxrss / 1024)
    """
)


def page_of(index: int, day: int, base: str) -> bytes:
    """Day 0 is the recorded page; each later day puts one more row on top and drops the bottom one."""
    text = base
    ul = text.index("<ul>", text.index(LIST_START)) + len("<ul>")
    rows = "".join(ROW.format(day=d, index=index) for d in range(day, 0, -1))
    text = text[:ul] + rows + text[ul:]
    end = text.index("</ul>", ul)
    body = text[ul:end]
    for _ in range(day):  # the list keeps its length: the oldest rows scroll off
        body = body[: body.rindex("<li")]
    return (text[:ul] + body + text[end:]).encode()


def serve(commands: multiprocessing.Queue, answers: multiprocessing.Queue, pages: int) -> None:
    from monitor.testing.localsite import LocalSite, Page

    base = PAGE.read_text(encoding="utf-8")
    site = LocalSite().start()
    answers.put(site.base_url)
    while (day := commands.get()) is not None:
        for index in range(pages):
            site.set(f"/s{index}/index.html", Page(page_of(index, day, base), etag=False))
        site.requests.clear()
        answers.put("ready")
    site.stop()


def install_urlwatch(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "urlwatch==2.29"], check=True)
    return where / "bin" / "urlwatch"


def ours_files(tmp: Path, base: str, pages: int) -> list[str]:
    sources = [
        textwrap.dedent(
            f"""
            [[source]]
            name = "s{i}"
            label = "copy {i} of the NMPA list"
            agency = "NMPA"
            region = "CN"
            url = "{base}/s{i}/index.html"
            kind = "html"
            fetch = "http"
            key_pattern = '/(\\d{{17}})\\.html$'
            evidence = "recorded"
            evidence_note = "a copy of the recorded NMPA list, served on 127.0.0.1"
            [source.extract]
            item = "div.list ul li"
            title = "a"
            title_attr = "title"
            link = "a"
            date = "span"
            """
        )
        for i in range(pages)
    ]
    (tmp / "sources.toml").write_text("".join(sources), encoding="utf-8")
    deploy = textwrap.dedent(
        f"""
        data_dir = "{tmp / "data"}"
        [fetch]
        per_host_concurrency = 10
        per_host_min_delay_s = 0.0
        retries = 0
        max_concurrent_checks = 10
        """
    )
    (tmp / "deploy.toml").write_text(deploy, encoding="utf-8")
    cli = str(Path(sys.executable).with_name("cgt-monitor"))
    return [cli, "--sources", str(tmp / "sources.toml"), "--config", str(tmp / "deploy.toml"), "run", "--once"]


def theirs_files(tmp: Path, urlwatch: Path, base: str, pages: int) -> list[str]:
    jobs = "---\n".join(
        f"name: s{i}\nurl: {base}/s{i}/index.html\nfilter:\n  - css: div.list ul li\n" for i in range(pages)
    )
    (tmp / "urls.yaml").write_text(jobs, encoding="utf-8")
    config = {"report": {"stdout": {"enabled": True, "color": False}}, "display": {"unchanged": False}}
    (tmp / "urlwatch.yaml").write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return [
        str(urlwatch),
        "--urls",
        str(tmp / "urls.yaml"),
        "--config",
        str(tmp / "urlwatch.yaml"),
        "--hooks",
        str(tmp / "hooks.py"),
        "--cache",
        str(tmp / "cache.db"),
    ]


def measure(command: list[str]) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=os.environ | {"NO_COLOR": "1"}
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr or done.stdout}")
    cpu, rss = done.stdout.split()
    return float(cpu), float(rss)


def compare(pages: int, rounds: int, urlwatch: Path, work: Path) -> str:
    commands: multiprocessing.Queue = multiprocessing.Queue()
    answers: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(commands, answers, pages), daemon=True)
    server.start()
    base = answers.get(timeout=60)
    (work / "ours").mkdir()
    (work / "theirs").mkdir()
    tools = {
        "cgt-monitor": ours_files(work / "ours", base, pages),
        "urlwatch": theirs_files(work / "theirs", urlwatch, base, pages),
    }
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}

    def serve_day(day: int) -> None:
        commands.put(day)
        answers.get(timeout=300)

    serve_day(0)
    for command in tools.values():  # the first sight: a baseline for each, not measured
        measure(command)
    for day in range(1, rounds + 1):
        order = list(tools) if day % 2 else list(reversed(tools))
        serve_day(day)
        for name in order:
            figures.setdefault((name, "changed"), []).append(measure(tools[name]))
        for name in order:
            figures.setdefault((name, "unchanged"), []).append(measure(tools[name]))
    commands.put(None)
    server.join(timeout=10)

    def median(name: str, case: str, which: int) -> float:
        return statistics.median(f[which] for f in figures[(name, case)])

    print(f"\nN={pages} pages, median of {rounds} alternating runs")
    print(f"{'case':<10} {'cgt-monitor cpu':>16} {'urlwatch cpu':>13} {'ratio':>6} {'rss MB':>8} {'urlwatch rss':>13}")
    for case in ("changed", "unchanged"):
        ours, theirs = median("cgt-monitor", case, 0), median("urlwatch", case, 0)
        print(
            f"{case:<10} {ours:>15.2f}s {theirs:>12.2f}s {ours / theirs:>6.2f} "
            f"{median('cgt-monitor', case, 1):>8.0f} {median('urlwatch', case, 1):>13.0f}"
        )
    rss = max(median("cgt-monitor", case, 1) for case in ("changed", "unchanged"))
    their_rss = max(median("urlwatch", case, 1) for case in ("changed", "unchanged"))
    return (
        f"N={pages} changed_cpu_ratio={median('cgt-monitor', 'changed', 0) / median('urlwatch', 'changed', 0):.2f} "
        f"unchanged_cpu_ratio={median('cgt-monitor', 'unchanged', 0) / median('urlwatch', 'unchanged', 0):.2f} "
        f"rss_mb={rss:.0f} urlwatch_rss_mb={their_rss:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="300,1000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--urlwatch", type=Path, help="an installed urlwatch to use instead of a fresh one")
    args = parser.parse_args()
    # Both start from compiled bytecode, as installed packages do: pip compiled urlwatch's; a checkout run with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile the project's modules again on every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "monitor")], check=True)
    with tempfile.TemporaryDirectory(prefix="versus-urlwatch-") as tmp:
        urlwatch = args.urlwatch or install_urlwatch(Path(tmp) / "urlwatch-venv")
        lines = []
        for size in (int(s) for s in args.sizes.split(",")):
            work = Path(tmp) / f"n{size}"
            work.mkdir()
            lines.append(compare(size, args.rounds, urlwatch, work))
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
