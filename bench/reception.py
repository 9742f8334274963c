"""Reception throughput: dossiers received per second on SQLite and PostgreSQL.

    python bench/reception.py [N] [--pg URL]

Two measurements per engine, on a fresh migrated database holding the reference catalogue:

* **api**: ``POST /api/v1/dossiers`` (bearer token, JSON) through gunicorn with 2 worker
  processes, driven over loopback by wrk (or the bounded Python generator) — the whole web
  path: auth, parsing, ``services.dossiers.reception.receive_dossier``, code allocation, commit.
* **service**: 2 worker processes calling ``receive_dossier`` + commit directly, N in total —
  the ceiling without HTTP.

Goal: ≥ 200 dossiers/s on PostgreSQL with 2 workers. Results go in
docs/benchmarks.md, section "Reception throughput".
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
for p in (ROOT, HERE):
    if p not in sys.path:
        sys.path.insert(0 if p == ROOT else len(sys.path), p)

import httpload

SECRET_KEY = "bench-secret-key"
CLERK = "bench.clerk"
DESK = "000.01.31.H25"  # TTPVHCC xã Tân Lạc (demo/data/agencies.csv)
PROCEDURE = "1.004884"  # 5 working days


def _app(url: str):  # type: ignore[no-untyped-def]
    from onestop import create_app

    return create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})


def prepare(url: str, *, own_desk: bool = False) -> tuple[str, str]:
    """Migrate, seed the catalogue and a clerk (each only if missing, so an existing history can be
    used); return (a new bearer token for the clerk, the clerk's username).

    ``own_desk``: the clerk works at a desk of its own, new for this run, beside the demo desk (same
    parent, level and kind): a desk numbers at most 9,999 dossiers a day (docs/domain.md §3), which a
    few runs at a few hundred a second on one day would use up, and the history's rows are append-only
    (nothing is deleted to make room)."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from onestop.demo.seed import seed_reference
    from onestop.extensions import db
    from onestop.models import Agency, Procedure, User
    from onestop.services.admin.accounts import create_user, issue_token
    from onestop.services.admin.agencies import create_agency

    app = _app(url)
    with app.app_context():
        upgrade()
        if db.session.scalar(select(Procedure.id).where(Procedure.code == PROCEDURE)) is None:
            seed_reference(db.session)
        now = datetime.now(UTC)
        desk, clerk = DESK, CLERK
        if own_desk:
            k = db.session.scalar(select(func.count()).where(Agency.identifier.like("9__.99.99.Z__"))) or 0
            desk, clerk = f"{900 + k // 100:03d}.99.99.Z{k % 100:02d}", f"{CLERK}.{k}"
            demo = db.session.scalar(select(Agency).where(Agency.identifier == DESK))
            assert demo is not None and demo.parent is not None
            admin = db.session.scalar(select(User).where(User.role == "admin").limit(1))
            create_agency(db.session, identifier=desk, name=f"Bàn tiếp nhận thử tải {k}", short_name="",
                          level=demo.level, kind=demo.kind, parent_identifier=demo.parent.identifier,
                          office_hours=demo.office_hours, valid_from=demo.valid_from, actor=admin,  # type: ignore[arg-type]
                          now=now)
        u = db.session.scalar(select(User).where(User.username == clerk))
        if u is None:
            u = create_user(db.session, username=clerk, full_name="Bench Clerk", role="clerk",
                            agency_code=desk, password="bench-password-123", now=now)
        token = issue_token(db.session, u, now=now, name="bench")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token, clerk


def _service_worker(url: str, n: int, q: mp.Queue, username: str) -> None:  # type: ignore[type-arg]
    from sqlalchemy import select

    from onestop.domain.codes import lookup_key
    from onestop.extensions import db
    from onestop.models import User
    from onestop.services.dossiers.applicant import Applicant
    from onestop.services.dossiers.reception import ReceptionInput, receive_dossier

    app = _app(url)
    with app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == username))
        assert clerk is not None
        agency_id = clerk.agency_id
        key = lookup_key(app.config)
        # A fixed office-hours instant (Monday 09:00 local) keeps the deadline path realistic.
        now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
        data = ReceptionInput(PROCEDURE, Applicant(name="Nguyễn Văn An", id_number="001090012345",
                                                   phone="0912345678"))
        # Warm-up outside the timing: the first call builds the working calendar (seconds).
        from onestop.services.admin.calendars import calendar_for

        calendar_for(db.session, clerk.agency)
        errors = 0
        t0 = time.perf_counter()
        for i in range(n):
            try:
                clerk = db.session.get(User, clerk.id)
                receive_dossier(db.session, data, agency=clerk.agency, actor=clerk,
                                now=now + timedelta(milliseconds=i), lookup_key=key)
                db.session.commit()
            except Exception:  # noqa: BLE001 - counted
                db.session.rollback()
                errors += 1
        q.put((time.perf_counter() - t0, errors, agency_id))
        db.session.remove()


def service_run(url: str, total: int, workers: int = 2, clerk: str = CLERK) -> tuple[float, int]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    per = total // workers
    procs = [ctx.Process(target=_service_worker, args=(url, per, q, clerk)) for _ in range(workers)]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    errors = sum(r[1] for r in results)
    # Throughput over the slowest worker's loop (process start-up excluded).
    return per * workers / max(r[0] for r in results), errors


def api_run(url: str, token: str, total: int, seconds: int, redis: str = "") -> httpload.LoadResult:
    """2 gunicorn workers; with ``redis``, as docs/operations.md §3 runs the app: ONESTOP_ENV=production,
    gunicorn.conf.py (preload), the access log on (to a file) and the rate-limit store in Redis."""
    body = json.dumps({"procedure_code": PROCEDURE, "channel": "direct",
                       "applicant": {"name": "Nguyen Van An", "id_number": "001090012345",
                                     "phone": "0912345678"}})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    env = {"ONESTOP_DATABASE_URL": url, "ONESTOP_SECRET_KEY": SECRET_KEY, "ONESTOP_ENV": "development"}
    args: list[str] = []
    if redis:
        env |= {"ONESTOP_ENV": "production", "ONESTOP_PUBLIC_BASE_URL": "https://dichvucong.example.vn",
                "ONESTOP_RATELIMIT_STORAGE_URI": redis,
                "ONESTOP_RATELIMIT_KEY_PREFIX": f"bench-rx-{uuid.uuid4().hex[:8]}", "ONESTOP_WORKERS": "2"}
        logs = tempfile.mkdtemp(prefix="onestop-rx-logs-")
        args = ["-c", os.path.join(ROOT, "gunicorn.conf.py"),
                "--access-logfile", os.path.join(logs, "app.log")]
    with httpload.Gunicorn("onestop:create_app()", env, workers=2, args=args) as g:
        # Warm-up: each worker builds its working calendar on its first request (seconds).
        httpload.python_load(g.port, ["/api/v1/dossiers"], method="POST", body=body.encode(), headers=headers,
                             total=16, concurrency=4, ok_status=201)
        if httpload.have_wrk():
            return httpload.wrk_load(g.port, ["/api/v1/dossiers"], method="POST", body=body, headers=headers,
                                     seconds=seconds, concurrency=8, ok_status=201)
        return httpload.python_load(g.port, ["/api/v1/dossiers"], method="POST", body=body.encode(),
                                    headers=headers, total=total, concurrency=8, ok_status=201)


def pg_database(base: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(base)
    name = f"onestop_bench_rx_{uuid.uuid4().hex[:6]}"
    admin = create_engine(u, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return u.set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=2000, help="dossiers per measurement (service mode)")
    ap.add_argument("--pg", default=os.environ.get("ONESTOP_BENCH_PG_URL",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                    help="PostgreSQL server URL (a private database is created and dropped); '' to skip")
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration for the API run")
    ap.add_argument("--history", default="",
                    help="an existing database (e.g. from bench/generate.py) to receive into, kept")
    ap.add_argument("--redis", default="", help="production settings with this rate-limit store URL")
    args = ap.parse_args()
    if args.history:
        token, clerk = prepare(args.history, own_desk=True)
        rps, errors = service_run(args.history, args.n, clerk=clerk)
        r = api_run(args.history, token, args.n, args.seconds, args.redis)
        print(httpload.table([
            ["history", "service, 2 processes", f"{args.n:,}", f"{rps:,.0f}", "", "", str(errors)],
            ["history", f"POST /api/v1/dossiers, gunicorn -w 2 ({r.tool})", f"{r.requests:,}",
             f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", str(r.errors)]],
            ["database", "path", "dossiers", "dossiers/s", "p50 ms", "p99 ms", "errors"]))
        print(f"load average {os.getloadavg()}")
        return 0
    rows: list[list[str]] = []
    tmp = tempfile.mkdtemp(prefix="onestop-rx-")
    engines: list[tuple[str, str, object]] = [("sqlite", f"sqlite:///{tmp}/rx.db", lambda: None)]
    if args.pg:
        try:
            url, drop = pg_database(args.pg)
            engines.append(("postgresql", url, drop))
        except Exception as exc:  # noqa: BLE001
            print(f"(PostgreSQL skipped: {exc})", file=sys.stderr)
    for kind, url, drop in engines:
        try:
            token, _clerk = prepare(url)
            rps, errors = service_run(url, args.n)
            rows.append([kind, "service, 2 processes", f"{args.n:,}", f"{rps:,.0f}", "", "", str(errors)])
            r = api_run(url, token, args.n, args.seconds)
            rows.append([kind, f"POST /api/v1/dossiers, gunicorn -w 2 ({r.tool})", f"{r.requests:,}",
                         f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", str(r.errors)])
        finally:
            drop()  # type: ignore[operator]
    print(httpload.table(rows, ["engine", "path", "dossiers", "dossiers/s", "p50 ms", "p99 ms", "errors"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
