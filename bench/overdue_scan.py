"""Benchmark: the scheduler's overdue/due-soon scan vs the bare SQL UPDATEs doing the same.

Run from the repository root::

    .venv/bin/python bench/overdue_scan.py                       # 10k and 1M, SQLite and PostgreSQL
    .venv/bin/python bench/overdue_scan.py --n 20000             # quick
    .venv/bin/python bench/overdue_scan.py --engine sqlite --n 100000 --sizes 10000

Per engine and size: a fresh database (migrations + the reference catalogue + one head), N dossiers
bulk-inserted by ONE ``INSERT … SELECT`` over a generated series (~5 % open, received over the last
30 days so most open ones are overdue and some due soon; the rest finished over two years), ANALYZE.
Then, R times alternately, with the flags reset between runs:

* **scan** = ``services.dossiers.scanning.flag_overdue_dossiers`` + ``flag_due_soon_dossiers`` through the ORM
  session (thresholds computed from the calendars, Core UPDATE statements);
* **bare** = the same two UPDATE statements as literal SQL on the driver (threshold precomputed);
* **scan+notify** = ``scan_dossiers`` (flags + the in-app notifications + citizen e-mails INSERT…SELECT),
  informational — it has no bare counterpart.

Peak Python memory (tracemalloc) is measured on a separate scan run; the goal is that it does not
grow with N (≤ 1.2× at 1M vs 10k) since no id list is ever materialised. Results: docs/benchmarks.md
"## Overdue scan".
"""
from __future__ import annotations

import os
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
# bench/calendar.py would shadow the standard library's calendar module: drop this directory.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != BENCH_DIR]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import argparse
import json
import platform
import resource
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 02/03/2026 09:00 in Hà Nội
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(engine: str, pg_url: str) -> Iterator[str]:
    """A fresh, empty database URL; dropped afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="onestop-bench-") as d:
            yield f"sqlite:///{d}/bench.db"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(pg_url)
    name = f"onestop_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_app(url: str) -> Any:
    from onestop import create_app

    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})


def prepare(app: Any, n: int) -> dict[str, Any]:
    """Schema, catalogue, one head per commune, then N dossiers in one INSERT … SELECT."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from onestop.demo.seed import seed_reference
    from onestop.extensions import db
    from onestop.models import Agency, Procedure
    from onestop.services.admin.accounts import create_user

    with app.app_context():
        upgrade()
        seed_reference(db.session)
        centres = list(db.session.scalars(select(Agency).where(Agency.kind == "commune_service_centre")
                                          .order_by(Agency.id)))
        for i, c in enumerate(centres[:5]):
            if c.parent_id is not None:
                parent = db.session.get(Agency, c.parent_id)
                create_user(db.session, username=f"bench_head{i}", full_name="Bench Head", role="head",
                            agency_code=parent.identifier, password="bench-pass-123", now=NOW)
        db.session.commit()
        centre_ids = [c.id for c in centres[:5]] or [1]
        proc_ids = list(db.session.scalars(select(Procedure.id).order_by(Procedure.id).limit(10)))
        t0 = time.perf_counter()
        insert_dossiers(db.session, n, centre_ids, proc_ids)
        db.session.commit()
        load_s = time.perf_counter() - t0
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE dossiers")
        else:
            with db.engine.begin() as c:
                c.exec_driver_sql("ANALYZE")
        return {"load_s": round(load_s, 1)}


def insert_dossiers(session: Any, n: int, centres: list[int], procs: list[int]) -> None:
    """~5 % open (i % 20 == 0), received over the last 30 days, due 7 days later; the others
    finished (returned) over the two years before NOW."""
    dialect = session.get_bind().dialect.name
    nc, npr = len(centres), len(procs)
    centre_case = ("CASE " + " ".join(f"WHEN i % {nc} = {k} THEN {cid}" for k, cid in enumerate(centres))
                   + " END")
    proc_case = "CASE " + " ".join(f"WHEN i % {npr} = {k} THEN {pid}" for k, pid in enumerate(procs)) + " END"
    now_s = NOW.strftime("%Y-%m-%d %H:%M:%S")
    if dialect == "postgresql":
        ts = "timestamptz '" + now_s + "+00'"
        recv = (f"CASE WHEN i % 20 = 0 THEN {ts} - ((i * 7919) % 2592000) * interval '1 second' "
                f"ELSE {ts} - interval '40 days' - ((i * 104729) % 63072000) * interval '1 second' END")
        plus = "{x} + interval '{d} days'"
        series = f"generate_series(1::bigint, {n}::bigint) AS g(i)"
        prefix = ""
        src = series
    else:
        def sq(expr: str) -> str:
            return f"(strftime('%Y-%m-%d %H:%M:%S', {expr}) || '.000000')"

        recv_raw = (f"CASE WHEN i % 20 = 0 "
                    f"THEN datetime('{now_s}', '-' || ((i * 7919) % 2592000) || ' seconds') "
                    f"ELSE datetime('{now_s}', '-40 days', '-' || ((i * 104729) % 63072000) || ' seconds') "
                    "END")
        recv = sq(recv_raw)
        plus = "(strftime('%Y-%m-%d %H:%M:%S', {x}, '+{d} days') || '.000000')"
        prefix = f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) "
        src = "seq"
    sql = (
        f"{prefix}INSERT INTO dossiers (code, lookup_secret_hash, procedure_id, receiving_agency_id, "
        "current_agency_id, applicant_name, applicant_search, applicant_id_number, applicant_phone, "
        "applicant_email, applicant_address, channel, documents, note, rule_set, submitted_at, received_at, "
        "clock_base_at, clock_start_at, due_at, apology_reason, status, supplement_count, finished_at, "
        "returned_at, result_note, updated_at, version) "
        f"SELECT 'B-' || i, 'x', {proc_case}, {centre_case}, {centre_case}, "
        "'Nguyễn Văn An', 'nguyen van an', "
        "'', '', CASE WHEN i % 3 = 0 THEN 'a' || i || '@example.vn' ELSE '' END, '', "
        "CASE WHEN i % 4 = 0 THEN 'online' ELSE 'direct' END, '[]', '', 'ND118/2025', r, r, r, r, "
        f"{plus.format(x='r', d=7)}, '', CASE WHEN i % 20 = 0 THEN 'processing' ELSE 'returned' END, 0, "
        f"CASE WHEN i % 20 = 0 THEN NULL ELSE {plus.format(x='r', d=3)} END, "
        f"CASE WHEN i % 20 = 0 THEN NULL ELSE {plus.format(x='r', d=3)} END, '', r, 1 "
        f"FROM (SELECT i, {recv} AS r FROM {src}) AS s"
    )
    if dialect == "postgresql":
        sql = sql.replace("%", "%%")  # psycopg reads % as a placeholder even without parameters
    session.connection().exec_driver_sql(sql)


def bare_statements(session: Any) -> list[str]:
    """The literal UPDATEs the scan issues (threshold precomputed, as the scan does once)."""
    from onestop.domain.timing import due_soon_from
    from onestop.services.admin.calendars import calendar_for

    soon = due_soon_from(NOW, calendar_for(session, None))
    pg = session.get_bind().dialect.name == "postgresql"

    def lit(t: datetime) -> str:
        u = t.astimezone(UTC)
        return f"'{u:%Y-%m-%d %H:%M:%S}+00'" if pg else f"'{u:%Y-%m-%d %H:%M:%S}.000000'"

    # THE timing rule (docs/rules.md, "Timing" T4), hand-written: more than one supplement request,
    # or past the due time with no open pause begun by then; due soon: neither, due within a day.
    paused = ("EXISTS (SELECT 1 FROM pause_intervals p WHERE p.dossier_id = dossiers.id "
              "AND p.ended_at IS NULL AND p.started_at <= dossiers.due_at)")
    overdue = (f"UPDATE dossiers SET overdue_flagged_at = {lit(NOW)} WHERE finished_at IS NULL "
               f"AND due_at IS NOT NULL AND overdue_flagged_at IS NULL "
               f"AND (supplement_count > 1 OR (due_at < {lit(NOW)} AND NOT {paused}))")
    due_soon = (f"UPDATE dossiers SET due_soon_flagged_at = {lit(NOW)} WHERE finished_at IS NULL "
                f"AND due_at IS NOT NULL AND due_at >= {lit(NOW)} AND due_at <= {lit(soon)} "
                f"AND due_soon_flagged_at IS NULL AND supplement_count <= 1 AND NOT {paused}")
    return [overdue, due_soon]


def reset(session: Any) -> None:
    session.connection().exec_driver_sql(
        "UPDATE dossiers SET overdue_flagged_at = NULL, due_soon_flagged_at = NULL WHERE finished_at IS NULL")
    session.connection().exec_driver_sql("DELETE FROM notifications")
    session.connection().exec_driver_sql("DELETE FROM outbox")
    session.commit()


def timed(session: Any, fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    session.commit()
    return time.perf_counter() - t0, out


def run_size(engine: str, n: int, pg_url: str, repeats: int) -> dict[str, Any]:
    from onestop.extensions import db
    from onestop.services.dossiers.scanning import (
        flag_due_soon_dossiers,
        flag_overdue_dossiers,
        scan_dossiers,
    )

    with database(engine, pg_url) as url:
        app = build_app(url)
        info = prepare(app, n)
        with app.app_context():
            s = db.session
            stmts = bare_statements(s)

            def scan() -> tuple[int, int]:
                return flag_overdue_dossiers(s, NOW), flag_due_soon_dossiers(s, NOW)

            def bare() -> tuple[int, int]:
                c = s.connection()
                return c.exec_driver_sql(stmts[0]).rowcount, c.exec_driver_sql(stmts[1]).rowcount

            scans, bares, fulls = [], [], []
            flagged: Any = None
            for _ in range(repeats):
                reset(s)
                t, flagged = timed(s, scan)
                scans.append(t)
                reset(s)
                t, bare_flagged = timed(s, bare)
                bares.append(t)
                assert tuple(bare_flagged) == tuple(flagged), (bare_flagged, flagged)
                reset(s)
                t, full = timed(s, lambda: scan_dossiers(s, NOW))
                fulls.append(t)
            reset(s)
            tracemalloc.start()
            tracemalloc.reset_peak()
            scan()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            s.commit()
            reset(s)
        app_engine = None
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        del app_engine
    scan_med, bare_med = statistics.median(scans), statistics.median(bares)
    return {
        "engine": engine, "n": n, "open": n // 20,
        "overdue_flagged": flagged[0], "due_soon_flagged": flagged[1],
        "scan_ms": round(scan_med * 1000, 1), "bare_ms": round(bare_med * 1000, 1),
        "ratio": round(scan_med / bare_med, 2) if bare_med else None,
        "scan_notify_ms": round(statistics.median(fulls) * 1000, 1),
        "notified": full.notified, "emailed": full.emailed,
        "peak_kib": round(peak / 1024, 1), **info,
    }


# The scheduler's gaps measured on a generated history: a normal tick, an hour, a day, a week down.
GAPS = (("15 min", 15), ("1 hour", 60), ("1 day", 24 * 60), ("1 week", 7 * 24 * 60))


def run_history(url: str, end: datetime, repeats: int) -> list[dict[str, Any]]:
    """On a ``bench/generate.py`` database whose history ends at ``end``: the first scan ever at
    ``end`` (flags the whole generated backlog; committed, once), then per gap a scan at
    ``end + gap`` with its notifications, rolled back, so every gap starts from the same state.
    Beside it, in the same transaction state, the single UPDATE of the former scan (every open
    dossier examined) as literal SQL — the "before" of docs/benchmarks.md."""
    from datetime import timedelta

    from onestop.extensions import db
    from onestop.services.dossiers.scanning import scan_dossiers

    app = build_app(url)
    out: list[dict[str, Any]] = []
    with app.app_context():
        s = db.session
        if not s.connection().exec_driver_sql(
                "SELECT 1 FROM dossiers WHERE overdue_flagged_at IS NOT NULL LIMIT 1").first():
            t, first = timed(s, lambda: scan_dossiers(s, end))
            out.append({"case": "first scan (whole backlog)", "ms": round(t * 1000, 1), **first.as_dict()})
            print(json.dumps(out[-1]), flush=True)
        pg = s.get_bind().dialect.name == "postgresql"
        for label, minutes in GAPS:
            now = end + timedelta(minutes=minutes)
            lit = f"'{now.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00'" if pg else \
                f"'{now.astimezone(UTC):%Y-%m-%d %H:%M:%S}.000000'"
            paused = ("EXISTS (SELECT 1 FROM pause_intervals p WHERE p.dossier_id = dossiers.id "
                      "AND p.ended_at IS NULL AND p.started_at <= dossiers.due_at)")
            former = (f"UPDATE dossiers SET overdue_flagged_at = {lit} WHERE finished_at IS NULL "
                      f"AND due_at IS NOT NULL AND overdue_flagged_at IS NULL "
                      f"AND (supplement_count > 1 OR (due_at < {lit} AND NOT {paused}))")
            scans, formers, r = [], [], None
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = scan_dossiers(s, now)
                s.flush()
                scans.append(time.perf_counter() - t0)
                s.rollback()
                if pg:
                    s.connection().exec_driver_sql("SET LOCAL jit = off")  # as the scan does
                t0 = time.perf_counter()
                n_former = s.connection().exec_driver_sql(former).rowcount
                formers.append(time.perf_counter() - t0)
                s.rollback()
            tracemalloc.start()
            scan_dossiers(s, now)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            s.rollback()
            assert r is not None
            out.append({"case": f"gap {label}", "ms": round(statistics.median(scans) * 1000, 1),
                        "former_update_ms": round(statistics.median(formers) * 1000, 1),
                        "former_flagged": n_former, "peak_kib": round(peak / 1024, 1), **r.as_dict()})
            print(json.dumps(out[-1]), flush=True)
        s.remove()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="largest size (default 1,000,000)")
    ap.add_argument("--sizes", default="10000", help="smaller sizes to compare memory with (comma list)")
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg-url", default=os.environ.get("ONESTOP_BENCH_PG_URL", PG_DEFAULT))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--history", default=None,
                    help="URL of a bench/generate.py database: measure the scan after gaps instead")
    ap.add_argument("--end", default="2026-03-02T02:00:00+00:00", help="the instant its history ends at")
    args = ap.parse_args()
    if args.history:
        print(f"# {platform.platform()} · load {os.getloadavg()}", flush=True)
        run_history(args.history, datetime.fromisoformat(args.end), args.repeats)
        print(f"# load {os.getloadavg()}")
        return
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()} | {args.n})
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    print(f"# {platform.platform()} · Python {platform.python_version()} · {os.cpu_count()} CPUs", flush=True)
    results = []
    for engine in engines:
        for n in sizes:
            r = run_size(engine, n, args.pg_url, args.repeats)
            results.append(r)
            print(json.dumps(r), flush=True)
    print("\n| engine | N | open | flagged overdue / due soon | scan (ms) | bare SQL (ms) | ratio | "
          "scan + notifications (ms) | peak Python memory (KiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['engine']} | {r['n']:,} | {r['open']:,} "
              f"| {r['overdue_flagged']:,} / {r['due_soon_flagged']:,} "
              f"| {r['scan_ms']} | {r['bare_ms']} | {r['ratio']} | {r['scan_notify_ms']} | {r['peak_kib']} |")
    for engine in engines:
        rs = [r for r in results if r["engine"] == engine]
        if len(rs) >= 2:
            print(f"{engine}: peak memory at {rs[-1]['n']:,} / at {rs[0]['n']:,} = "
                  f"{rs[-1]['peak_kib'] / rs[0]['peak_kib']:.2f}×")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
