"""Engine-level settings that must hold on every connection."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session

_installed: set[int] = set()
_NO_BEGIN = "onestop_no_begin"


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
        if conn.get_execution_options().get(_NO_BEGIN):
            return  # an autocommit read (begin_autocommit_read)
        # Writers take the write lock at BEGIN: concurrent receptions queue on it
        # (busy timeout) instead of failing when a read lock cannot be upgraded.
        # Pure reads (GET pages, look-ups) begin DEFERRED so that, with WAL, they
        # never wait for each other or for a writer.
        # Straight to the driver: this runs at the start of every transaction, and going through
        # SQLAlchemy's execution machinery (events, context, result) cost more than the BEGIN.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def begin_autocommit_read(session: Session | scoped_session[Session]) -> None:
    """Give ``session`` a connection *outside* any transaction, for a request that runs one
    or two independent reads (the citizen look-up). Must be the session's first use.

    Why: a transaction costs the look-up more than its one indexed SELECT — BEGIN and the
    ROLLBACK on return are extra round trips on PostgreSQL, and psycopg 3 answers every
    ROLLBACK by dropping the connection's prepared statements (``DEALLOCATE ALL``), so the
    look-up's four-table join was re-planned (~0.5 ms) on every call against ~0.07 ms to run
    it. Each statement still sees only committed data (PostgreSQL's READ COMMITTED, the same
    on SQLite with WAL). PostgreSQL: the driver's autocommit (``isolation_level="AUTOCOMMIT"``,
    reset when the connection goes back to the pool). SQLite: our ``begin`` hook skips its
    BEGIN (SQLAlchemy's AUTOCOMMIT would switch pysqlite's own transaction handling back on
    when reset). A session already in a transaction, or bound to a connection that is (a
    test's), keeps it."""
    s = session() if isinstance(session, scoped_session) else session
    if s.in_transaction() or isinstance(s.bind, Connection):
        return
    bind = s.get_bind()
    options: dict[str, Any] = (
        {_NO_BEGIN: True} if bind.dialect.name == "sqlite" else {"isolation_level": "AUTOCOMMIT"})
    s.connection(execution_options=options)


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
