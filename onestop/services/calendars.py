"""Working calendars per agency: the national calendar (``holidays``) plus the
admin's exceptions (nationwide rows and the agency's own subtree rows).

Built calendars are cached per (agency path, hours, tz) — agencies with the same effective
exceptions, hours and zone share one object — and dropped whenever an exception changes
(``invalidate``), so a due-date computation is a lookup.
"""
from __future__ import annotations

import threading
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from ..domain.calendar import CalendarException, OfficeHours, WorkingCalendar
from ..domain.errors import DomainError
from ..models import Agency, CalendarExceptionRow

FIRST_YEAR = 2015
LAST_YEAR = 2030
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
DEFAULT_HOURS = "07:30-11:30,13:30-17:00"

_cache: dict[tuple[object, ...], WorkingCalendar] = {}
_lock = threading.Lock()
_generation = 0


def configure(first_year: int, last_year: int) -> None:
    global FIRST_YEAR, LAST_YEAR
    if (first_year, last_year) != (FIRST_YEAR, LAST_YEAR):
        FIRST_YEAR, LAST_YEAR = first_year, last_year
        invalidate()


def invalidate() -> None:
    global _generation
    with _lock:
        _cache.clear()
        _generation += 1


def national_calendar(hours: str = DEFAULT_HOURS, tz: str = DEFAULT_TZ) -> WorkingCalendar:
    """The national calendar with default office hours, no local exceptions."""
    key = ("national", hours, tz, FIRST_YEAR, LAST_YEAR)
    with _lock:
        cal = _cache.get(key)
    if cal is None:
        cal = WorkingCalendar.national(FIRST_YEAR, LAST_YEAR, hours=OfficeHours.parse(hours), tz=tz)
        with _lock:
            _cache[key] = cal
    return cal


def calendar_for(session: Session, agency: Agency | None) -> WorkingCalendar:
    """The agency's calendar: national + nationwide exceptions + those of the
    agency and its ancestors (a province closure applies to its communes)."""
    if agency is None:
        return _with_exceptions(session, None, DEFAULT_HOURS, DEFAULT_TZ)
    return _with_exceptions(session, agency, agency.office_hours or DEFAULT_HOURS,
                            agency.timezone or DEFAULT_TZ)


def _with_exceptions(session: Session, agency: Agency | None, hours: str, tz: str) -> WorkingCalendar:
    ancestors = [int(p) for p in agency.path.strip("/").split("/") if p] if agency else []
    key = ("agency", tuple(ancestors), hours, tz, FIRST_YEAR, LAST_YEAR, _generation)
    with _lock:
        cal = _cache.get(key)
    if cal is not None:
        return cal
    cond: ColumnElement[bool] = CalendarExceptionRow.agency_id.is_(None)
    if ancestors:
        cond = or_(cond, CalendarExceptionRow.agency_id.in_(ancestors))
    rows = session.scalars(
        select(CalendarExceptionRow).where(cond).order_by(CalendarExceptionRow.on_date)
    ).all()
    # The nearest agency's row wins over a wider one for the same day.
    depth = {aid: i for i, aid in enumerate(ancestors)}
    by_day: dict[date, tuple[int, CalendarExceptionRow]] = {}
    for r in rows:
        d = -1 if r.agency_id is None else depth.get(r.agency_id, -1)
        if r.on_date not in by_day or d > by_day[r.on_date][0]:
            by_day[r.on_date] = (d, r)
    exceptions = [
        CalendarException(on=r.on_date, working=r.working, note=r.note)
        for _, r in by_day.values()
        if FIRST_YEAR <= r.on_date.year <= LAST_YEAR
    ]
    try:
        hours_obj = OfficeHours.parse(hours)
    except DomainError:
        hours_obj = OfficeHours.parse(DEFAULT_HOURS)
    # Agencies whose effective exceptions, hours and zone are the same share one calendar
    # object: building one costs ~0.2 s and its arrays a few MB, and most of a province's
    # ~200 agencies have no exception of their own (so a worker builds one or two, not 200).
    content = ("content", tuple(sorted((e.on, e.working, e.note) for e in exceptions)), hours_obj, tz,
               FIRST_YEAR, LAST_YEAR, _generation)
    with _lock:
        cal = _cache.get(content)
    if cal is None:
        cal = WorkingCalendar.national(FIRST_YEAR, LAST_YEAR, exceptions=exceptions, hours=hours_obj, tz=tz)
    with _lock:
        cal = _cache.setdefault(content, cal)
        _cache[key] = cal
    return cal


def add_exception(
    session: Session, *, on: date, working: bool, note: str, agency: Agency | None,
    actor_id: int | None, now: datetime,
) -> CalendarExceptionRow:
    if not note.strip():
        raise DomainError("Nhập lý do (ghi chú) cho ngày ngoại lệ.")
    if not FIRST_YEAR <= on.year <= LAST_YEAR:
        raise DomainError(f"Năm {on.year} nằm ngoài lịch làm việc ({FIRST_YEAR}–{LAST_YEAR}).")
    existing = session.scalar(
        select(CalendarExceptionRow).where(
            CalendarExceptionRow.on_date == on,
            CalendarExceptionRow.agency_id.is_(None) if agency is None
            else CalendarExceptionRow.agency_id == agency.id,
        )
    )
    if existing is not None:
        raise DomainError(f"Ngày {on:%d/%m/%Y} đã có ngoại lệ cho phạm vi này.")
    row = CalendarExceptionRow(on_date=on, working=working, note=note.strip(),
                               agency_id=agency.id if agency else None, created_by_id=actor_id,
                               created_at=now)
    session.add(row)
    session.flush()
    invalidate()
    return row
