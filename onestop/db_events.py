"""Engine-level settings that must hold on every connection."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

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
        # Straight to the driver: this runs at the start of every transaction, and going through
        # SQLAlchemy's execution machinery (events, context, result) cost more than the BEGIN.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def end_read_only(session: Session | scoped_session[Session]) -> None:
    """End a transaction that only read with COMMIT rather than the ROLLBACK that closing the
    session would send. The outcome is the same, but psycopg 3 answers every ROLLBACK by
    dropping the connection's prepared statements (``DEALLOCATE ALL``), so on PostgreSQL a
    request that ends in a rollback re-plans its statements on every call: the look-up's
    four-table join spent ~0.5 ms planning against ~0.07 ms executing (bench/lookup.py). A
    session holding unflushed changes is left alone (the caller did not mean to write)."""
    s = session() if isinstance(session, scoped_session) else session
    if s.in_transaction() and not (s.new or s.dirty or s.deleted):
        s.commit()


def _may_write() -> bool:
    """False inside a GET/HEAD/OPTIONS request or wherever ``g.db_read_only`` is set (a view
    that only reads, or the look-up API's fast path, which runs in an application context
    without a request context)."""
    try:
        from flask import g, has_app_context, has_request_context, request
    except ImportError:  # pragma: no cover
        return True
    if not has_app_context():
        return True
    # A view that only reads may say so even on a POST (e.g. the citizen look-up form).
    if g.get("db_read_only", False):
        return False
    return not (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"))
