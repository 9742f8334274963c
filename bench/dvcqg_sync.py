"""National portal sync throughput (docs/benchmarks.md, "National portal sync"): N queued changes
(default 10,000) sent to the local fake portal over loopback HTTP, and the sender's memory.

    python bench/dvcqg_sync.py [--changes 10000] [--url sqlite:///tmp/x.db]

A fresh database is filled by bench/generate.py (its events are realistic: receptions, transfers,
supplements, completions, returns …), the first N events are queued in the outbox (one INSERT …
SELECT, as ``flask onestop dvcqg sync --since`` does), the fake portal runs as its own process
(``flask onestop fake-portal``: strict JSON Schema validation of every message), and
``send_pending`` drains the queue in batches with a commit per batch — the job's code path.
Printed: wall time, changes/s, requests per service, the sender's RSS after each batch (flat =
the batches do not accumulate), the portal's count of dossiers and progress rows, machine load.
Goal: 10,000 changes in ≤ 60 s.
"""
from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
for p in (ROOT, HERE):
    if p not in sys.path:
        sys.path.insert(0 if p == ROOT else len(sys.path), p)

from _machine import cpu_model

UNIT = "000.00.00.G88"  # bench/generate.py builds its province under G88


def rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--batch", type=int, default=200, help="dossiers per claimed batch")
    ap.add_argument("--trace", action="store_true", help="also trace the Python heap (tracemalloc; slower)")
    ap.add_argument("--pg", default=None,
                    help="PostgreSQL server URL: a private database is created and dropped")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="onestop-dvcqg-")
    url = args.url or f"sqlite:///{tmp}/bench.db"
    drop = None
    if args.pg:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"onestop_bench_dvcqg_{os.getpid()}"
        with create_engine(args.pg, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with create_engine(args.pg, isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    try:
        return run(args, url)
    finally:
        if drop is not None:
            drop()


def run(args: argparse.Namespace, url: str) -> int:
    dossiers = max(200, args.changes // 4)
    print(f"generating {dossiers} dossiers …", flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--url", url, "-n", str(dossiers),
                    "--years", "1", "--agencies", "60", "--procedures", "100"], check=True,
                   stdout=subprocess.DEVNULL)

    from sqlalchemy import and_, exists, func, insert, literal, select

    from onestop import create_app
    from onestop.extensions import db
    from onestop.integrations.dvcqg.client import PortalClient
    from onestop.integrations.dvcqg.outbox import send_pending, status_counts
    from onestop.models import DossierEvent as E
    from onestop.models.dvcqg import DvcqgOutbox as O

    app = create_app("development",
                     {"SQLALCHEMY_DATABASE_URI": url, "DVCQG_URL": "x", "DVCQG_UNIT_CODE": UNIT})
    port = free_port()
    portal = subprocess.Popen([sys.executable, "-m", "flask", "--app", "onestop", "onestop", "fake-portal",
                               "--port", str(port), "--unit-code", UNIT,
                               "--username", "b", "--password", "b"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/dvcqg"
        import requests

        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/_control/dump", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        with app.app_context():
            s = db.session
            first = (select(E.dossier_id, literal("event"), E.seq, literal("pending"), literal(0), E.at, E.at,
                            literal(""))
                     .where(~exists().where(and_(O.dossier_id == E.dossier_id, O.version == E.seq)))
                     .order_by(E.dossier_id, E.seq).limit(args.changes))
            s.execute(insert(O).from_select(["dossier_id", "kind", "version", "state", "attempts",
                                             "created_at", "next_attempt_at", "last_error"], first))
            s.commit()
            queued = status_counts(s)["pending"]
            n_dossiers = s.scalar(select(func.count(func.distinct(O.dossier_id))))
            print(f"queued {queued} changes of {n_dossiers} dossiers; engine {db.engine.dialect.name}",
                  flush=True)
            client = PortalClient(base, "b", "b", UNIT)
            rss: list[float] = [rss_mb()]
            heap: list[float] = []
            if args.trace:
                import tracemalloc

                tracemalloc.start()

            def checkpoint() -> None:
                s.commit()
                rss.append(rss_mb())
                if args.trace:
                    heap.append(tracemalloc.get_traced_memory()[0] / 2**20)

            load0 = os.getloadavg()
            t0 = time.perf_counter()
            res = send_pending(s, client, datetime.now(UTC), batch_dossiers=args.batch, checkpoint=checkpoint)
            elapsed = time.perf_counter() - t0
            load1 = os.getloadavg()
            counts = status_counts(s)
        seen = requests.get(f"http://127.0.0.1:{port}/_control/dump", timeout=30).json()
        rows = sum(len(v) for v in seen["progress"].values())
        print(f"sent {res.sent} (retried {res.retried}, dead {res.dead}) in {elapsed:.1f} s = "
              f"{res.sent / elapsed:.0f} changes/s; batches {res.batches}")
        print(f"outbox after: {counts}; portal holds {len(seen['dossiers'])} dossiers, {rows} progress rows; "
              f"requests {seen['requests']}")
        if seen["rejections"]:
            print(f"portal refusals (first 3): {seen['rejections'][:3]}")
        after_batches = rss[1::2] or rss
        print(f"sender RSS MB: start {rss[0]:.0f}, after first batch {after_batches[0]:.0f}, "
              f"max {max(rss):.0f}, last {rss[-1]:.0f}; per commit: {' '.join(f'{x:.0f}' for x in rss)}")
        if heap:
            print(f"Python heap MB per commit (tracemalloc): {' '.join(f'{x:.1f}' for x in heap)}")
        print(f"machine: {cpu_model()}, {os.cpu_count()} CPU(s); load average before {load0[0]:.2f}, "
              f"after {load1[0]:.2f}")
        ok = res.sent == queued and elapsed <= 60
        print("GOAL MET (≤ 60 s)" if ok else "GOAL NOT MET")
        return 0 if ok else 1
    finally:
        portal.terminate()
        portal.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
