"""Benchmark: a closed year's Form 06 from the roll-up of closed days vs live (the event-log path).

Run from the repository root::

    .venv/bin/python bench/rollup.py --engine sqlite --n 40000 200000
    .venv/bin/python bench/rollup.py --engine postgresql --n 200000

Builds the Form 06 benchmark's database (bench/form06.py: N dossiers over three years before
02/03/2026), times the first run of the roll-up job (all history) and a second, incremental run,
then times ``services.reporting.reports.form06`` for the closed year 2025 and a closed quarter, for the
province and for one commune, with the roll-up and live, and checks both give the same rows.
Results: docs/benchmarks.md "## Form 06 from the roll-up".

    .venv/bin/python bench/rollup.py --history postgresql+psycopg://…/gen200k postgresql+psycopg://…/gen1m

measures the same cases on ``bench/generate.py`` databases instead (see measure_history).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date, timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != os.path.join(ROOT, "bench")]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench._machine import cpu_model
from bench.form06 import NOW, PG_DEFAULT, _pg_database, build


def measure(app: Any, repeat: int, log: Any) -> None:
    from sqlalchemy import func, select

    from onestop.extensions import db
    from onestop.models import Agency, Dossier
    from onestop.models.rollup import ReportRollupDay
    from onestop.services.reporting import reports
    from onestop.services.reporting.rollup import refresh_rollup

    with app.app_context():
        t0 = time.perf_counter()
        refresh_rollup(db.session, NOW)
        db.session.commit()
        rows = db.session.scalar(select(func.count()).select_from(ReportRollupDay))
        log(f"  roll-up, first run (all history): {time.perf_counter() - t0:.2f} s, {rows:,} rows")
        t0 = time.perf_counter()
        refresh_rollup(db.session, NOW + timedelta(days=1))
        db.session.commit()
        log(f"  roll-up, next night (one new day + touched days): {time.perf_counter() - t0:.2f} s")
        province = db.session.scalar(select(Agency).where(Agency.identifier == "000.00.00.H25"))
        busiest = db.session.execute(select(Dossier.receiving_agency_id, func.count()).group_by(
            Dossier.receiving_agency_id).order_by(func.count().desc()).limit(1)).one()
        commune = db.session.get(Agency, busiest[0])
        cases = [("province, year 2025", province, date(2025, 1, 1), date(2025, 12, 31)),
                 ("province, 2025-Q4", province, date(2025, 10, 1), date(2025, 12, 31)),
                 ("province, 2026 so far (open)", province, date(2026, 1, 1), date(2026, 12, 31)),
                 (f"one desk ({busiest[1]:,} dossiers), year 2025", commune, date(2025, 1, 1),
                  date(2025, 12, 31))]
        for label, ag, start, end in cases:
            out: dict[bool, tuple[float, Any]] = {}
            for use in (False, True):
                reports.form06(db.session, ag, start, end, now=NOW)  # warm
                db.session.rollback()
                times = []
                rep = None
                for _ in range(repeat):
                    reports_rollup = reports._rollup
                    reports_rollup.ENABLED = use
                    t0 = time.perf_counter()
                    rep = reports.form06(db.session, ag, start, end, now=NOW)
                    times.append(time.perf_counter() - t0)
                    db.session.rollback()
                out[use] = (statistics.median(times), rep)
            same = [r.counts() for r in out[True][1].rows] == [r.counts() for r in out[False][1].rows]
            log(f"  {label}: live {out[False][0]:.3f} s, roll-up {out[True][0]:.3f} s "
                f"({out[False][0] / max(out[True][0], 1e-9):.1f}× faster), same rows: {same}, "
                f"received {out[True][1].totals.received_total:,}")
        reports._rollup.ENABLED = True


def measure_history(urls: list[str], repeat: int, log: Any) -> None:
    """On ``bench/generate.py`` databases (history ending 02/03/2026 09:00, province ``*.G88``):
    the roll-up's first run if none yet, then each case roll-up and live, the databases interleaved
    so that the machine's load weighs on all of them alike (docs/benchmarks.md, "Form 06 from the
    roll-up", "At 1M generated dossiers")."""
    from sqlalchemy import func, select

    from onestop import create_app
    from onestop.extensions import db
    from onestop.models import Agency, Dossier
    from onestop.services.reporting import reports
    from onestop.services.reporting.rollup import refresh_rollup, state_of

    apps = [create_app("testing", {"SQLALCHEMY_DATABASE_URI": u, "SECRET_KEY": "bench"}) for u in urls]
    for url, app in zip(urls, apps, strict=True):
        with app.app_context():
            n = db.session.scalar(select(func.count()).select_from(Dossier))
            if state_of(db.session) is None:
                t0 = time.perf_counter()
                refresh_rollup(db.session, NOW)
                db.session.commit()
                log(f"  {url.rsplit('/', 1)[-1]} ({n:,} dossiers): roll-up first run "
                    f"{time.perf_counter() - t0:.1f} s")
    cases = (("province, year 2025", date(2025, 1, 1), date(2025, 12, 31)),
             ("province, year 2024", date(2024, 1, 1), date(2024, 12, 31)),
             ("province, 2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
             ("first desk, year 2025", date(2025, 1, 1), date(2025, 12, 31)))
    times: dict[tuple[int, str, bool], list[float]] = {}
    same: dict[tuple[int, str], bool] = {}
    for _ in range(repeat):
        for k, app in enumerate(apps):
            with app.app_context():
                s = db.session
                province = s.scalar(select(Agency).where(Agency.parent_id.is_(None),
                                                         Agency.identifier.like("%.G88")))
                desk = s.scalar(select(Agency).where(Agency.identifier.like("%.01.%.G88"))
                                .order_by(Agency.id))
                for label, start, end in cases:
                    ag = desk if label.startswith("first desk") else province
                    got = {}
                    for use in (True, False):
                        reports._rollup.ENABLED = use
                        t0 = time.perf_counter()
                        got[use] = reports.form06(s, ag, start, end, now=NOW)
                        times.setdefault((k, label, use), []).append(time.perf_counter() - t0)
                        s.rollback()
                    same[(k, label)] = ([r.counts() for r in got[True].rows]
                                        == [r.counts() for r in got[False].rows])
    reports._rollup.ENABLED = True
    for k, url in enumerate(urls):
        for label, _start, _end in cases:
            r, v = (statistics.median(times[(k, label, use)]) for use in (True, False))
            log(f"  {url.rsplit('/', 1)[-1]}: {label}: roll-up {r:.3f} s, live {v:.3f} s, "
                f"same rows: {same[(k, label)]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[200_000])
    ap.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--sqlite-path", default="/tmp/onestop_bench_rollup.db")
    ap.add_argument("--pg-url", default=os.environ.get("ONESTOP_BENCH_PG_URL", PG_DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--history", nargs="+", default=None, metavar="URL",
                    help="bench/generate.py databases to measure instead of building the Form 06 data")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    load = os.getloadavg()
    log(f"Roll-up benchmark: {platform.python_version()}, {cpu_model()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if args.history:
        measure_history(args.history, args.repeat, log)
        log(f"load average at the end {os.getloadavg()[0]:.1f}")
        return 0
    for n in args.n:
        log(f"[{args.engine}, N={n:,}]")
        if args.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(args.sqlite_path + suffix):
                    os.remove(args.sqlite_path + suffix)
            url, cleanup = f"sqlite:///{args.sqlite_path}", (lambda: None)
        else:
            url, cleanup = _pg_database(args.pg_url, keep=False, log=log)
        try:
            app = build(url, n, log)
            measure(app, args.repeat, log)
            with app.app_context():
                from onestop.extensions import db

                db.session.remove()
                db.engine.dispose()
        finally:
            cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
