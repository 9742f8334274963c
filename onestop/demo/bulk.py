"""Fast demo seeding: the history is produced by the real services (``demo_history``:
``receive_dossier``/``apply_action``, so due dates come from the deadline code, statuses
from the transition table and pauses from the timing rule) in a private in-memory
SQLite scratch database, and the finished rows are then written to the real database
in BULK (one multi-row INSERT per table and batch, ``executemany``), a day's dossiers at
a time so that every batch holds whole dossiers only (docs/benchmarks.md "Demo seeding").

Why a scratch database: each step of the services costs a few SQL round trips (about 40
statements a dossier); in an in-process SQLite they cost microseconds, while on a
PostgreSQL server each is a network round trip, which made a three-month demo run for
minutes in one long transaction. The rows written are exactly those the services wrote,
with the same ids (the scratch starts as a copy of every non-empty table of the target,
so its ids continue after the target's).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, create_engine, func, inspect, select, text, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from ..database.base import Base
from ..services.admin.calendars import register, store_of
from .history import DEFAULT_SEED, generate_history

BATCH = 2000  # rows per INSERT statement


class _Mirror:
    """Copies rows the scratch database gained since the last call into the target."""

    def __init__(self, session: Session, scratch: Connection) -> None:
        self.session = session
        self.scratch = scratch
        names = set(inspect(self.target).get_table_names())
        self.tables: list[Table] = [t for t in Base.metadata.sorted_tables if t.name in names]
        self.marks: dict[str, int] = {}
        self.keyed: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}

    @property
    def target(self) -> Connection:
        # The session's current connection: the caller's checkpoint may have committed it.
        return self.session.connection()

    def _id_table(self, t: Table) -> bool:
        pk = list(t.primary_key.columns)
        return len(pk) == 1 and pk[0].name == "id"

    def prime(self) -> None:
        """Load every non-empty table of the target into the scratch (reference data, users,
        anything already there), and remember where each table's ids end."""
        for t in self.tables:
            rows = [dict(r._mapping) for r in self.target.execute(select(t))]
            if rows:
                for i in range(0, len(rows), BATCH):
                    self.scratch.execute(t.insert(), rows[i:i + BATCH])
            if self._id_table(t):
                self.marks[t.name] = max((r["id"] for r in rows), default=0)
            else:
                pk = [c.name for c in t.primary_key.columns]
                self.keyed[t.name] = {tuple(r[k] for k in pk): r for r in rows}

    def push(self) -> int:
        """Insert the new rows (ids above the mark) and upsert the rows of the tables without an
        ``id`` (code sequences: one counter row per desk and day). Returns rows written."""
        written = 0
        for t in self.tables:
            if self._id_table(t):
                mark = self.marks[t.name]
                rows = [dict(r._mapping) for r in
                        self.scratch.execute(select(t).where(t.c.id > mark).order_by(t.c.id))]
                if not rows:
                    continue
                for i in range(0, len(rows), BATCH):
                    self.target.execute(t.insert(), rows[i:i + BATCH])
                self.marks[t.name] = rows[-1]["id"]
                written += len(rows)
                continue
            pk = [c.name for c in t.primary_key.columns]
            seen = self.keyed[t.name]
            new: list[dict[str, Any]] = []
            for r in self.scratch.execute(select(t)):
                row = dict(r._mapping)
                key = tuple(row[k] for k in pk)
                old = seen.get(key)
                if old == row:
                    continue
                if old is not None:
                    cond = tuple_(*[t.c[k] for k in pk]) == key
                    self.target.execute(t.delete().where(cond))
                new.append(row)
                seen[key] = row
            for i in range(0, len(new), BATCH):
                self.target.execute(t.insert(), new[i:i + BATCH])
            written += len(new)
        return written

    def fix_sequences(self) -> None:
        """Explicit ids leave PostgreSQL's sequences behind: move them past the rows."""
        if self.target.dialect.name != "postgresql":
            return
        for t in self.tables:
            if not self._id_table(t):
                continue
            top = self.target.scalar(select(func.max(t.c.id)))
            if top:
                self.target.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                                    {"t": t.name, "v": top})


def bulk_history(session: Session, *, now: datetime, months: int, per_day: int, lookup_key: bytes,
                 seed: int = DEFAULT_SEED,
                 checkpoint: Callable[[date, int], None] | None = None) -> int:
    """Generate the history in a scratch database through the services and write it to
    ``session``'s database in bulk, one day at a time; ``checkpoint(day, dossiers)`` is called
    after each day's rows are in ``session``'s transaction (the seed-demo command commits
    there). Never commits itself. Returns the number of dossiers."""
    if months <= 0 or per_day <= 0:
        return 0
    session.flush()
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        Base.metadata.create_all(engine)
        # The same working calendars as the target (its store, its calendar rows copied below).
        register(engine, store_of(session))
        with engine.connect() as scratch_conn:
            mirror = _Mirror(session, scratch_conn)
            mirror.prime()
            scratch_conn.commit()
            scratch = Session(bind=scratch_conn, autoflush=True, expire_on_commit=False)

            def day_done(day: date, n: int) -> None:
                scratch.flush()
                mirror.push()
                if checkpoint is not None:
                    checkpoint(day, n)

            n = generate_history(scratch, now=now, months=months, per_day=per_day, seed=seed,
                                 lookup_key=lookup_key,
                                 checkpoint=day_done)
            scratch.flush()
            mirror.push()
            mirror.fix_sequences()
            scratch.close()
    finally:
        engine.dispose()
    return n
