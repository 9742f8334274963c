"""The moment a report may claim when it reads a PostgreSQL read replica (docs/operations.md,
"The reports replica").

A replica replays the primary's commits with some lag. A report measured "as of now" on a lagging
replica would judge open dossiers at a moment whose later events it has not seen yet. So the report's
moment is the earlier of now and the replica's last replayed commit (``pg_last_xact_replay_timestamp()``):
every commit up to that moment is visible, and the page prints that moment (docs/rules.md F2). On the
primary (not in recovery) and on SQLite the moment is now.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def as_of_for(in_recovery: bool, replayed_at: datetime | None, now: datetime) -> datetime:
    """The report's moment: ``now`` on a primary; on a replica the earlier of ``now`` and the last
    replayed commit (a replica that has replayed nothing yet claims nothing later than now either)."""
    if not in_recovery or replayed_at is None:
        return now
    return min(now, replayed_at)


def replica_as_of(session: Session, now: datetime) -> datetime:
    if session.get_bind().dialect.name != "postgresql":
        return now
    row: Any = session.execute(text("SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp()")).one()
    return as_of_for(bool(row[0]), row[1], now)


__all__ = ["as_of_for", "replica_as_of"]
