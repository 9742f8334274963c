"""Citizen lookup vs a bare endpoint (issue 7 §2a, goal ≥ 70 % of the bare throughput).

    python bench/lookup.py --url sqlite:///instance/bench.db      # a database from bench/generate.py
    python bench/lookup.py --generate 20000                        # generate a fresh SQLite one first

In one run, for one database: gunicorn with 2 workers serves the app, another gunicorn with
2 workers serves bench/bare_app.py (the same indexed SELECT by code + the HMAC check, nothing
else); wrk (or the bounded Python generator) drives each over loopback in alternating rounds
with the same codes, and the table shows requests/s, p50/p99 and the ratio app / bare for

* ``GET /api/v1/lookup/<code>?secret=`` — the public JSON lookup (Open311 fields, timeline);
* ``POST /lookup`` — the HTML page (form post with code + secret, CSRF off for the bench).

The lookup's rate limit is raised for the run (ONESTOP_LOOKUP_RATE_LIMIT) so that the
limiter's bookkeeping is measured but never refuses.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
sys.path.append(HERE)

import httpload

SECRET = "BENCH2345"
KEY = "bench-secret-key"


def sample_codes(url: str, k: int) -> list[str]:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        hi = c.execute(text("SELECT max(id) FROM dossiers")).scalar() or 0
        if not hi:
            raise SystemExit("the database holds no dossiers: run bench/generate.py first")
        import random

        rng = random.Random(7)
        ids = [rng.randint(1, hi) for _ in range(k * 2)]
        codes = [r[0] for r in c.execute(text("SELECT code FROM dossiers WHERE id IN ({})".format(
            ",".join(str(i) for i in ids))))]
        n = c.execute(text("SELECT count(*) FROM dossiers")).scalar() or 0
    eng.dispose()
    return codes[:k], n  # type: ignore[return-value]


def run(port: int, paths: list[str], *, seconds: int, total: int, method: str = "GET",
        bodies: list[str] | None = None, headers: dict[str, str] | None = None) -> httpload.LoadResult:
    # Warm-up (each worker builds its calendar and connection pool on its first requests).
    httpload.python_load(port, paths, method=method, bodies=bodies or (), headers=headers, total=40,
                         concurrency=4)
    if httpload.have_wrk():
        return httpload.wrk_load(port, paths, method=method, bodies=bodies or (), headers=headers,
                                 seconds=seconds, concurrency=16)
    return httpload.python_load(port, paths, method=method, bodies=bodies or (), headers=headers, total=total,
                                concurrency=16)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", help="database URL holding a bench/generate.py history")
    ap.add_argument("--generate", type=int, default=0, help="generate N dossiers into a fresh SQLite file first")
    ap.add_argument("--seconds", type=int, default=8, help="wrk duration per round")
    ap.add_argument("--rounds", type=int, default=2, help="alternating app/bare rounds (median reported)")
    ap.add_argument("--requests", type=int, default=3000, help="requests per round without wrk")
    args = ap.parse_args()
    url = args.url
    if not url:
        n = args.generate or 20000
        url = f"sqlite:///{tempfile.mkdtemp(prefix='onestop-lookup-')}/bench.db"
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--url", url, "-n", str(n)], check=True,
                       stdout=subprocess.DEVNULL)
    codes, total = sample_codes(url, 1000)
    q = urllib.parse.quote
    api_paths = [f"/api/v1/lookup/{q(c)}?secret={SECRET}" for c in codes]
    bare_paths = [f"/bare/lookup/{q(c)}?secret={SECRET}" for c in codes]
    page_bodies = [urllib.parse.urlencode({"code": c, "secret": SECRET}) for c in codes]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    app_env = {"ONESTOP_DATABASE_URL": url, "ONESTOP_SECRET_KEY": KEY, "ONESTOP_ENV": "development",
               "ONESTOP_LOOKUP_RATE_LIMIT": "100000000 per minute", "ONESTOP_WTF_CSRF_ENABLED": "false"}
    bare_env = {"BARE_DATABASE_URL": url, "BARE_SECRET_KEY": KEY}
    res: dict[str, list[httpload.LoadResult]] = {"api": [], "page": [], "bare": []}
    with httpload.Gunicorn("onestop:create_app()", app_env, workers=2) as app, \
            httpload.Gunicorn("bench.bare_app:create_app()", bare_env, workers=2) as bare:
        for _ in range(args.rounds):
            res["bare"].append(run(bare.port, bare_paths, seconds=args.seconds, total=args.requests))
            res["api"].append(run(app.port, api_paths, seconds=args.seconds, total=args.requests))
            res["page"].append(run(app.port, ["/lookup"], method="POST", bodies=page_bodies, headers=form,
                                   seconds=args.seconds, total=args.requests))

    def med(rs: list[httpload.LoadResult], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in rs)

    bare_rps = med(res["bare"], "rps")
    rows = []
    for name, label in (("bare", "bare Flask: same indexed SELECT + HMAC"),
                        ("api", "GET /api/v1/lookup/<code>?secret="), ("page", "POST /lookup (HTML page)")):
        rs = res[name]
        errors = sum(r.errors for r in rs)
        rows.append([label, f"{med(rs, 'rps'):,.0f}", f"{med(rs, 'p50_ms'):.1f}", f"{med(rs, 'p99_ms'):.1f}",
                     f"{med(rs, 'rps') / bare_rps:.0%}" if bare_rps else "-", str(errors)])
    engine = url.split(":", 1)[0]
    print(f"database: {engine}, {total:,} dossiers; gunicorn -w 2 each; load: "
          f"{res['bare'][0].tool}, {args.rounds} alternating rounds (median)")
    print(httpload.table(rows, ["endpoint", "req/s", "p50 ms", "p99 ms", "vs bare", "errors"]))
    print("rounds (req/s): " + "; ".join(f"{name} " + " ".join(f"{r.rps:,.0f}" for r in rs) for name, rs in res.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
