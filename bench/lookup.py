"""Citizen look-up vs a bare endpoint, with production settings (docs/benchmarks.md "Look-up vs
bare endpoint"; goals: the JSON API ≥ 70 % of the bare endpoint, the HTML page ≥ 35 %).

    python bench/lookup.py --url sqlite:////tmp/bench.db           # a database from bench/generate.py
    python bench/lookup.py --url postgresql+psycopg://postgres@127.0.0.1/bench
    python bench/lookup.py --generate 20000                         # a fresh SQLite one first

In one run, for one database, each under gunicorn as docs/operations.md §3 runs it — ``--workers``
(default 4) sync workers, the access log on (to a file), the app in ``ONESTOP_ENV=production``
with gunicorn.conf.py (preload) and the rate-limit store in Redis (``--redis``, default
redis://127.0.0.1:6379/0 under a key prefix of its own) — the load generator (wrk if installed,
else a bounded Python one) drives, in alternating rounds with the same codes:

* the bare endpoint: bench/bare_app.py, a raw WSGI callable (no framework) doing the same
  indexed SELECT by code and the same HMAC check, in autocommit;
* bench/bare_app.py's ``create_flask_app``: the same work behind one bare Flask route (the
  framework's own share);
* ``GET /api/v1/lookup/<code>?secret=`` — the JSON look-up (Open311 fields);
* ``POST /lookup`` with code + secret — the verified HTML page (what the citizen sees after typing
  the secret on the page the receipt's QR opens);
* ``GET /lookup?code=`` — the page the receipt's QR opens (the form, pre-filled).

Besides req/s, each round records the CPU time the serving gunicorn's processes spent per request
(/proc, user + system; Redis's and the database server's own CPU are not in it): on a machine
shared with other work, throughput moves with the load, CPU per request much less.

The look-up's per-address limit is raised for the run (every request still counts in Redis).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
sys.path.append(HERE)

import httpload

SECRET = "BENCH2345"
KEY = "bench-secret-key"


def sample_codes(url: str, k: int) -> tuple[list[str], int]:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        hi = c.execute(text("SELECT max(id) FROM dossiers")).scalar() or 0
        if not hi:
            raise SystemExit("the database holds no dossiers: run bench/generate.py first")
        rng = random.Random(7)
        ids = [rng.randint(1, hi) for _ in range(k * 2)]
        codes = [r[0] for r in c.execute(text("SELECT code FROM dossiers WHERE id IN ({})".format(
            ",".join(str(i) for i in ids))))]
        n = c.execute(text("SELECT count(*) FROM dossiers")).scalar() or 0
    eng.dispose()
    return codes[:k], int(n)


def run(server: httpload.Gunicorn, paths: list[str], *, seconds: int, total: int, method: str = "GET",
        bodies: list[str] | None = None, headers: dict[str, str] | None = None,
        concurrency: int = 16) -> httpload.LoadResult:
    port = server.port
    # Warm-up (each worker builds its calendar and connection pool on its first requests).
    httpload.python_load(port, paths, method=method, bodies=bodies or (), headers=headers, total=80,
                         concurrency=4)
    cpu = server.cpu_seconds()
    if httpload.have_wrk():
        result = httpload.wrk_load(port, paths, method=method, bodies=bodies or (), headers=headers,
                                   seconds=seconds, concurrency=concurrency)
    else:
        result = httpload.python_load(port, paths, method=method, bodies=bodies or (), headers=headers,
                                      total=total, concurrency=concurrency)
    result.cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, result.requests)
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", help="database URL holding a bench/generate.py history")
    ap.add_argument("--generate", type=int, default=0,
                    help="generate N dossiers into a fresh SQLite file first")
    ap.add_argument("--seconds", type=int, default=8, help="wrk duration per round")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (median reported)")
    ap.add_argument("--requests", type=int, default=3000, help="requests per round without wrk")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers (docs/operations.md §3)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the shared rate-limit store")
    args = ap.parse_args()
    url = args.url
    if not url:
        n = args.generate or 20000
        url = f"sqlite:///{tempfile.mkdtemp(prefix='onestop-lookup-')}/bench.db"
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--url", url, "-n", str(n)],
                       check=True, stdout=subprocess.DEVNULL)
    codes, total = sample_codes(url, 1000)
    q = urllib.parse.quote
    api_paths = [f"/api/v1/lookup/{q(c)}?secret={SECRET}" for c in codes]
    bare_paths = [f"/bare/lookup/{q(c)}?secret={SECRET}" for c in codes]
    qr_paths = [f"/lookup?code={q(c)}" for c in codes]
    page_bodies = [urllib.parse.urlencode({"code": c, "secret": SECRET}) for c in codes]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    logs = tempfile.mkdtemp(prefix="onestop-lookup-logs-")
    app_env = {"ONESTOP_DATABASE_URL": url, "ONESTOP_SECRET_KEY": KEY, "ONESTOP_ENV": "production",
               "ONESTOP_PUBLIC_BASE_URL": "https://dichvucong.example.vn",
               "ONESTOP_RATELIMIT_STORAGE_URI": args.redis,
               "ONESTOP_RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
               "ONESTOP_WORKERS": str(args.workers), "ONESTOP_LOOKUP_RATE_LIMIT": "100000000 per minute"}
    bare_env = {"BARE_DATABASE_URL": url, "BARE_SECRET_KEY": KEY}
    res: dict[str, list[httpload.LoadResult]] = {"bare": [], "flask": [], "api": [], "page": [], "qr": []}
    app_args = ["-c", os.path.join(ROOT, "gunicorn.conf.py"),
                "--access-logfile", os.path.join(logs, "app.log")]
    bare_args = ["--access-logfile", os.path.join(logs, "bare.log")]
    flask_args = ["--access-logfile", os.path.join(logs, "flask.log")]
    with httpload.Gunicorn("onestop:create_app()", app_env, workers=args.workers, args=app_args) as app, \
            httpload.Gunicorn("bench.bare_app:create_app()", bare_env, workers=args.workers,
                              args=bare_args) as bare, \
            httpload.Gunicorn("bench.bare_app:create_flask_app()", bare_env, workers=args.workers,
                              args=flask_args) as flask_bare:
        for _ in range(args.rounds):
            res["bare"].append(run(bare, bare_paths, seconds=args.seconds, total=args.requests))
            res["flask"].append(run(flask_bare, bare_paths, seconds=args.seconds, total=args.requests))
            res["api"].append(run(app, api_paths, seconds=args.seconds, total=args.requests))
            res["page"].append(run(app, ["/lookup"], method="POST", bodies=page_bodies, headers=form,
                                   seconds=args.seconds, total=args.requests))
            res["qr"].append(run(app, qr_paths, seconds=args.seconds, total=args.requests))

    def med(rs: list[httpload.LoadResult], attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in rs))

    bare_rps = med(res["bare"], "rps")
    bare_cpu = med(res["bare"], "cpu_ms")
    flask_rps = med(res["flask"], "rps")
    rows = []
    for name, label in (("bare", "bare WSGI: same indexed SELECT + HMAC"),
                        ("flask", "bare Flask route: the same work, no extensions"),
                        ("api", "GET /api/v1/lookup/<code>?secret="),
                        ("page", "POST /lookup (verified page)"),
                        ("qr", "GET /lookup?code= (the QR's page)")):
        rs = res[name]
        errors = sum(r.errors for r in rs)
        rows.append([label, f"{med(rs, 'rps'):,.0f}", f"{med(rs, 'p50_ms'):.1f}", f"{med(rs, 'p99_ms'):.1f}",
                     f"{med(rs, 'rps') / bare_rps:.0%}" if bare_rps else "-",
                     f"{med(rs, 'rps') / flask_rps:.0%}" if flask_rps else "-", f"{med(rs, 'cpu_ms'):.2f}",
                     f"{bare_cpu / med(rs, 'cpu_ms'):.0%}" if med(rs, "cpu_ms") else "-", str(errors)])
    engine = url.split(":", 1)[0]
    print(f"database: {engine}, {total:,} dossiers; gunicorn -w {args.workers} each, access log on, app in "
          f"production with Redis; load: {res['bare'][0].tool}, {args.rounds} alternating rounds (median); "
          f"load average {os.getloadavg()[0]:.1f}")
    print(httpload.table(rows, ["endpoint", "req/s", "p50 ms", "p99 ms", "vs bare", "vs Flask bare",
                                "CPU ms/req",
                                "vs bare (CPU)", "errors"]))
    print("rounds (req/s): " + "; ".join(f"{name} " + " ".join(f"{r.rps:,.0f}" for r in rs)
                                         for name, rs in res.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
