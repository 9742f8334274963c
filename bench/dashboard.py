"""Benchmark: the head dashboard (counts within / due soon / overdue / paused, first page of the
overdue list, due-soon list) — p50 and p95 over repeated calls.

Run from the repository root::

    .venv/bin/python bench/dashboard.py --url sqlite:////tmp/onestop_bench_1m.db   # a database kept by
    .venv/bin/python bench/dashboard.py --url postgresql+psycopg://…/onestop_bench_…  # bench/form06.py --keep
    .venv/bin/python bench/dashboard.py --n 50000                                    # builds its own SQLite

Times ``services.reporting.reports.head_dashboard``, ``overdue_list`` (50 rows) and ``due_soon_list``
(20 rows) as the dashboard view calls them, at the benchmark's "now" (02/03/2026 09:00, Hà Nội), for the whole
province and for one commune. Results: docs/benchmarks.md "## Head dashboard".
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/calendar.py would shadow the standard library's `calendar` (imported by `holidays`).
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != os.path.join(ROOT, "bench")]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench._machine import cpu_model  # noqa: E402
from bench.form06 import NOW, build, make_app  # noqa: E402


def measure(app: Any, runs: int) -> None:
    from sqlalchemy import func, select

    from onestop.extensions import db
    from onestop.models import Agency, Dossier
    from onestop.services.reporting import reports

    with app.app_context():
        s = db.session
        total = s.scalar(select(func.count(Dossier.id)))
        open_n = s.scalar(select(func.count(Dossier.id)).where(Dossier.finished_at.is_(None)))
        print(f"  {total:,} dossiers, {open_n:,} open", flush=True)
        root = s.scalar(select(Agency).where(Agency.parent_id.is_(None)))
        commune = s.scalar(select(Agency).where(Agency.identifier == "000.00.31.H25"))
        for label, ag in (("province", root), ("one commune", commune)):
            def dashboard(ag: Any = ag) -> Any:
                counts = reports.head_dashboard(s, ag, now=NOW)
                page = reports.overdue_list(s, ag, now=NOW, limit=50)
                soon = reports.due_soon_list(s, ag, now=NOW, limit=20)
                s.rollback()
                return counts, page, soon

            counts, page, soon = dashboard()  # warm
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                dashboard()
                times.append(time.perf_counter() - t)
            times.sort()
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
            print(f"  {label:<12} within {counts.within:>6,} due soon {counts.due_soon:>5,} overdue "
                  f"{counts.overdue:>6,} paused {counts.paused:>5,} | page {len(page.rows)} rows, soon "
                  f"{len(soon.rows)} | p50 {p50 * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
                  f"p99 {p99 * 1000:6.1f} ms  (n={runs})", flush=True)
        _lists(s, commune, runs)


def _lists(s: Any, commune: Any, runs: int) -> None:
    """The officer's worklist and the department inbox of the commune People's Committee (a
    transient user stands in: the queries read only its id and agency)."""
    from zoneinfo import ZoneInfo

    from onestop.models import User
    from onestop.services.dossiers import queries

    officer = User(id=10**9, username="bench", full_name="bench", role="officer", agency_id=commune.id,
                   password_hash="-")
    officer.agency = commune
    desk = s.scalar(select_agency(commune))
    cases = {
        "worklist": lambda: queries.worklist(s, officer),
        "inbox": lambda: queries.inbox(s, officer),
        "register": lambda: queries.register_page(
            s, _with_agency(officer, desk), queries.RegisterFilter(), tz=ZoneInfo("Asia/Ho_Chi_Minh")),
    }
    for name, fn in cases.items():
        n = len(getattr(fn(), "rows", None) or fn())  # warm
        s.rollback()
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            s.rollback()
            times.append(time.perf_counter() - t)
        times.sort()
        p50 = statistics.median(times)
        p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
        print(f"  {name:<12} {n:>4} rows | p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  (n={runs})",
              flush=True)


def select_agency(commune: Any) -> Any:
    from sqlalchemy import select

    from onestop.models import Agency

    return select(Agency).where(Agency.parent_id == commune.id, Agency.kind == "commune_service_centre")


def _with_agency(user: Any, agency: Any) -> Any:
    user.agency_id = agency.id
    user.agency = agency
    return user


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="an existing benchmark database (bench/form06.py --keep)")
    ap.add_argument("--n", type=int, default=50_000,
                    help="build a SQLite database of N dossiers when no --url")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args(argv)
    print(f"Head dashboard benchmark ({cpu_model()}, {os.cpu_count()} cores)", flush=True)
    if args.url:
        app = make_app(args.url)
    else:
        path = "/tmp/onestop_bench_dashboard.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        app = build(f"sqlite:///{path}", args.n, lambda m: print(m, flush=True))
    measure(app, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
