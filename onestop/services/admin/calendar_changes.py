"""Admin: the calendar's local exceptions (a closure, an extra working day) and the confirmation of
a future year's Tết, each audited; an exception re-plans the open dossiers whose due time it moves,
each through the one writer of status as a recorded ``replan`` event (docs/architecture.md §2;
docs/rules.md T13). Apart from ``calendars`` (the store every process reads), because re-planning
goes through ``dossiers.actions``, which itself reads the calendar."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.status import RUNNING
from ...domain.status import DossierAction as A
from ...models import Agency, CalendarExceptionRow, Dossier, User
from ..dossiers.actions import apply_action
from ..dossiers.clock import compute_dossier_due
from ..dossiers.inputs import ReplanInput
from ..errors import NotFound
from . import calendars
from .accounts import audit
from .agencies import DEFAULT_TZ, subtree_ids_query


def add_calendar_exception(
    session: Session, *, on: date, working: bool, note: str, agency: Agency | None, actor: User,
    now: datetime, ip: str = "",
) -> tuple[CalendarExceptionRow, int]:
    """Add a closure or an extra working day, then re-plan the open dossiers it moves.
    Returns the row and the number of dossiers re-planned."""
    row = calendars.add_exception(session, on=on, working=working, note=note, agency=agency,
                                  actor_id=actor.id, now=now)
    audit(session, actor, "calendar.add", f"calendar:{on.isoformat()}",
          {"working": working, "note": row.note, "agency": agency.identifier if agency else None}, now, ip)
    moved = replan_for_day(session, on, agency, now=now,
                           reason=f"Lịch ngày {on:%d/%m/%Y} thay đổi: {row.note} ({actor.username})")
    return row, moved


def delete_calendar_exception(session: Session, row_id: int, *, actor: User, now: datetime,
                              ip: str = "") -> int:
    row = session.get(CalendarExceptionRow, row_id)
    if row is None:
        raise NotFound("Không tìm thấy ngày ngoại lệ.")
    agency = session.get(Agency, row.agency_id) if row.agency_id else None
    on, note, working = row.on_date, row.note, row.working
    calendars.delete_exception(session, row, actor_id=actor.id, now=now)
    audit(session, actor, "calendar.delete", f"calendar:{on.isoformat()}",
          {"working": working, "note": note, "agency": agency.identifier if agency else None}, now, ip)
    return replan_for_day(session, on, agency, now=now,
                          reason=f"Bỏ ngoại lệ lịch ngày {on:%d/%m/%Y} ({actor.username})")


def confirm_tet_year(session: Session, year: int, *, actor: User, now: datetime, ip: str = "") -> None:
    """An admin confirms a future year's Tết days (estimated by the ``holidays`` package) against
    the Government's announcement; differences are entered as exceptions (docs/guide-admin.md)."""
    row = calendars.confirm_tet(session, year, actor_id=actor.id, now=now)
    audit(session, actor, "calendar.confirm_tet", f"calendar:tet:{year}", {"days": row.package_days}, now, ip)


def replan_for_day(session: Session, day: date, agency: Agency | None, *, now: datetime, reason: str) -> int:
    """Re-plan the statutory due time of open, running dossiers whose clock range
    covers ``day`` (docs/architecture.md §2: "a holiday edit can re-plan open dossiers' due
    times, always as recorded events"). Candidates come from one set-based query
    (the calendar only matters between clock start and due time, and only for
    desks inside ``agency``'s subtree); each dossier whose due time really moves
    gets its ``replan`` event through the one writer of status."""
    tz = ZoneInfo(agency.timezone if agency is not None and agency.timezone else DEFAULT_TZ)
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    q = select(Dossier).where(
        Dossier.status.in_([s.value for s in RUNNING]),
        Dossier.finished_at.is_(None),
        Dossier.clock_start_at.is_not(None),
        Dossier.clock_start_at < day_end,
        Dossier.due_at >= day_start,
    )
    if agency is not None:
        q = q.where(Dossier.receiving_agency_id.in_(subtree_ids_query(agency)))
    moved = 0
    for d in session.scalars(q.order_by(Dossier.id)).all():
        new_due = compute_dossier_due(session, d).due_at
        if new_due == d.due_at:
            continue
        if d.promised_due_at is not None and new_due >= d.promised_due_at:
            # The apology's promised date must stay after the statutory one
            # (promise_after_due); such a dossier needs a person, not a silent move.
            continue
        apply_action(session, d, A.REPLAN, ReplanInput(reason=reason), actor=None, now=now)
        moved += 1
    return moved
