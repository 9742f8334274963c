"""Single scheduler instance.

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
  connection for the life of the process. If the process dies (even ``kill -9``) the server closes
  the session and frees the lock, so a standby takes over.
* SQLite: an exclusive ``fcntl.flock`` on ``SCHEDULER_LOCK_FILE``; the kernel frees it when the
  process dies. (Both schedulers must run on the same host as the SQLite file anyway.)
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from onestop.extensions import db

# A fixed 64-bit key: "onestop" scheduler. Other advisory-lock users must pick another.
ADVISORY_KEY = 0x6F6E6573_746F7031


class SchedulerLock:
    def __init__(self, engine: Engine, lock_file: str) -> None:
        self.engine = engine
        self.lock_file = lock_file
        self._conn: Connection | None = None
        self._fh: IO[str] | None = None

    @property
    def kind(self) -> str:
        return "postgresql" if self.engine.dialect.name == "postgresql" else "file"

    def acquire(self) -> bool:
        """Try once, without waiting. True if this process now holds the lock."""
        if self.held:
            return True
        if self.kind == "postgresql":
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                        {"k": ADVISORY_KEY}).scalar())
            except Exception:
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn = conn
            return True
        path = Path(self.lock_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process lifetime
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fh is not None

    def alive(self) -> bool:
        """Is the lock still ours? (A PostgreSQL session can be cut by a restart or a network
        failure; then another scheduler may already hold the lock and this one must stop.)"""
        if self._fh is not None:
            return True
        if self._conn is None:
            return False
        try:
            n = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid()")).scalar()
            return bool(n)
        except Exception:  # noqa: BLE001 - connection gone = lock gone
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            except Exception:  # noqa: BLE001 - closing the session frees it anyway
                pass
            self._conn.close()
            self._conn = None
        if self._fh is not None:
            try:
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> SchedulerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_for_app(app: Any) -> SchedulerLock:
    with app.app_context():
        engine = db.engine
    return SchedulerLock(engine, str(app.config.get("SCHEDULER_LOCK_FILE", "instance/scheduler.lock")))
