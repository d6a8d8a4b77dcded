"""Hostile sources against a running daemon, with one healthy canary beside them.

    python bench/hostile.py [--deadline 10]

Every hostile page (trickling bodies and headers, huge and deeply nested pages, a gzip bomb, redirect loops
and redirects to another local service, broken UTF-8, control and bidi characters, a 100,000-character
title, truncated HTML, a login page answering 200, future dates, duplicate rows, rows without links, an
anti-bot challenge) is served on 127.0.0.1 as a source of its own, beside a healthy canary whose page
gains a new cell-therapy notice just before the daemon (a real `cgt-monitor run` process) starts.

- failed: hostile sources the daemon never recorded a check of, or whose stored titles carry control or
  bidi characters or are longer than the cap;
- canary_delay_s: from the daemon's start to the canary's alert arriving at a real SMTP server;
- sigterm_s: from SIGTERM to the daemon's exit.
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.testing.localsite import LocalSite, Page  # noqa: E402
from monitor.testing.mailsink import MailSink  # noqa: E402

LIST = ROOT / "monitor" / "demo" / "pages" / "recorded" / "nmpa-ggtg.html"
MARKER = "<!-- 信息公开公告通知 -->".encode()


def row(key: str, title: str, date: str = "2026-10-01") -> bytes:
    return f'<li><a href="./{key}.html" title="{title}">…</a><span>({date})</span></li>'.encode()


def with_rows(*rows: bytes) -> bytes:
    page = LIST.read_bytes()
    return page.replace(MARKER, MARKER + b"".join(rows), 1)


def hostile_pages(internal: LocalSite) -> dict[str, Page]:
    deep = b"<html><body>" + b"<div>" * 200_000 + b"x" + b"</div>" * 200_000 + b"</body></html>"
    control = "关于\x1b[31m细胞\x07治疗\u202e产品\u200f的通告"
    return {
        "trickle-body": Page(LIST.read_bytes()[:3000], trickle_s=0.5),
        "slow-headers": Page(LIST.read_bytes(), delay_s=120),
        "huge-page": Page(b"<html><body>" + b"<p>x</p>" * 2_600_000 + b"</body></html>"),
        "gzip-bomb": Page(gzip.compress(b"\0" * 200_000_000), headers={"Content-Encoding": "gzip"}),
        "deep-nesting": Page(deep),
        "redirect-loop": Page(b"", status=302, headers={"Location": "/hostile/redirect-loop"}),
        "redirect-internal": Page(b"", status=302, headers={"Location": internal.url("/secret")}),
        "redirect-javascript": Page(b"", status=302, headers={"Location": "javascript:alert(1)"}),
        "broken-utf8": Page(
            bytes(b for i, b in enumerate(LIST.read_bytes()) if i % 7 != 3), content_type="text/html; charset=utf-8"
        ),
        "control-chars": Page(with_rows(row("20261001000000001", control))),
        "long-title": Page(with_rows(row("20261001000000002", "细胞治疗" * 25_000))),
        "truncated": Page(LIST.read_bytes()[: len(LIST.read_bytes()) // 2]),
        "login-page": Page(b"<html><body><form><input name=user><input type=password></form></body></html>"),
        "future-dates": Page(with_rows(row("20991001000000003", "关于细胞治疗产品的通告", "2099-10-01"))),
        "duplicate-rows": Page(with_rows(*[row("20261001000000004", "关于基因治疗产品的通告")] * 50)),
        "rows-without-links": Page(with_rows(b'<li><span title="no link">(2026-10-01)</span></li>' * 20)),
        "challenge": Page(
            b"<html><head><script>$_ts=window['$_ts'];$_ts.cd='x';</script></head><body></body></html>", status=412
        ),
    }


def catalogue_entry(name: str, url: str, deadline: float) -> str:
    return (
        f'[[source]]\nname = "{name}"\nagency = "NMPA"\nregion = "CN"\nurl = "{url}"\nkind = "html"\n'
        'evidence = "unverified"\nevidence_note = "a hostile imitation on 127.0.0.1"\n'
        f"key_pattern = '/(\\d{{17}})\\.html$'\ndeadline_s = {deadline}\n"
        '[source.extract]\nitem = "div.list ul li"\ntitle = "a"\ntitle_attr = "title"\nlink = "a"\ndate = "span"\n\n'
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadline", type=float, default=10.0, help="each check's deadline, seconds")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="cgt-hostile-") as tmp,
        LocalSite() as site,
        LocalSite() as internal,
        MailSink() as inbox,
    ):
        work = Path(tmp)
        internal.set("/secret", Page(b"internal service: must never be fetched"))
        pages = hostile_pages(internal)
        for name, page in pages.items():
            site.set(f"/hostile/{name}", page)
        site.set("/canary/index.html", Page(LIST.read_bytes()))
        entries = [catalogue_entry(name, site.url(f"/hostile/{name}"), args.deadline) for name in pages]
        canary = catalogue_entry("canary", site.url("/canary/index.html"), args.deadline)
        (work / "canary.toml").write_text(canary, encoding="utf-8")
        (work / "sources.toml").write_text(canary + "".join(entries), encoding="utf-8")
        (work / "cgt-monitor.toml").write_text(
            f'data_dir = "{work}"\n[fetch]\nper_host_concurrency = 32\nper_host_min_delay_s = 0.0\nretries = 0\n'
            f"max_concurrent_checks = 32\ncheck_deadline_s = {args.deadline}\n"
            "[schedule]\nstartup_spread_s = 0\njitter_s = 0\n"
            f'[channels.mail]\nurl = "{inbox.apprise_url()}"\n[[subscription]]\nname = "ra"\nchannels = ["mail"]\n',
            encoding="utf-8",
        )
        env = {**os.environ, "CGT_MONITOR_CONFIG": str(work / "cgt-monitor.toml"), "CGT_MONITOR_DATA": str(work)}
        cli = [sys.executable, "-m", "monitor"]
        subprocess.run([*cli, "--sources", str(work / "canary.toml"), "run", "--once"], env=env, cwd=ROOT, check=True)
        site.set(
            "/canary/index.html", Page(with_rows(row("20261002000000009", "免疫细胞治疗产品临床试验技术指导原则")))
        )
        started = time.monotonic()
        daemon = subprocess.Popen(
            [*cli, "--sources", str(work / "sources.toml"), "run"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        while not inbox.mails and time.monotonic() - started < 120:
            time.sleep(0.05)
        canary_delay = time.monotonic() - started if inbox.mails else float("inf")
        time.sleep(max(0.0, args.deadline + 5 - (time.monotonic() - started)))  # every hostile check had its time
        stopping = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        try:
            _, log = daemon.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            daemon.kill()
            _, log = daemon.communicate()
        sigterm_s = time.monotonic() - stopping
        database = sqlite3.connect(work / "cgt-monitor.db")
        failed = []
        for name in pages:
            outcomes = [r[0] for r in database.execute("select outcome from runs where source_name = ?", (name,))]
            titles = [t[0] for t in database.execute("select title from notices where source_name = ?", (name,))]
            dirty = [
                t for t in titles if re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f]", t)
            ]
            too_long = [t for t in titles if len(t) > 500]
            verdict = "FAILED" if not outcomes or dirty or too_long else "ok"
            if verdict == "FAILED":
                failed.append(name)
            print(f"{name:20} {verdict:6} outcomes={outcomes} notices={len(titles)}", flush=True)
        secret_hits = len(internal.hits("/secret"))
        print(f"internal service asked {secret_hits} times; daemon log lines: {len(log.splitlines())}")
        if secret_hits:
            failed.append("redirect-internal(fetched)")
        print(f"hostile={len(pages)} failed={len(failed)} canary_delay_s={canary_delay:.2f} sigterm_s={sigterm_s:.2f}")


if __name__ == "__main__":
    main()
