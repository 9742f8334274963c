"""The session heavy reads use (reports, exports, the index): a PostgreSQL read replica when
REPORTS_DATABASE_URL is set, else the main session (docs/operations.md, "The reports replica").
The web layer chooses; services still take a session."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..extensions import db
from .events import install_sqlite_pragmas


def reports_engine() -> Engine | None:
    url = str(current_app.config.get("REPORTS_DATABASE_URL") or "")
    if not url:
        return None
    engines: dict[str, Engine] = current_app.extensions.setdefault("onestop_reports_engines", {})
    engine = engines.get(url)
    if engine is None:
        opts: dict[str, Any] = {"pool_pre_ping": True}
        engine = engines[url] = create_engine(url, **opts)
        # What create_app gives the main engine: the SQLite pragmas, and the execution options that
        # carry the app's working-calendar store, which services reach through their session.
        install_sqlite_pragmas(engine)
        engine.update_execution_options(**db.engine.get_execution_options())
    return engine


@contextmanager
def reports_session() -> Iterator[Session]:
    """The replica's session for one report (read-only: rolled back and closed after), or the main
    session when no replica is configured."""
    engine = reports_engine()
    if engine is None:
        yield db.session
        return
    session = Session(bind=engine)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


__all__ = ["reports_engine", "reports_session"]
