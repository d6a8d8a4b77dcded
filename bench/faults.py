"""Fault injection: kill the daemon at random moments, restart it, and count what real receivers got.

    python bench/faults.py [--kills 200] [--sources 4] [--seed 1]

A local site publishes a new CGT notice before each start; the daemon (a real `cgt-monitor run` process)
checks every source at once on start-up, and is SIGKILLed a random 0–400 ms after its first request reaches
the site: inside fetching, classifying, the commit, or sending. At the end one clean `run --once` and a
`deliveries retry` drain the outbox. Every published notice must have reached both receivers (an SMTP
server and a webhook, both on 127.0.0.1).

- lost: notices a receiver never got.
- duplicates: notices a receiver got as two different alerts (two alert ids): a second alert for one notice.
- retransmissions: the same alert (same X-CGT-Alert-Id) received again — a kill landed between a send and
  its record, the at-least-once window; a receiver honouring the id drops the copy. Reported, not hidden.
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.testing.localsite import LocalSite, Page  # noqa: E402
from monitor.testing.mailsink import MailSink  # noqa: E402


def page(rows: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f'<li><a href="./a/{ident}.html" title="{title}">{title}</a><span>(2026-09-23)</span></li>'
        for ident, title in reversed(rows)
    )
    return f'<html><body><div class="list"><ul>{items}</ul></div></body></html>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with LocalSite() as site, LocalSite() as hooks, MailSink() as inbox, tempfile.TemporaryDirectory() as tmp:
        hooks.set("/hook", Page(b'{"ok":true}', content_type="application/json", etag=False))
        hook_port = hooks.base_url.rsplit(":", 1)[1]
        catalogue = "".join(
            f'[[source]]\nname = "s{i}"\nagency = "NMPA"\nregion = "CN"\nurl = "{site.url(f"/s{i}/index.html")}"\n'
            f'kind = "html"\nevidence = "unverified"\nevidence_note = "a benchmark source"\nkey_pattern = \'/(\\d+)\\.html$\'\n[source.extract]\nitem = "div.list li"\n\n'
            for i in range(args.sources)
        )
        Path(tmp, "sources.toml").write_text(catalogue, encoding="utf-8")
        Path(tmp, "cgt-monitor.toml").write_text(
            f'data_dir = "{tmp}"\n[fetch]\nper_host_min_delay_s = 0.0\nretries = 0\n'
            f"[schedule]\nstartup_spread_s = 0\n"
            f"[delivery]\nretry_base_s = 0.01\nretry_max_s = 0.05\n"
            f'[channels.mail]\nurl = "{inbox.apprise_url()}"\n'
            f'[channels.hook]\nurl = "json://127.0.0.1:{hook_port}/hook"\n'
            '[[subscription]]\nname = "ra"\nchannels = ["mail", "hook"]\n',
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "CGT_MONITOR_SOURCES": f"{tmp}/sources.toml",
            "CGT_MONITOR_CONFIG": f"{tmp}/cgt-monitor.toml",
        }
        cli = [sys.executable, "-m", "monitor"]
        rows: dict[int, list[tuple[str, str]]] = {
            i: [(f"{i}000", f"source {i} opening notice")] for i in range(args.sources)
        }
        for i in range(args.sources):
            site.set(f"/s{i}/index.html", Page(page(rows[i])))
        subprocess.run([*cli, "run", "--once"], env=env, cwd=ROOT, check=True, capture_output=True)

        published: list[str] = []
        kills = 0
        started = time.monotonic()
        for n in range(args.kills):
            source = rng.randrange(args.sources)
            title = f"关于发布细胞治疗产品指导原则的通告 fault-{n:04d}"
            rows[source].append((f"{source}{n + 1:04d}", title))
            site.set(f"/s{source}/index.html", Page(page(rows[source][-20:])))
            published.append(title)
            seen = len(site.requests)
            daemon = subprocess.Popen(
                [*cli, "run"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 30
            while len(site.requests) == seen and time.monotonic() < deadline and daemon.poll() is None:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.4))
            daemon.send_signal(signal.SIGKILL)
            _, stderr = daemon.communicate()
            if daemon.returncode == -signal.SIGKILL:
                kills += 1
            else:  # it ended before the kill: a crash the bench must not hide
                raise SystemExit(f"daemon exited by itself ({daemon.returncode}):\n{stderr.decode()[-2000:]}")
            if (n + 1) % 25 == 0:
                print(f"{n + 1} kills, {time.monotonic() - started:.0f}s", flush=True)

        for command in (["run", "--once"], ["deliveries", "retry"]):
            final = subprocess.run([*cli, *command], env=env, cwd=ROOT, capture_output=True, text=True)
            if final.returncode != 0:
                print(f"`{' '.join(command)}` failed ({final.returncode}): {final.stderr[-2000:]}", file=sys.stderr)

        received = {
            "mail": [(m.subject.split(": ", 1)[-1], m.message["X-CGT-Alert-Id"]) for m in inbox.mails],
            "webhook": [
                (json.loads(r.body)["title"].split(": ", 1)[-1], r.headers.get("X-CGT-Alert-Id"))
                for r in hooks.hits("/hook")
                if r.method == "POST"
            ],
        }
        lost = duplicates = retransmissions = 0
        for pairs in received.values():
            ids_by_title: dict[str, set[str | None]] = collections.defaultdict(set)
            for title, alert_id in pairs:
                ids_by_title[title].add(alert_id)
            lost += sum(1 for t in published if t not in ids_by_title)
            duplicates += sum(len(ids) - 1 for ids in ids_by_title.values())
            retransmissions += len(pairs) - len(set(pairs))
        rows_sql = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(c.execute('select count(*)-count(distinct "
                "subscription||notice_id||channel) from deliveries where notice_id is not null').fetchone()[0])",
                f"{tmp}/cgt-monitor.db",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(
            f"published={len(published)} mail={len(received['mail'])} webhook={len(received['webhook'])} "
            f"duplicate_delivery_rows={rows_sql} retransmissions={retransmissions} "
            f"elapsed_s={time.monotonic() - started:.0f}"
        )
        print(f"kills={kills} lost={lost} duplicates={duplicates}")


if __name__ == "__main__":
    main()
