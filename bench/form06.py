"""Benchmark: Form 06 for a quarter vs the bare SQL aggregate over the same dossier set.

Run from the repository root::

    .venv/bin/python bench/form06.py                 # 1,000,000 dossiers, SQLite and PostgreSQL
    .venv/bin/python bench/form06.py --n 50000       # quick
    .venv/bin/python bench/form06.py --engine sqlite --n 200000 --keep

Builds a fresh database (migrations + the reference catalogue), inserts N dossiers with bulk raw
INSERTs (SQLite executemany, PostgreSQL COPY) spread over three years before 02/03/2026, plus a
pause interval and a due-change event (payload old_due_at/due_at) for ~6 % of them, runs ANALYZE,
then times ``services.reporting.reports.form06`` (THE Form 06 builder: the as-of statement + folding) against
``services.reporting.reports.bare_aggregate_query`` (the same dossier set counted per field) for a recent and
an old quarter, for the whole province and for one commune, for the whole year 2025 (province), and
for the current quarter as of now (2026-Q1 on 02/03/2026: open dossiers judged at now).
``--cases year`` runs only the whole-year case (the 1M whole-year figure). Results:
docs/benchmarks.md "## Form 06".
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/calendar.py would shadow the standard library's `calendar` (imported by `holidays`).
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != os.path.join(ROOT, "bench")]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench._machine import cpu_model  # noqa: E402

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 02/03/2026 09:00 in Hà Nội
YEARS = 3
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

COLUMNS = (
    "id", "code", "lookup_secret_hash", "procedure_id", "receiving_agency_id", "current_agency_id",
    "assignee_id", "applicant_name", "applicant_search", "applicant_id_number", "applicant_phone",
    "applicant_email", "applicant_address", "channel", "documents", "note", "rule_set", "limit_value",
    "limit_unit", "submitted_at", "received_at", "clock_base_at", "clock_start_at", "due_at",
    "apology_reason", "status", "supplement_count", "finished_at", "returned_at", "result_note",
    "updated_at", "version",
)


def make_app(url: str) -> Any:
    from onestop import create_app

    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench",
                                  "WTF_CSRF_ENABLED": False})


def _ts(value: datetime | None, sqlite: bool) -> Any:
    if value is None:
        return None
    if sqlite:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.astimezone(UTC).isoformat()


def generate(n: int, agency_ids: list[int], procs: list[tuple[int, int]], seed: int = 6) -> Iterator[
        tuple[dict[str, Any], tuple[Any, ...] | None]]:
    """Yields (dossier row with aware datetimes, optional (pause start, pause end, old due, new due))."""
    rng = random.Random(seed)
    span = YEARS * 365 * 86400
    start = NOW - timedelta(days=YEARS * 365)
    for i in range(1, n + 1):
        proc_id, limit_days = procs[rng.randrange(len(procs))]
        ag = agency_ids[rng.randrange(len(agency_ids))]
        received = start + timedelta(seconds=rng.randrange(span))
        # Office hours, local 07:30–17:00 (UTC 00:30–10:00), approximately.
        received = received.replace(hour=rng.randrange(1, 10), minute=rng.randrange(60), second=0,
                                    microsecond=0)
        if received > NOW:
            received = NOW - timedelta(hours=1)
        due = (received + timedelta(days=max(0, limit_days) * 7 // 5 + 1)).replace(hour=10, minute=0)
        r = rng.random()
        channel = "online" if r < 0.42 else ("postal" if r < 0.47 else "direct")
        supplements = 0 if rng.random() < 0.9 else (1 if rng.random() < 0.8 else 2)
        pause = None
        age_days = (NOW - received).days
        open_prob = 0.5 if age_days < 20 else (0.05 if age_days < 90 else 0.005)
        finished = None
        status = "processing"
        if rng.random() >= open_prob:
            finished = received + timedelta(hours=rng.randrange(2, int(max(1, limit_days) * 24 * 1.6) + 24))
            if finished > NOW:
                finished = None
        if finished is not None:
            status = rng.choice(("returned", "returned", "returned", "result_ready", "withdrawn"))
        if supplements and finished is None and received + timedelta(hours=5) <= NOW and rng.random() < 0.4:
            status = "awaiting_supplement"
            ps = received + timedelta(hours=5)
            pause = (ps, None, due, due)
        elif supplements:
            ps = received + timedelta(hours=5)
            pe = ps + timedelta(days=2)
            new_due = due + timedelta(days=2)
            if finished is not None and pe > finished:
                pe = finished
            if ps <= pe <= NOW:
                pause = (ps, pe, due, new_due)
                due = new_due
        row = {
            "id": i, "code": f"BENCH-{i:09d}", "lookup_secret_hash": "0" * 64, "procedure_id": proc_id,
            "receiving_agency_id": ag, "current_agency_id": ag, "assignee_id": None,
            "applicant_name": "Nguyễn Văn Bench", "applicant_search": "nguyen van bench",
            "applicant_id_number": "", "applicant_phone": "", "applicant_email": "", "applicant_address": "",
            "channel": channel, "documents": "[]", "note": "", "rule_set": "ND118/2025",
            "limit_value": limit_days, "limit_unit": "working_days", "submitted_at": received,
            "received_at": received, "clock_base_at": received, "clock_start_at": received, "due_at": due,
            "apology_reason": "", "status": status, "supplement_count": supplements, "finished_at": finished,
            "returned_at": finished if status == "returned" else None, "result_note": "",
            "updated_at": finished or received, "version": 1,
        }
        yield row, pause


def build(url: str, n: int, log: Callable[[str], None]) -> Any:
    """Create the schema and the data; returns the Flask app bound to ``url``."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from onestop.demo.seed import seed_reference
    from onestop.extensions import db
    from onestop.models import Agency, Procedure

    app = make_app(url)
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()
        seed_reference(db.session)
        db.session.commit()
        receivers = [a for (a,) in db.session.execute(
            select(Agency.id).where(Agency.kind.in_(("commune_service_centre", "service_centre"))))]
        procs = [(pid, int(lv)) for pid,
                 lv in db.session.execute(select(Procedure.id, Procedure.limit_value))]
        sqlite = db.engine.dialect.name == "sqlite"
        db.session.commit()  # release the session's (write-locking, on SQLite) transaction
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            if sqlite:
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("BEGIN")
                batch: list[tuple[Any, ...]] = []
                pauses: list[tuple[Any, ...]] = []
                events: list[tuple[Any, ...]] = []
                ins = f"INSERT INTO dossiers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
                for row, pause in generate(n, receivers, procs):
                    batch.append(tuple(_ts(row[c], True) if isinstance(row[c], datetime) else row[c]
                                       for c in COLUMNS))
                    if pause is not None:
                        _pause_rows(row, pause, pauses, events, sqlite=True)
                    if len(batch) >= 20000:
                        cur.executemany(ins, batch)
                        batch.clear()
                cur.executemany(ins, batch)
                cur.executemany(
                    "INSERT INTO pause_intervals (dossier_id, kind, reason, items, started_at, ended_at)"
                                " VALUES (?, 'supplement', '', '[]', ?, ?)", pauses)
                cur.executemany(
                    "INSERT INTO dossier_events (dossier_id, seq, at, action, from_status, to_status,"
                                " note, public, payload) VALUES (?, ?, ?, ?, ?, ?, '', 1, ?)", events)
                cur.execute("COMMIT")
                cur.execute("ANALYZE")
            else:
                pauses, events = [], []
                with cur.copy(f"COPY dossiers ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                    for row, pause in generate(n, receivers, procs):
                        cp.write_row(tuple(_ts(row[c], False) if isinstance(row[c], datetime) else row[c]
                                           for c in COLUMNS))
                        if pause is not None:
                            _pause_rows(row, pause, pauses, events, sqlite=False)
                with cur.copy("COPY pause_intervals (dossier_id, kind, reason, items, started_at, ended_at) "
                              "FROM STDIN") as cp:
                    for p in pauses:
                        cp.write_row((p[0], "supplement", "", "[]", p[1], p[2]))
                with cur.copy(
                    "COPY dossier_events (dossier_id, seq, at, action, from_status, to_status, note,"
                              " public, payload) FROM STDIN") as cp:
                    for e in events:
                        cp.write_row((*e[:6], "", True, e[6]))
                cur.execute("SELECT setval(pg_get_serial_sequence('dossiers', 'id'), %s)", (n,))
                raw.commit()
                cur.execute("ANALYZE")
                raw.commit()
        finally:
            raw.close()
        log(f"  built {n:,} dossiers ({len(pauses):,} pauses, {len(events):,} due-change events) "
            f"in {time.perf_counter() - t0:.1f} s")
    return app


def _pause_rows(row: dict[str, Any], pause: tuple[Any, ...], pauses: list[tuple[Any, ...]],
                events: list[tuple[Any, ...]], *, sqlite: bool) -> None:
    import json

    ps, pe, old_due, new_due = pause
    pauses.append((row["id"], _ts(ps, sqlite), _ts(pe, sqlite)))
    if pe is not None:
        payload = json.dumps({"old_due_at": old_due.isoformat(), "due_at": new_due.isoformat()})
        events.append(
            (row["id"], 1, _ts(pe, sqlite), "provide_supplement", "awaiting_supplement", "processing",
                       payload))


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    first_t = time.perf_counter()
    result = fn()
    first = time.perf_counter() - first_t
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return first, runs, result


CASES = {
    "recent": ("2025-Q4, province", "root", (date(2025, 10, 1), date(2025, 12, 31))),
    "old": ("2023-Q3, province", "root", (date(2023, 7, 1), date(2023, 9, 30))),
    "commune": ("2025-Q4, one commune", "commune", (date(2025, 10, 1), date(2025, 12, 31))),
    "year": ("2025 whole year, province", "root", (date(2025, 1, 1), date(2025, 12, 31))),
    "now": ("2026-Q1 as of now, prov.", "root", (date(2026, 1, 1), date(2026, 3, 31))),
}


def measure(app: Any, repeat: int, log: Callable[[str], None],
            cases: tuple[str, ...] = tuple(CASES)) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from onestop.extensions import db
    from onestop.models import Agency, Dossier
    from onestop.services.reporting import reports

    out = []
    with app.app_context():
        s = db.session
        root = s.scalar(select(Agency).where(Agency.parent_id.is_(None)))
        commune = s.scalar(select(Agency).where(Agency.identifier == "000.00.31.H25"))
        total = s.scalar(select(func.count(Dossier.id)))
        for label, who, (start, end) in (CASES[c] for c in cases):
            ag = root if who == "root" else commune

            def run_form06(ag: Agency = ag, start: datetime = start, end: datetime = end) -> Any:
                r = reports.form06(s, ag, start, end, now=NOW)
                s.rollback()
                return r

            def run_bare(ag: Agency = ag, start: datetime = start, end: datetime = end) -> Any:
                r = s.execute(reports.bare_aggregate_query(s, ag, start, end)).all()
                s.rollback()
                return r

            # Interleave so both see the same cache state.
            f_first, f_runs, report = _time(run_form06, repeat)
            b_first, b_runs, bare = _time(run_bare, repeat)
            f2 = _time(run_form06, repeat)[1]
            b2 = _time(run_bare, repeat)[1]
            f_med, b_med = statistics.median(f_runs + f2), statistics.median(b_runs + b2)
            assert report.identity_errors() == [], report.identity_errors()
            assert sum(n for _f, n in bare) == report.totals.received_total
            rec = {"case": label, "dossiers": total, "counted": report.totals.received_total,
                   "form06_first": f_first, "form06_median": f_med, "bare_first": b_first,
                   "bare_median": b_med,
                   "ratio": f_med / b_med if b_med else float("nan")}
            out.append(rec)
            log(f"  {label:<22} counted {rec['counted']:>8,}  form06 median {f_med * 1000:7.1f} ms "
                f"(first {f_first * 1000:7.1f})  bare {b_med * 1000:7.1f} ms (first {b_first * 1000:7.1f})  "
                f"ratio {rec['ratio']:.2f}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--sqlite-path", default="/tmp/onestop_bench_form06.db")
    ap.add_argument("--pg-url", default=os.environ.get("ONESTOP_BENCH_PG_URL", PG_DEFAULT),
                    help="a PostgreSQL server URL; a private database is created and dropped")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the database (for bench/dashboard.py --url)")
    ap.add_argument("--url", help="measure an existing benchmark database (built with --keep) instead")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    args = ap.parse_args(argv)
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    if not cases or any(c not in CASES for c in cases):
        ap.error(f"--cases: choose among {', '.join(CASES)}")

    def log(msg: str) -> None:
        print(msg, flush=True)

    log(f"Form 06 benchmark: N={args.n:,}, {platform.python_version()}, {cpu_model()}, "
        f"{os.cpu_count()} cores")
    if args.url:
        log(f"[{args.url.split(':', 1)[0]}] existing database")
        measure(make_app(args.url), args.repeat, log, cases)
        return 0
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for eng in engines:
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
            measure(app, args.repeat, log, cases)
            with app.app_context():
                from onestop.extensions import db

                db.session.remove()
                db.engine.dispose()
        finally:
            if not args.keep:
                cleanup()
    return 0


def _pg_database(base_url: str, *, keep: bool, log: Callable[[str], None]) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    name = f"onestop_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if keep:
        log(f"  database kept: {base.set(database=name).render_as_string(hide_password=False)}")

    def drop() -> None:
        eng = create_engine(base, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


if __name__ == "__main__":
    raise SystemExit(main())
