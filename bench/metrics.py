"""Benchmark: the nightly metrics snapshot (services.reporting.metrics.snapshot_metrics) over N dossiers.

Run from the repository root::

    .venv/bin/python bench/metrics.py                    # 1,000,000 dossiers, SQLite and PostgreSQL
    .venv/bin/python bench/metrics.py --n 20000          # quick

Same data as bench/overdue_scan.py (one INSERT … SELECT; ~5 % open; 5 communes, 10 procedures,
received over two years before 02/03/2026). Times one snapshot run (month, quarter and year to date
containing 02/03/2026 — plus the periods containing the day before, the same ones here — for every
agency rolled up the tree and per field) and its peak Python memory (tracemalloc, separate run).
Results: docs/benchmarks.md "## Nightly metrics".
"""
from __future__ import annotations

import os
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != BENCH_DIR]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import argparse
import importlib.util
import json
import platform
import statistics
import time
import tracemalloc
from typing import Any


def _scan_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_overdue_scan",
                                                  os.path.join(BENCH_DIR, "overdue_scan.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_size(engine: str, n: int, pg_url: str, repeats: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from onestop.extensions import db
    from onestop.models import MetricSnapshot
    from onestop.services.reporting.metrics import snapshot_metrics

    scan = _scan_module()
    with scan.database(engine, pg_url) as url:
        app = scan.build_app(url)
        info = scan.prepare(app, n)
        with app.app_context():
            s = db.session
            times = []
            result: dict[str, Any] = {}
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = snapshot_metrics(s, scan.NOW)
                s.commit()
                times.append(time.perf_counter() - t0)
            tracemalloc.start()
            tracemalloc.reset_peak()
            snapshot_metrics(s, scan.NOW)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            s.commit()
            rows = s.scalar(select(func.count()).select_from(MetricSnapshot))
            db.session.remove()
            db.engine.dispose()
    return {"engine": engine, "n": n, "snapshot_ms": round(statistics.median(times) * 1000, 1),
            "runs_ms": [round(t * 1000, 1) for t in times], "snapshots": rows,
            "periods": result.get("periods"),
            "peak_kib": round(peak / 1024, 1), **info}


def main() -> None:
    scan = _scan_module()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--sizes", default="", help="other sizes (comma list)")
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg-url", default=os.environ.get("ONESTOP_BENCH_PG_URL", scan.PG_DEFAULT))
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()} | {args.n})
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    print(f"# {platform.platform()} · Python {platform.python_version()} · {os.cpu_count()} CPUs", flush=True)
    results = []
    for engine in engines:
        for n in sizes:
            r = run_size(engine, n, args.pg_url, args.repeats)
            results.append(r)
            print(json.dumps(r), flush=True)
    print("\n| engine | N | snapshot run (ms, median) | snapshot rows | peak Python memory (KiB) |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['engine']} | {r['n']:,} | {r['snapshot_ms']} | {r['snapshots']} | {r['peak_kib']} |")


if __name__ == "__main__":
    main()
