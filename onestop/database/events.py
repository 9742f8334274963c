"""Engine-level settings that must hold on every connection."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context, has_request_context, request
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
            return  # an autocommit read (autocommit_read below)
        # Writers take the write lock at BEGIN: concurrent receptions queue on it
        # (busy timeout) instead of failing when a read lock cannot be upgraded.
        # Pure reads (GET pages, look-ups) begin DEFERRED so that, with WAL, they
        # never wait for each other or for a writer.
        # Straight to the driver: this runs at the start of every transaction, and going through
        # SQLAlchemy's execution machinery (events, context, result) cost more than the BEGIN.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


@contextmanager
def autocommit_read(session: Session | scoped_session[Session], engine: Engine) -> Iterator[Connection]:
    """A pooled connection of ``engine`` *outside* any transaction, for one or two independent
    reads (the citizen look-up), beside ``session`` rather than through it.

    Why: around a single indexed SELECT, the transaction and the ORM session cost more than
    the SELECT — BEGIN and the ROLLBACK on return are extra round trips on PostgreSQL, and
    psycopg 3 answers every ROLLBACK by dropping the connection's prepared statements
    (``DEALLOCATE ALL``), so the look-up's four-table join was re-planned (~0.5 ms) on every
    call against ~0.07 ms to run it. Each statement still sees only committed data
    (PostgreSQL's READ COMMITTED; SQLite with WAL). PostgreSQL: the driver's autocommit
    (``isolation_level="AUTOCOMMIT"``, reset when the connection goes back to the pool).
    SQLite: our ``begin`` hook skips its BEGIN (SQLAlchemy's AUTOCOMMIT would switch pysqlite's
    own transaction handling back on when reset). If ``session`` already exists and is in a
    transaction, or is bound to a connection that is (a test's), its connection is lent
    instead, so the reads see what that transaction sees."""
    current = _existing_session(session)
    if current is not None and (current.in_transaction() or isinstance(current.bind, Connection)):
        yield current.connection()
        return
    options: dict[str, Any] = (
        {_NO_BEGIN: True} if engine.dialect.name == "sqlite" else {"isolation_level": "AUTOCOMMIT"})
    with engine.connect() as conn:
        yield conn.execution_options(**options)


def _existing_session(session: Session | scoped_session[Session]) -> Session | None:
    """The session itself, or a scoped session's current one without creating it."""
    if isinstance(session, scoped_session):
        return session() if session.registry.has() else None
    return session


def _may_write() -> bool:
    """False inside a GET/HEAD/OPTIONS request or wherever ``g.db_read_only`` is set (a view
    that only reads, or the look-up API's fast path, which runs in an application context
    without a request context)."""
    if not has_app_context():
        return True
    # A view that only reads may say so even on a POST (e.g. the citizen look-up form).
    if g.get("db_read_only", False):
        return False
    return not (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"))
