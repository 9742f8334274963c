"""Small SQL helpers shared by the set-based services."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, text
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler


def rows_affected(result: Result[Any]) -> int:
    """Rows an UPDATE or INSERT … SELECT changed (the statement's cursor rowcount)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def no_jit(session: Session) -> None:
    """PostgreSQL's JIT compiles the reports' CASE-heavy statements for seconds to save milliseconds
    (measured: 3.7 s of JIT for a 4 ms query; 1.2 s for a 60 ms one); off for this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


@compiles(Table, "sqlite")
def _sqlite_table_with_index_hint(element: Table, compiler: SQLCompiler, **kw: Any) -> str:
    """Render ``Select.with_hint(table, "INDEXED BY ix", "sqlite")`` after the table name: SQLAlchemy's
    SQLite compiler accepts FROM hints but drops them. Needed because SQLite's ANALYZE statistics
    average NULLs in with the finish times, so it believes ``finished_at IS NULL`` is one row and walks
    ``ix_dossiers_finished`` instead of the open-dossier partial index (measured at 1M: 63 ms vs 1 ms
    for the due-soon scan; docs/benchmarks.md). Only statements that carry a "sqlite" hint change."""
    # SQLAlchemy leaves its compilers' visit_* methods unannotated.
    text = str(compiler.visit_table(element, **kw))  # type: ignore[no-untyped-call]
    hints = kw.get("fromhints")
    if kw.get("asfrom") and hints and element in hints:
        text += " " + str(hints[element])
    return text
