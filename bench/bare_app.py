"""The bare baseline for bench/lookup.py: a raw WSGI callable (no web framework, no ORM) doing
what the citizen look-up cannot avoid — one indexed SELECT by the unique code in autocommit on a
connection the worker keeps, the HMAC check of the secret in constant time, a small JSON answer.
The look-up's throughput is reported as a ratio of this one (docs/benchmarks.md).

    BARE_DATABASE_URL=sqlite:///… BARE_SECRET_KEY=… gunicorn -w 4 'bench.bare_app:create_app()'

The connection is opened on a worker's first request (after gunicorn forks) and kept: the app's
pool does the same. SQLite: ``isolation_level=None`` (no BEGIN); PostgreSQL: psycopg's
``autocommit=True`` with the statement prepared on the server after its first runs (psycopg's
default), like the app's look-up read (onestop/database/events.py ``autocommit_read``).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

QUERY = ("SELECT id, lookup_secret_hash, status, received_at, due_at, updated_at "
         "FROM dossiers WHERE code = {p}")
PREFIX = "/bare/lookup/"
SEPARATORS = re.compile(r"[\s\-_.]+")  # as onestop/domain/codes.py normalize_secret
NOT_FOUND = json.dumps({"error": {"code": "not_found", "message": "not found"}}).encode()


def _connect(url: str) -> tuple[Any, str]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None, check_same_thread=False)
        return conn, QUERY.format(p="?")
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(dsn, autocommit=True), QUERY.format(p="%s")


def _answerer() -> Callable[[str, str], tuple[str, bytes]]:
    """(code, typed secret) -> (status line, JSON body): the work every baseline does."""
    url = os.environ["BARE_DATABASE_URL"]
    key = os.environ.get("BARE_SECRET_KEY", "bench-secret-key").encode()
    held: dict[str, Any] = {}

    def answer(raw_code: str, typed: str) -> tuple[str, bytes]:
        if "conn" not in held:
            held["conn"], held["query"] = _connect(url)
        code = unquote(raw_code).strip().upper()
        secret = SEPARATORS.sub("", typed).upper()
        row = held["conn"].execute(held["query"], (code,)).fetchone()
        digest = hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
        if row is None or not hmac.compare_digest(digest, row[1]):
            return "404 Not Found", NOT_FOUND
        return "200 OK", json.dumps({"status": row[2], "requested_datetime": str(row[3]),
                                     "expected_datetime": str(row[4]),
                                     "updated_datetime": str(row[5])}).encode()

    return answer


def create_app() -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    answer = _answerer()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if not path.startswith(PREFIX):
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        typed = (parse_qs(environ.get("QUERY_STRING") or "").get("secret") or [""])[0]
        status, body = answer(path[len(PREFIX):], typed)
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def create_flask_app() -> Any:
    """The same work behind one bare Flask route (no extensions, no limiter): the framework's own
    share, the baseline the look-up was first measured against (docs/benchmarks.md)."""
    from flask import Flask, Response, request

    answer = _answerer()
    app = Flask("bare")

    @app.get(PREFIX + "<code>")
    def lookup(code: str) -> Response:
        status, body = answer(code, request.args.get("secret", ""))
        return Response(body, status=status, content_type="application/json")

    return app
