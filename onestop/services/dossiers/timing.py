"""Reading a dossier's timing facts — the same way from an ORM ``Dossier`` or a Core row — and
answering with THE rule (:func:`onestop.domain.timing.timing_view`; docs/rules.md, "Timing").

Pages, lists, exports, the API and the look-up call :func:`timing_for` / :func:`timing_for_row`;
set-based statements use the SQL twin in :mod:`onestop.services.dossiers.timing_sql` with
:func:`open_pause_start` for the open pause.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ...domain.calendar import WorkingCalendar
from ...domain.status import DossierStatus
from ...domain.timing import TimingInputs, TimingView, timing_view
from ...models import Dossier, PauseInterval
from ..admin.calendars import DEFAULT_TZ, calendar_for

__all__ = [
    "TIMING_COLUMNS",
    "inputs_of_dossier",
    "inputs_of_row",
    "open_pause_start",
    "timing_for",
    "timing_for_row",
]


def open_pause_start(dossier_id: Any = Dossier.id) -> ColumnElement[Any]:
    """Correlated scalar subquery: the start of the dossier's open pause (NULL when none)."""
    return (
        select(func.min(PauseInterval.started_at))
        .where(PauseInterval.dossier_id == dossier_id, PauseInterval.ended_at.is_(None))
        .correlate_except(PauseInterval)
        .scalar_subquery()
    )


# The columns a Core reader selects to build TimingInputs (labels are the row keys).
TIMING_COLUMNS: tuple[Any, ...] = (
    Dossier.status.label("status"),
    Dossier.due_at.label("due_at"),
    Dossier.finished_at.label("finished_at"),
    Dossier.supplement_count.label("supplement_count"),
    Dossier.promised_due_at.label("promised_due_at"),
    open_pause_start().label("open_pause_start"),
)


def inputs_of_dossier(d: Dossier) -> TimingInputs:
    """From an ORM dossier (its ``pauses`` relationship gives the open pause)."""
    starts = [p.started_at for p in d.pauses if p.ended_at is None]
    return TimingInputs(
        finished=DossierStatus(d.status).is_finished,
        due_at=d.due_at, finished_at=d.finished_at, supplement_count=int(d.supplement_count or 0),
        open_pause_start=min(starts) if starts else None, promised_due_at=d.promised_due_at,
        tz=(d.receiving_agency.timezone if d.receiving_agency is not None else None) or DEFAULT_TZ,
    )


def inputs_of_row(row: Mapping[str, Any] | Any, *, tz: str | None = None) -> TimingInputs:
    """From a Core row (a mapping, or a Row with ``._mapping``) holding :data:`TIMING_COLUMNS`."""
    m: Mapping[str, Any] = row if isinstance(row, Mapping) else row._mapping
    return TimingInputs(
        finished=DossierStatus(m["status"]).is_finished,
        due_at=m["due_at"], finished_at=m["finished_at"], supplement_count=int(m["supplement_count"] or 0),
        open_pause_start=m["open_pause_start"], promised_due_at=m.get("promised_due_at"),
        tz=tz or DEFAULT_TZ,
    )


def timing_for(session: Session, d: Dossier, now: datetime,
               calendar: WorkingCalendar | None = None) -> TimingView:
    """The timing of one ORM dossier at ``now`` (on its receiving agency's calendar)."""
    cal = calendar if calendar is not None else calendar_for(session, d.receiving_agency)
    return timing_view(inputs_of_dossier(d), now, cal)


def timing_for_row(row: Mapping[str, Any] | Any, now: datetime, calendar: WorkingCalendar) -> TimingView:
    """The timing of one Core row at ``now`` (``calendar``: its receiving agency's)."""
    return timing_view(inputs_of_row(row, tz=calendar.tz_name), now, calendar)
