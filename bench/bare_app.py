"""The bare baseline for bench/lookup.py: a minimal Flask app doing the same indexed query
as the citizen lookup (one SELECT by the unique code, then the HMAC check of the secret)
and returning a small JSON document — no ORM objects, no templates, no rate limiter, no
timeline. The lookup's throughput is reported as a ratio of this one (goal ≥ 70 %).

    BARE_DATABASE_URL=sqlite:///… BARE_SECRET_KEY=… gunicorn -w 2 'bench.bare_app:create_app()'
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["BARE_DATABASE_URL"]
    engine = create_engine(url, pool_pre_ping=True,
                           connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    key = os.environ.get("BARE_SECRET_KEY", "bench-secret-key").encode()
    query = text("SELECT id, lookup_secret_hash, status, received_at, due_at, updated_at "
                 "FROM dossiers WHERE code = :code")

    @app.get("/bare/lookup/<code>")
    def lookup(code: str) -> Any:
        secret = (request.args.get("secret") or "").strip().upper()
        with engine.connect() as conn:
            row = conn.execute(query, {"code": code.strip().upper()}).first()
        digest = hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
        if row is None or not hmac.compare_digest(digest, row.lookup_secret_hash):
            return jsonify({"error": {"code": "not_found", "message": "not found"}}), 404
        return jsonify({"status": row.status, "requested_datetime": str(row.received_at),
                        "expected_datetime": str(row.due_at), "updated_datetime": str(row.updated_at)})

    return app
