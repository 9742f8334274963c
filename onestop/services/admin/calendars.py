"""Working calendars per agency: the national calendar (``holidays``) plus the
admin's exceptions (nationwide rows and the agency's own subtree rows).

Where the built calendars live, and how an edit reaches every process
---------------------------------------------------------------------
Building a calendar costs tens of milliseconds and a few MB, so each application keeps the ones
it built in a :class:`CalendarStore` — an object of the app (``app.extensions``), registered on
the app's engine so that services find it from their session without reading ``current_app``.
Agencies with the same effective exceptions, hours and zone share one calendar object.

Several processes (gunicorn workers, several hosts, the scheduler) each keep their own store, so
every edit that changes a calendar — an exception added or removed, an agency's office hours,
zone or place in the tree — bumps the *calendar generation* (one row, ``calendar_state``) in the
same transaction as the edit. A store remembers the generation its calendars were built under;
the first calendar use of each unit of work (a request, a job run, a CLI command: one ORM
transaction) reads that row — one single-row primary-key SELECT — unless this process read it
less than ``check_seconds`` ago (``CALENDAR_CHECK_SECONDS``, default 2 s: a busy process then pays
one SELECT per interval, not one per request), and a store that is behind drops what it built.
So an edit committed elsewhere is in force in every process at most ``check_seconds`` after its
commit, and at once in the process that made it (its commit expires the interval). The editing
session itself, until it commits, bypasses the shared entries and reads its own (uncommitted)
exceptions. docs/operations.md, "Lịch làm việc giữa các tiến trình", describes it for operators.

The years covered are computed from today when a unit starts (never a constant that runs out):
at least five years past today (:func:`onestop.domain.calendar.calendar_years`).
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, event, or_, select, update
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session, scoped_session

from ...database.events import autocommit_read
from ...domain.calendar import (
    DEFAULT_FIRST_YEAR,
    DEFAULT_YEARS_AHEAD,
    CalendarException,
    OfficeHours,
    WorkingCalendar,
    calendar_years,
    lunar_new_year_days,
)
from ...domain.errors import DomainError
from ...models import Agency, CalendarExceptionRow, CalendarState, TetConfirmation, User
from ..notify.notifications import notify

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
FIRST_YEAR = DEFAULT_FIRST_YEAR  # the calendar's first year (its last one moves with today)
MAX_YEAR = 9998  # no calendar is ever built past this year (WorkingCalendar refuses it)
DEFAULT_HOURS = "07:30-11:30,13:30-17:00"
STORE_OPTION = "onestop_calendar_store"  # engine execution option holding the app's store
_UNIT_KEY = "onestop.calendar_unit"  # Session.info: the unit of work's generation check
# An exception this close to a year's estimated Tết days is an edit of that year's Tết.
TET_EDIT_WINDOW = timedelta(days=7)

Token = tuple[int, str]  # (generation, stamp) of calendar_state


class CalendarStore:
    """One application's built calendars, valid for one (generation, years) at a time."""

    def __init__(self, *, clock: Callable[[], datetime], first_year: int = DEFAULT_FIRST_YEAR,
                 years_ahead: int = DEFAULT_YEARS_AHEAD, tz: str = DEFAULT_TZ, check_seconds: float = 0.0,
                 ticker: Callable[[], float] | None = None) -> None:
        self.first_year = first_year
        self.years_ahead = years_ahead
        self.tz = ZoneInfo(tz)
        # Which years to cover depends on today: the app factory supplies the wall clock (services
        # never read it themselves); tests inject a fixed one.
        self.clock = clock
        self.builds = 0  # calendars built since start (operations metric, tests)
        # How long a generation read stays good for this process's units of work (0, or no
        # ticker: every unit reads it), measured on ``ticker`` — the app factory supplies a
        # monotonic clock, as it does the wall clock above; tests inject one they move.
        self.check_seconds = check_seconds
        self.ticker: Callable[[], float] = ticker or (lambda: 0.0)
        if ticker is None:
            self.check_seconds = 0.0
        self._checked: tuple[float, Token] | None = None
        self._lock = threading.Lock()
        self._current: tuple[Token, tuple[int, int]] | None = None
        self._by_key: dict[Hashable, WorkingCalendar] = {}
        self._by_content: dict[Hashable, WorkingCalendar] = {}
        self.years()  # refuse a bad setting at start-up, not at the first request

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def years(self) -> tuple[int, int]:
        return calendar_years(self.today(), self.first_year, self.years_ahead)

    def clear(self) -> None:
        with self._lock:
            self._current = None
            self._checked = None
            self._by_key.clear()
            self._by_content.clear()

    @property
    def generation(self) -> Token | None:
        """The generation the shared entries were built under (None: nothing adopted yet)."""
        return self._current[0] if self._current else None

    def observe(self, token: Token, years: tuple[int, int]) -> None:
        """A unit of work read ``token`` from the database: drop everything built under another."""
        with self._lock:
            if self._current != (token, years):
                self._current = (token, years)
                self._by_key.clear()
                self._by_content.clear()

    def recent(self) -> Token | None:
        """The generation read less than ``check_seconds`` ago by this process, if any."""
        checked = self._checked
        if checked is None or self.check_seconds <= 0 or self.ticker() - checked[0] >= self.check_seconds:
            return None
        return checked[1]

    def checked(self, token: Token) -> None:
        """A unit of work has just read ``token`` from the database."""
        self._checked = (self.ticker(), token)

    def expire(self) -> None:
        """The next unit of work reads the generation again (this process committed an edit)."""
        self._checked = None

    def get(self, key: Hashable, unit: _Unit) -> WorkingCalendar | None:
        with self._lock:
            if unit.dirty or self._current != (unit.token, unit.years):
                return None
            return self._by_key.get(key)

    def put(self, key: Hashable, cal: WorkingCalendar, unit: _Unit) -> None:
        with self._lock:
            if not unit.dirty and self._current == (unit.token, unit.years):
                self._by_key[key] = cal

    def build(self, content: Hashable, factory: Callable[[], WorkingCalendar]) -> WorkingCalendar:
        """The calendar for ``content`` (everything it is built from, years included): shared by
        every agency and unit with the same content, whatever the generation."""
        with self._lock:
            cal = self._by_content.get(content)
        if cal is not None:
            return cal
        cal = factory()
        with self._lock:
            self.builds += 1
            return self._by_content.setdefault(content, cal)


@dataclass(frozen=True, slots=True)
class _Unit:
    """What one unit of work (one ORM transaction) learnt at its first calendar use."""

    txn: object | None  # the session's transaction it belongs to
    token: Token | None  # None when the session itself bumped the generation (dirty)
    years: tuple[int, int]
    dirty: bool = False


def register(engine: Engine, store: CalendarStore) -> None:
    """Make ``store`` the calendar store of every session bound to ``engine`` (create_app)."""
    engine.update_execution_options(**{STORE_OPTION: store})


def _real(session: Session) -> Session:
    """The Session behind Flask-SQLAlchemy's scoped proxy (for ``info`` and ``get_transaction``)."""
    if isinstance(session, scoped_session):
        return cast(Session, session())
    return session


def store_of(session: Session) -> CalendarStore:
    bind = _real(session).get_bind()
    store = bind.get_execution_options().get(STORE_OPTION)
    if store is None:
        raise RuntimeError("No calendar store on this engine: build the app with onestop.create_app().")
    return cast(CalendarStore, store)


_STATE = CalendarState.__table__
# Built once: the check runs at the start of every unit of work, so it is a bare Core statement.
_GENERATION_SQL = select(_STATE.c.generation, _STATE.c.stamp).where(_STATE.c.id == 1)


def _read_generation(session: Session) -> Token:
    if session.in_transaction():
        row = session.connection().execute(_GENERATION_SQL).first()
    else:
        # Outside a transaction (the citizen look-up) the row is read on an autocommit connection,
        # so the check adds no BEGIN/ROLLBACK to the session (onestop/database/events.py).
        bind = session.get_bind()
        engine = bind.engine if isinstance(bind, Connection) else bind
        with autocommit_read(session, engine) as conn:
            row = conn.execute(_GENERATION_SQL).first()
    return (0, "") if row is None else (int(row[0]), str(row[1]))


def _unit(session: Session) -> tuple[CalendarStore, _Unit]:
    """The store, and this unit of work's generation check — done once per transaction, and
    read from the database at most once per ``check_seconds`` per process."""
    real = _real(session)
    store = store_of(real)
    unit = real.info.get(_UNIT_KEY)
    if unit is not None and unit.txn is real.get_transaction():
        return store, cast(_Unit, unit)
    token = store.recent()
    if token is None:
        token = _read_generation(real)
        store.checked(token)
    unit = _Unit(real.get_transaction(), token, store.years())
    store.observe(token, unit.years)
    real.info[_UNIT_KEY] = unit
    return store, unit


def bump_generation(session: Session, now: datetime | None = None) -> None:
    """Record, in the caller's transaction, that a calendar changed: every process drops its built
    calendars at its next unit of work. Call it in the same transaction as the edit."""
    stamp = secrets.token_hex(8)
    values: dict[str, Any] = {"generation": CalendarState.generation + 1, "stamp": stamp}
    if now is not None:
        values["changed_at"] = now
    result = session.execute(
        update(CalendarState).where(CalendarState.id == 1).values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount == 0:  # the row is seeded by the migration
        session.add(CalendarState(id=1, generation=1, stamp=stamp, changed_at=now))
        session.flush()
    real = _real(session)
    store = store_of(real)
    # Until this transaction ends, this session must see its own edit: no shared entries.
    real.info[_UNIT_KEY] = _Unit(real.get_transaction(), None, store.years(), dirty=True)
    # Once it commits, this process's next unit of work reads the new generation at once, whatever
    # the interval (a rolled-back edit only costs one extra read at a later commit).
    event.listen(real, "after_commit", lambda _session: store.expire(), once=True)


def covered_years(session: Session) -> range:
    """The years the working calendars cover now."""
    _, unit = _unit(session)
    return range(unit.years[0], unit.years[1] + 1)


def national_calendar(session: Session, hours: str = DEFAULT_HOURS, tz: str = DEFAULT_TZ) -> WorkingCalendar:
    """The national calendar with the given office hours, no local exceptions."""
    store, unit = _unit(session)
    hours_obj = OfficeHours.parse(hours)
    first, last = unit.years
    return store.build(("national", hours_obj, tz, unit.years),
                       lambda: WorkingCalendar.national(first, last, hours=hours_obj, tz=tz))


def calendar_for(session: Session, agency: Agency | None) -> WorkingCalendar:
    """The agency's calendar: national + nationwide exceptions + those of the
    agency and its ancestors (a province closure applies to its communes)."""
    if agency is None:
        return _with_exceptions(session, None, DEFAULT_HOURS, DEFAULT_TZ)
    return _with_exceptions(session, agency, agency.office_hours or DEFAULT_HOURS,
                            agency.timezone or DEFAULT_TZ)


def _with_exceptions(session: Session, agency: Agency | None, hours: str, tz: str) -> WorkingCalendar:
    store, unit = _unit(session)
    ancestors = [int(p) for p in agency.path.strip("/").split("/") if p] if agency else []
    key = ("agency", tuple(ancestors), hours, tz)
    cal = store.get(key, unit)
    if cal is not None:
        return cal
    first, last = unit.years
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
        if first <= r.on_date.year <= last
    ]
    try:
        hours_obj = OfficeHours.parse(hours)
    except DomainError:
        hours_obj = OfficeHours.parse(DEFAULT_HOURS)
    # Agencies whose effective exceptions, hours and zone are the same share one calendar
    # object: most of a province's ~200 agencies have no exception of their own (so a worker
    # builds one or two, not 200).
    content = ("content", tuple(sorted((e.on, e.working, e.note) for e in exceptions)), hours_obj, tz,
               unit.years)
    cal = store.build(content, lambda: WorkingCalendar.national(first, last, exceptions=exceptions,
                                                                hours=hours_obj, tz=tz))
    store.put(key, cal, unit)
    return cal


# ---------------------------------------------------------------- exceptions (admin edits)

def add_exception(
    session: Session, *, on: date, working: bool, note: str, agency: Agency | None,
    actor_id: int | None, now: datetime,
) -> CalendarExceptionRow:
    if not note.strip():
        raise DomainError("Nhập lý do (ghi chú) cho ngày ngoại lệ.")
    years = covered_years(session)
    if on.year not in years:
        raise DomainError(f"Năm {on.year} nằm ngoài lịch làm việc ({years.start}–{years.stop - 1}).")
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
    bump_generation(session, now)
    if agency is None:
        _record_tet_edit(session, on, actor_id, now)
    return row


def delete_exception(session: Session, row: CalendarExceptionRow, *, actor_id: int | None,
                     now: datetime) -> None:
    nationwide, on = row.agency_id is None, row.on_date
    session.delete(row)
    session.flush()
    bump_generation(session, now)
    if nationwide:
        _record_tet_edit(session, on, actor_id, now)


# ---------------------------------------------------------------- Tết not yet announced

@dataclass
class TetYear:
    """One future year's Tết Nguyên đán as the ``holidays`` package estimates it, and whether an
    admin has confirmed it (status ``confirmed``), not yet (``unconfirmed``), or confirmed days
    the package has since moved (``changed``, after an upgrade)."""

    year: int
    days: tuple[date, ...]
    status: str
    confirmation: TetConfirmation | None = None
    confirmed_by: str = ""
    edits: list[CalendarExceptionRow] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.status != "confirmed"


def _iso_days(days: tuple[date, ...]) -> str:
    return ",".join(d.isoformat() for d in days)


def _future_years(session: Session, now: datetime) -> tuple[int, int]:
    """Years after the current one (in the calendar's zone) up to the calendar's last year: their
    Tết is announced by the Government in the autumn before, so it starts as an estimate."""
    store, unit = _unit(session)
    return now.astimezone(store.tz).year + 1, unit.years[1]


def tet_years(session: Session, now: datetime) -> list[TetYear]:
    """Each future year of the calendar with its estimated Tết days and confirmation status."""
    first, last = _future_years(session, now)
    if first > last:
        return []
    package = lunar_new_year_days(first, last)
    confirmations = {c.year: c for c in session.scalars(
        select(TetConfirmation).where(TetConfirmation.year.between(first, last)))}
    names = {uid: name for uid, name in session.execute(select(User.id, User.username).where(
        User.id.in_([c.confirmed_by_id for c in confirmations.values() if c.confirmed_by_id])))}
    edits = session.scalars(select(CalendarExceptionRow).where(
        CalendarExceptionRow.agency_id.is_(None),
        CalendarExceptionRow.on_date.between(date(first, 1, 1), date(last, 12, 31)),
    ).order_by(CalendarExceptionRow.on_date)).all()
    out: list[TetYear] = []
    for year in range(first, last + 1):
        days = package.get(year, ())
        conf = confirmations.get(year)
        if conf is None or not days:
            status = "unconfirmed"
        elif conf.package_days != _iso_days(days):
            status = "changed"
        else:
            status = "confirmed"
        near = [e for e in edits
                if days and days[0] - TET_EDIT_WINDOW <= e.on_date <= days[-1] + TET_EDIT_WINDOW]
        out.append(TetYear(year, days, status, conf, names.get(conf.confirmed_by_id, "") if conf and
                           conf.confirmed_by_id else "", near))
    return out


def unconfirmed_tet_years(session: Session, now: datetime) -> list[TetYear]:
    return [t for t in tet_years(session, now) if t.flagged]


def confirm_tet(session: Session, year: int, *, actor_id: int | None, now: datetime,
                via: str = "confirm") -> TetConfirmation:
    """Record that an admin checked ``year``'s Tết days against the Government's announcement
    (any differences are entered as exceptions). Only future years of the calendar."""
    first, last = _future_years(session, now)
    if not first <= year <= last:
        raise DomainError(f"Chỉ xác nhận Tết các năm {first}–{last}. "
                          f"(Only the years {first}–{last} can be confirmed.)")
    days = lunar_new_year_days(year, year).get(year, ())
    if not days:
        raise DomainError(f"Gói lịch (holidays) không có ngày Tết năm {year}; "
                          "nhập ngày nghỉ Tết làm ngoại lệ. "
                          f"(The holidays package has no Tết for {year}.)")
    row = session.get(TetConfirmation, year)
    if row is None:
        row = TetConfirmation(year=year)
        session.add(row)
    row.package_days = _iso_days(days)
    row.via = via
    row.confirmed_by_id = actor_id
    row.confirmed_at = now
    session.flush()
    return row


def _record_tet_edit(session: Session, on: date, actor_id: int | None, now: datetime) -> None:
    """A nationwide exception near a flagged year's Tết is the admin's correction of it: the year
    counts as reviewed (the ruling: flagged "until an admin confirms or edits them")."""
    first, last = _future_years(session, now)
    if not first <= on.year <= last:
        return
    days = lunar_new_year_days(on.year, on.year).get(on.year, ())
    if not days or not days[0] - TET_EDIT_WINDOW <= on <= days[-1] + TET_EDIT_WINDOW:
        return
    current = session.get(TetConfirmation, on.year)
    if current is not None and current.package_days == _iso_days(days):
        return  # already reviewed: keep who confirmed it
    confirm_tet(session, on.year, actor_id=actor_id, now=now, via="edit")


def warn_unconfirmed_tet(session: Session, now: datetime) -> dict[str, Any]:
    """In November (jobs/calendar_check.py): tell the active admins, once per year and estimate,
    that next year's Tết in the calendar is still the package's estimate."""

    year = now.astimezone(store_of(session).tz).year + 1
    flagged = next((t for t in unconfirmed_tet_years(session, now) if t.year == year and t.days), None)
    if flagged is None:
        return {"tet_unconfirmed": None, "unconfirmed_warned": 0}
    days = flagged.days
    params = {"problem": "tet_unconfirmed", "year": year, "first": days[0].isoformat(),
              "last": days[-1].isoformat()}
    admins = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))).all()
    warned = sum(notify(session, user_id=a, kind="calendar", params=params,
                        dedupe_key=f"calendar:tet-unconfirmed:{year}:{_iso_days(days)}:{a}", now=now)
                 for a in admins)
    return {"tet_unconfirmed": year, "unconfirmed_warned": warned}
