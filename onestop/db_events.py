"""Engine-level settings that must hold on every connection."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed: set[int] = set()


def install_sqlite_pragmas(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys for SQLite connections."""
    if engine.dialect.name != "sqlite" or id(engine) in _installed:
        return
    _installed.add(id(engine))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN (so BEGIN IMMEDIATE works).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock at BEGIN: concurrent receptions queue on it
        # (busy timeout) instead of failing when a read lock cannot be upgraded.
        # Pure reads (GET pages, look-ups) begin DEFERRED so that, with WAL, they
        # never wait for each other or for a writer.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    """False inside a GET/HEAD/OPTIONS request or a view marked read-only."""
    try:
        from flask import g, has_request_context, request
    except ImportError:  # pragma: no cover
        return True
    if not has_request_context():
        return True
    # A view that only reads may say so even on a POST (e.g. the citizen look-up form).
    return not (request.method in ("GET", "HEAD", "OPTIONS") or g.get("db_read_only", False))
