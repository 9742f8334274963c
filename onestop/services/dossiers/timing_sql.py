"""The timing rule as SQL: the set-based twin of :func:`onestop.domain.timing.timing_view`.

Every statement that classifies many dossiers at once (the scheduler's scans, the head dashboard,
Form 06, the 766 rate, exports) builds its CASE from the functions here, so the rule is written
once in Python (domain/timing.py) and once in SQL (this module); a property test runs both over the
same random dossiers on SQLite and PostgreSQL and requires identical answers. The rules and the law
behind them: docs/rules.md, "Timing".

The functions take *column expressions* (or plain values) for each input, so the same rule serves
"now" (the dossier's own columns) and "as of a moment" (Form 06 of a closed period passes the due
time in force at the period's end, the pause open at that moment and the requests made before it).

Dialect-specific SQL (the local calendar date of a UTC timestamp) is a custom SQL construct
compiled per dialect with ``@compiles``; nothing in SQLAlchemy is patched.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, and_, case, false, func, literal, null, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ...database.base import UTCDateTime
from ...domain.timing import Timing

__all__ = [
    "LocalDate",
    "finished_timing_case",
    "is_late_finished",
    "is_overdue_open",
    "is_paused_open",
    "local_date",
    "open_timing_case",
    "sql_value",
    "timing_case",
]

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def sql_value(value: Any) -> ColumnElement[Any]:
    """A datetime becomes a UTC-typed bound literal (so SQLite compares it as stored text);
    a column expression is returned as is."""
    if isinstance(value, datetime):
        return literal(value, UTCDateTime())
    if isinstance(value, ColumnElement):
        return value
    if hasattr(value, "__clause_element__"):  # an ORM attribute (Dossier.due_at)
        clause: ColumnElement[Any] = value.__clause_element__()
        return clause
    if value is None:
        return null()
    return literal(value)


# ---------------------------------------------------------------- local date (dialect SQL)


class LocalDate(FunctionElement[Any]):
    """``local_date(ts, tz)``: the calendar date of the UTC timestamp ``ts`` in the zone ``tz``.

    PostgreSQL: ``CAST(timezone(:tz, ts) AS DATE)`` (exact in every zone). SQLite (no zone data):
    ``date(ts, :modifier)`` with the zone's offset ('+420 minutes') — exact for Asia/Ho_Chi_Minh,
    which has kept UTC+7 without daylight saving since 1975. The zone and the modifier are bound
    parameters, so statements for different zones share one cached compilation safely."""

    type = Date()
    name = "local_date"
    inherit_cache = True

    def __init__(self, ts: Any, tz: str) -> None:
        modifier = f"{_offset_minutes(tz):+d} minutes"
        super().__init__(sql_value(ts), literal(tz), literal(modifier))


def _offset_minutes(tz: str) -> int:
    off = datetime(2026, 1, 1, tzinfo=UTC).astimezone(ZoneInfo(tz)).utcoffset()
    return int(off.total_seconds() // 60) if off is not None else 0


@compiles(LocalDate)
def _local_date_default(element: LocalDate, compiler: SQLCompiler, **kw: Any) -> str:
    ts, _tz, modifier = list(element.clauses)
    return f"date({compiler.process(ts, **kw)}, {compiler.process(modifier, **kw)})"


@compiles(LocalDate, "postgresql")
def _local_date_pg(element: LocalDate, compiler: SQLCompiler, **kw: Any) -> str:
    ts, tz, _modifier = list(element.clauses)
    return f"CAST(timezone({compiler.process(tz, **kw)}, {compiler.process(ts, **kw)}) AS DATE)"


def local_date(ts: Any, tz: str = DEFAULT_TZ) -> ColumnElement[Any]:
    return LocalDate(ts, tz)


# ---------------------------------------------------------------- the rule


def is_paused_open(due_at: Any, pause_start: Any) -> ColumnElement[bool]:
    """The clock is stopped: a pause is open and began no later than the due time (a pause that
    starts after the deadline does not stop lateness). ``pause_start`` is the start of the open
    pause (NULL when none)."""
    # COALESCE(start <= due, FALSE): the pause start (often a correlated subquery) appears once.
    return func.coalesce(sql_value(pause_start) <= sql_value(due_at), false(), type_=Boolean())


def is_overdue_open(due_at: Any, pause_start: Any, supplement_count: Any, now: Any) -> ColumnElement[bool]:
    """An OPEN dossier with a due time counts as overdue (quá hạn) at ``now``: more than one
    supplement request, or the due time has passed while the clock was not stopped in time.
    Callers restrict to open dossiers with ``due_at IS NOT NULL``."""
    due = sql_value(due_at)
    return or_(sql_value(supplement_count) > 1,
               and_(due < sql_value(now), ~is_paused_open(due_at, pause_start)))


def open_timing_case(*, due_at: Any, pause_start: Any, supplement_count: Any, now: Any,
                     soon: Any | None = None) -> ColumnElement[Any]:
    """Timing of an OPEN dossier as SQL: 'overdue' / 'paused' / 'due_soon' / 'within' (the
    :class:`~onestop.domain.timing.Timing` values), NULL when there is no due time.

    ``soon`` is the due-soon threshold (``due_soon_from(now, calendar)``, a per-agency CASE from
    ``scanning.due_soon_threshold``); without it there is no 'due_soon' bucket (Form 06 needs only
    within / overdue)."""
    due = sql_value(due_at)
    whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = [
        (due.is_(None), null()),
        (sql_value(supplement_count) > 1, literal(Timing.OVERDUE.value)),
        (is_paused_open(due_at, pause_start), literal(Timing.PAUSED.value)),
        (due < sql_value(now), literal(Timing.OVERDUE.value)),
    ]
    if soon is not None:
        whens.append((due <= sql_value(soon), literal(Timing.DUE_SOON.value)))
    return case(*whens, else_=literal(Timing.WITHIN.value))


def is_late_finished(finished_at: Any, due_at: Any, supplement_count: Any) -> ColumnElement[bool]:
    """A FINISHED dossier with a due time is late: finished after the due time, or more than one
    supplement request."""
    return or_(sql_value(finished_at) > sql_value(due_at), sql_value(supplement_count) > 1)


def finished_timing_case(*, finished_at: Any, due_at: Any, supplement_count: Any,
                         tz: str = DEFAULT_TZ) -> ColumnElement[Any]:
    """Timing of a FINISHED dossier as SQL: 'late' / 'early' / 'on_time', NULL without a due time.
    Early ⇔ finished on an earlier local date than the due date (``tz``, the agency's zone)."""
    due = sql_value(due_at)
    return case(
        (due.is_(None), null()),
        (is_late_finished(finished_at, due_at, supplement_count), literal(Timing.LATE.value)),
        (local_date(finished_at, tz) < local_date(due_at, tz), literal(Timing.EARLY.value)),
        else_=literal(Timing.ON_TIME.value),
    )


def timing_case(*, finished: Any, finished_at: Any, due_at: Any, pause_start: Any, supplement_count: Any,
                now: Any, soon: Any | None = None, tz: str = DEFAULT_TZ) -> ColumnElement[Any]:
    """Either case, picked by ``finished`` (a boolean SQL expression, e.g. ``finished_at IS NOT NULL``
    or ``finished_at < :end``)."""
    return case(
        (finished, finished_timing_case(finished_at=finished_at, due_at=due_at,
                                        supplement_count=supplement_count, tz=tz)),
        else_=open_timing_case(due_at=due_at, pause_start=pause_start, supplement_count=supplement_count,
                               now=now, soon=soon),
    )
