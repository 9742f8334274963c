"""Staff pages timed as whole HTTP pages, with production settings (docs/benchmarks.md "Staff pages
over HTTP"; goal: < 200 ms p99 per page).

    python bench/staff_pages.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/staff_pages.py --url sqlite:////tmp/bench.db

The database is one from bench/generate.py (its users are ``b<agency id>.<role>`` with the password
``bench-password-123``). The app runs under gunicorn as docs/operations.md §3 runs it, as
bench/lookup.py does: gunicorn.conf.py, ``ONESTOP_ENV=production``, the access log on (to a file),
the rate-limit store in Redis under a key prefix of its own. The benchmark logs in (the real login
form, CSRF token included) as the clerk of the busiest desk, the head and an officer of the
department that desk hands the most dossiers to, and a province admin (created with
``flask onestop create-user`` when missing: only an admin sees the province's Form 06), then drives
each page's GET with that session cookie: a whole request (routing, session, queries, template,
access log), not the service call alone.

Each page is driven alone for ``--seconds`` at ``--concurrency`` connections (default: as many as
workers, so the figures are the page's own latency rather than queueing behind other pages).
A page whose first request takes over 0.5 s is timed by httpload's Python generator (a fixed number
of requests), since wrk drops requests slower than 2 s from its latency figures.
"""
from __future__ import annotations

import argparse
import http.client
import http.cookies
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from typing import cast

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
sys.path.append(HERE)

import httpload

KEY = "bench-secret-key"
PASSWORD = "bench-password-123"
ADMIN = "bench.admin"
PROVINCE_KIND = "province"


def pick_staff(url: str, k: int) -> dict[str, object]:
    """The busiest desk's clerk, the head and officer of the department it hands most to, the
    province's identifier, a sample of dossier codes held there, and the dossier count."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        total = int(c.execute(text("SELECT count(*) FROM dossiers")).scalar() or 0)
        if not total:
            raise SystemExit("the database holds no dossiers: run bench/generate.py first")
        desk = c.execute(text("SELECT receiving_agency_id FROM dossiers GROUP BY 1 "
                              "ORDER BY count(*) DESC LIMIT 1")).scalar()
        lead = c.execute(text("SELECT d.current_agency_id FROM dossiers d JOIN users u "
                              "ON u.agency_id = d.current_agency_id AND u.role = 'officer' "
                              "WHERE d.receiving_agency_id = :desk AND d.status = 'processing' "
                              "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"), {"desk": desk}).scalar()
        province = c.execute(text("SELECT identifier FROM agencies WHERE level = :lv ORDER BY id LIMIT 1"),
                             {"lv": PROVINCE_KIND}).scalar()
        codes = [r[0] for r in c.execute(text("SELECT code FROM dossiers WHERE current_agency_id = :a "
                                              "ORDER BY id DESC LIMIT :k"), {"a": lead, "k": k * 5})]
        has_admin = c.execute(text("SELECT count(*) FROM users WHERE username = :u"), {"u": ADMIN}).scalar()
    eng.dispose()
    random.Random(7).shuffle(codes)
    return {"total": total, "clerk": f"b{desk}.clerk", "head": f"b{lead}.head", "officer": f"b{lead}.officer",
            "province": province, "codes": codes[:k], "has_admin": bool(has_admin)}


def ensure_admin(url: str, province: str) -> None:
    env = {**os.environ, "ONESTOP_DATABASE_URL": url, "ONESTOP_SECRET_KEY": KEY}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    subprocess.run([flask, "--app", "onestop", "onestop", "create-user", ADMIN, "--role", "admin",
                    "--agency", province, "--password-stdin"], input=PASSWORD + "\n", text=True,
                   env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def _cookies(resp: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in resp.headers.get_all("Set-Cookie") or []:
        for name, morsel in http.cookies.SimpleCookie(header).items():
            jar[name] = morsel.value


def login(port: int, username: str) -> str:
    """The session cookie after the real login form (GET for the CSRF token, then POST).
    The production cookie is Secure, so it is carried by hand over the loopback's plain HTTP."""
    jar: dict[str, str] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    page = resp.read().decode()
    _cookies(resp, jar)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if m is None:
        raise SystemExit("no CSRF token on the login page")
    body = urllib.parse.urlencode({"csrf_token": m.group(1), "username": username, "password": PASSWORD})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    conn.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                       "Cookie": cookie})
    resp = conn.getresponse()
    resp.read()
    _cookies(resp, jar)
    conn.close()
    if resp.status != 303:
        raise SystemExit(f"login as {username} failed: HTTP {resp.status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def pages(staff: dict[str, object], quarter: str) -> list[tuple[str, str, list[str]]]:
    """(label, user, paths) for each staff page."""
    province = str(staff["province"])
    q = urllib.parse.quote
    codes = cast(list[str], staff["codes"])
    names = ["Nguyễn", "Trần Văn", "Lê Thị", "Phạm", "Hoàng Ngọc"]
    return [
        ("head dashboard /reports/dashboard", "head", ["/reports/dashboard"]),
        ("overdue list /reports/overdue.csv", "head", ["/reports/overdue.csv"]),
        (f"Form 06 province {quarter} (admin)", "admin",
         [f"/reports/form06?agency={province}&kind=quarter&value={quarter}"]),
        ("register /reception/register (clerk)", "clerk", ["/reception/register"]),
        ("inbox /inbox (clerk)", "clerk", ["/inbox"]),
        ("worklist /worklist (officer)", "officer", ["/worklist"]),
        ("dossier page /dossiers/<code> (officer)", "officer", [f"/dossiers/{q(c)}" for c in codes]),
        ("search /search?q=<name prefix> (clerk)", "clerk", [f"/search?q={q(n)}" for n in names]),
        (f"766 index province {quarter} (admin)", "admin", [f"/index766?agency={province}&period={quarter}"]),
        (f"766 index own department {quarter} (head)", "head", [f"/index766?period={quarter}"]),
    ]


def drive(server: httpload.Gunicorn, paths: list[str], cookie: str, *, seconds: int,
          concurrency: int) -> httpload.LoadResult:
    headers = {"Cookie": cookie}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", paths[0], headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"{paths[0]}: HTTP {resp.status}")
    probe = time.perf_counter() - started
    if probe > 0.5:
        # wrk gives up on a request after 2 s and records no latency for it: a slow page is timed
        # by the Python generator instead, for about as long as a fast page
        cpu = server.cpu_seconds()
        result = httpload.python_load(server.port, paths, headers=headers, concurrency=concurrency,
                                      total=max(2 * concurrency, int(seconds * concurrency / probe)))
        result.cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, result.requests)
        return result
    warm = httpload.python_load(server.port, paths, headers=headers, total=max(4, concurrency * 2),
                                concurrency=concurrency)
    if warm.errors:
        raise SystemExit(f"{paths[0]}: {warm.errors} of {warm.requests} warm-up requests were not 200")
    cpu = server.cpu_seconds()
    if httpload.have_wrk():
        result = httpload.wrk_load(server.port, paths, headers=headers, seconds=seconds,
                                   concurrency=concurrency)
    else:
        result = httpload.python_load(server.port, paths, headers=headers, total=seconds * 20,
                                      concurrency=concurrency)
    result.cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, result.requests)
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="database URL holding a bench/generate.py history")
    ap.add_argument("--seconds", type=int, default=6, help="wrk duration per page")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (docs/operations.md §3)")
    ap.add_argument("--concurrency", type=int, default=0, help="connections (default: --workers)")
    ap.add_argument("--quarter", default="2025-Q4", help="the period of Form 06 and the 766 index")
    ap.add_argument("--only", default="", help="only the pages whose label contains this text")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the shared rate-limit store")
    args = ap.parse_args()
    staff = pick_staff(args.url, 200)
    if not staff["has_admin"]:
        ensure_admin(args.url, str(staff["province"]))
    logs = tempfile.mkdtemp(prefix="onestop-staff-logs-")
    env = {"ONESTOP_DATABASE_URL": args.url, "ONESTOP_SECRET_KEY": KEY, "ONESTOP_ENV": "production",
           "ONESTOP_PUBLIC_BASE_URL": "https://dichvucong.example.vn",
           "ONESTOP_RATELIMIT_STORAGE_URI": args.redis,
           "ONESTOP_RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
           "ONESTOP_WORKERS": str(args.workers)}
    gargs = ["-c", os.path.join(ROOT, "gunicorn.conf.py"), "--access-logfile", os.path.join(logs, "app.log")]
    conc = args.concurrency or args.workers
    users = {"head": staff["head"], "clerk": staff["clerk"], "officer": staff["officer"], "admin": ADMIN}
    rows = []
    load_before = os.getloadavg()[0]
    with httpload.Gunicorn("onestop:create_app()", env, workers=args.workers, args=gargs) as app:
        cookies = {role: login(app.port, str(name)) for role, name in users.items()}
        for label, role, paths in pages(staff, args.quarter):
            if args.only and args.only not in label:
                continue
            r = drive(app, paths, cookies[role], seconds=args.seconds, concurrency=conc)
            rows.append([label, str(users[role]), f"{r.rps:,.1f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
                         f"{r.cpu_ms:.1f}", str(r.requests), str(r.errors),
                         "yes" if r.p99_ms >= 200 else "no"])
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    engine = args.url.split(":", 1)[0]
    print(f"database: {engine}, {staff['total']:,} dossiers; gunicorn -w {args.workers} (gunicorn.conf.py), "
          f"access log on, production, Redis store; load: {'wrk' if httpload.have_wrk() else 'python'} "
          f"{conc} connections, {args.seconds} s per page; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(httpload.table(rows, ["page", "user", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "requests",
                                "errors", "p99 ≥ 200 ms"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
