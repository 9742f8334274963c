"""Benchmark: the whole 766 index (services.reporting.index766) for the province and a quarter.

Run from the repository root::

    .venv/bin/python bench/index766.py --n 200000            # SQLite and PostgreSQL
    .venv/bin/python bench/index766.py --engine postgresql --n 1000000

Builds the Form 06 benchmark's database (bench/form06.py: migrations, catalogue, N dossiers over three
years before 02/03/2026), then adds, set-based, what the 766 indicators read: component scans for 40 %
of received dossiers (a tenth of them reused), result files for half of the finished ones, sync rows
(outbox 'sent') for 70 %, VNeID for a third, online payment for a quarter. Times
``index766(province, "2026-Q1", now=02/03/2026)`` — every indicator with its points, the dossiers
pulling each down and the what-if, as of now for the running quarter — without and with the monthly
trend (three more months scored; on PostgreSQL their file measures are columns of the period's own
file statement, ``index766.file_facts_with_months``). Results:
docs/benchmarks.md "## 766 index".
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != os.path.join(ROOT, "bench")]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench._machine import cpu_model
from bench.form06 import NOW, PG_DEFAULT, _pg_database, build, make_app

EXTRA = (
    (
        "UPDATE dossiers SET vneid_verified = (id % 3 = 0), "
        "payment_channel = CASE WHEN id % 4 = 0 THEN 1 ELSE NULL END"
    ),
    (
        "INSERT INTO dossier_files (dossier_id, kind, component_no, title, storage_key, filename,"
        " content_type, size_bytes, sha256, digitisation_state, from_national_store, result_code, doc_number,"
        " issuer, owner_id_number, uploaded_at, approval_state)"
        " SELECT id, 'component', 1, 'x', 'files/bench/c' || id, 'x.pdf', 'application/pdf', 1000,"
        " 'h', CASE WHEN id % 10 = 0 THEN 2 ELSE 1 END, (id % 20 = 0), '', '', '', applicant_id_number,"
        " received_at, 2 FROM dossiers WHERE received_at IS NOT NULL AND id % 5 < 2"
    ),
    (
        "INSERT INTO dossier_files (dossier_id, kind, component_no, title, storage_key, filename,"
        " content_type, size_bytes, sha256, digitisation_state, from_national_store, result_code, doc_number,"
        " issuer, owner_id_number, uploaded_at, approval_state)"
        " SELECT id, 'result', NULL, 'kq', 'files/bench/r' || id, 'kq.pdf', 'application/pdf', 1000, 'h', 1,"
        " (1 = 0), '', '', '', applicant_id_number, finished_at, 2 FROM dossiers"
        " WHERE finished_at IS NOT NULL AND id % 2 = 0"
    ),
    (
        "INSERT INTO dvcqg_outbox (dossier_id, kind, version, state, attempts, created_at, next_attempt_at,"
        " sent_at, last_error) SELECT id, 'event', 1, 'sent', 1, received_at, received_at, received_at, ''"
        " FROM dossiers WHERE received_at IS NOT NULL AND id % 10 < 7"
    ),
)


def _fact_backfill() -> list[str]:
    """The migration's own statements that fill the dossiers' file and sync facts (h19f1)."""
    import importlib.util

    path = os.path.join(ROOT, "migrations", "versions", "h19f1_dossier_file_facts.py")
    spec = importlib.util.spec_from_file_location("h19f1", path)
    assert spec is not None and spec.loader is not None
    mig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mig)
    return [f"UPDATE dossiers SET {mig._set(mig.FILE_FACTS)}"
            " WHERE id IN (SELECT dossier_id FROM dossier_files)",
            f"UPDATE dossiers SET {mig._set(mig.SYNC_FACT)}"
            " WHERE id IN (SELECT dossier_id FROM dvcqg_outbox WHERE state = 'sent')"]


def add_766_data(app: Any, log: Any) -> None:
    from sqlalchemy import text

    from onestop.extensions import db

    with app.app_context():
        t0 = time.perf_counter()
        with db.engine.begin() as c:
            pg = db.engine.dialect.name == "postgresql"
            if pg:  # a bulk load: the triggers' per-row work is done once, set-based, after it
                c.execute(text("SET LOCAL session_replication_role = replica"))
            for stmt in EXTRA:
                c.execute(text(stmt))
            if pg:
                c.execute(text("SET LOCAL session_replication_role = origin"))
                for stmt in _fact_backfill():
                    c.execute(text(stmt))
        # A database in service is vacuumed (autovacuum): the visibility map and statistics it keeps.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        log(f"  766 data added in {time.perf_counter() - t0:.1f} s")


def measure(app: Any, repeat: int, log: Any, period: str = "2026-Q1") -> None:
    from sqlalchemy import select

    from onestop.extensions import db
    from onestop.models import Agency
    from onestop.services.reporting import index766 as ix
    from onestop.services.reporting.index766 import index766, parse_index_period
    from onestop.services.reporting.reports import measured_at

    with app.app_context():
        # The province: the root of the agency tree (H25 in bench/form06.py's data, G88 in generate.py's).
        province = db.session.scalar(select(Agency).where(Agency.parent_id.is_(None)).order_by(Agency.id))
        start_m, as_of = measured_at(province, *parse_index_period(period), NOW)
        parts = {
            "file measures (1.4, 3.6, 4.2-4.5)": lambda: ix.file_measures(db.session, province, start_m,
                                                                          as_of),
            "file measures + the 6 pulling-down lists, one statement": lambda: ix.file_facts(
                db.session, province, start_m, as_of),
        }
        for label, fn in parts.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
                db.session.rollback()
            log(f"  part: {label}: median {statistics.median(times):.3f} s, min {min(times):.3f} s")
        for trend in (False, True):
            times = []
            result = None
            for _ in range(repeat):
                t0 = time.perf_counter()
                result = index766(db.session, province, period, now=NOW, trend=trend)
                times.append(time.perf_counter() - t0)
                db.session.rollback()
            assert result is not None
            i42 = next(i for i in result.indicators if i.criterion.criterion == "766.4.2").criterion
            log(f"  province {period} {'with' if trend else 'without'} trend: median "
                f"{statistics.median(times):.3f} s, min {min(times):.3f} s (n={repeat}); "
                f"4.2 = {i42.numerator:,}/{i42.denominator:,}, total {result.total[0]}/{result.total[1]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--sqlite-path", default="/tmp/onestop_bench_index766.db")
    ap.add_argument("--pg-url", default=os.environ.get("ONESTOP_BENCH_PG_URL", PG_DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--url", help="measure an existing database (already holding the 766 data)")
    ap.add_argument("--add-766-data", action="store_true",
                    help="with --url: first add the 766 data (e.g. to a bench/generate.py database)")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (then --url)")
    ap.add_argument("--period", action="append", default=[],
                    help="period(s) to time, as of 02/03/2026 (default 2026-Q1; 2025-Q4: a 12-month trend)")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    log(f"766 index benchmark: N={args.n:,}, {platform.python_version()}, {cpu_model()}, "
        f"{os.cpu_count()} cores")
    if args.url:
        app = make_app(args.url)
        if args.add_766_data:
            from flask_migrate import upgrade

            with app.app_context():
                upgrade()
            add_766_data(app, log)
        for period in args.period or ["2026-Q1"]:
            measure(app, args.repeat, log, period)
        return 0
    for eng in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
        log(f"[{eng}]")
        if eng == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(args.sqlite_path + suffix):
                    os.remove(args.sqlite_path + suffix)
            url, cleanup = f"sqlite:///{args.sqlite_path}", (lambda: None)
        else:
            url, cleanup = _pg_database(args.pg_url, keep=args.keep, log=log)
        try:
            app = build(url, args.n, log)
            add_766_data(app, log)
            for period in args.period or ["2026-Q1"]:
                measure(app, args.repeat, log, period)
            with app.app_context():
                from onestop.extensions import db

                db.session.remove()
                db.engine.dispose()
        finally:
            if not args.keep:
                cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
