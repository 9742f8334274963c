"""THE on-time rule, written once.

* While open: within time (trong hạn) / due soon (sắp đến hạn) / overdue (quá hạn) — docs/rules.md,
  "Timing" T2. "Overdue" is never a status: it is derived from the due time and the clock.
* Once finished: early (trước hạn) / on time (đúng hạn) / late (quá hạn). Decision 766/QĐ-TTg
  (indicator 2.1, national service index): on time ⇔ finished no later than the appointment date,
  paused time excluded (already folded into ``due_at`` by :func:`onestop.domain.deadlines.compute_due`);
  more than one supplement request on a dossier ⇒ counted as late.
* Due soon: Decree 61/2018 art. 19(4) as amended (now Decree 118/2025): the agency must issue the
  apology and new date no later than one working day before the deadline, so a dossier whose due time
  is within one working day is *due soon*.

The apology's promised date never enters these functions: the original appointment decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.errors import DomainError

__all__ = [
    "TimeLeft",
    "Timing",
    "TimingInputs",
    "TimingView",
    "classify_finished",
    "classify_open",
    "due_soon_from",
    "is_counted_on_time",
    "time_left",
    "timing_view",
]


class Timing(StrEnum):
    """Timing attribute of a dossier (values are the storage format — never rename)."""

    WITHIN = "within"  # trong hạn
    DUE_SOON = "due_soon"  # sắp đến hạn
    OVERDUE = "overdue"  # quá hạn (still open)
    PAUSED = "paused"  # tạm dừng: clock stopped (supplement / financial obligation)
    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn (finished)


OPEN_TIMINGS = frozenset({Timing.WITHIN, Timing.DUE_SOON, Timing.OVERDUE, Timing.PAUSED})
FINISHED_TIMINGS = frozenset({Timing.EARLY, Timing.ON_TIME, Timing.LATE})


def due_soon_from(now: datetime, calendar: WorkingCalendar, working_minutes: int | None = None) -> datetime:
    """The instant one working day (``calendar.minutes_per_day`` office minutes, or ``working_minutes``)
    after ``now``. An open dossier with ``due_at <= due_soon_from(now, cal)`` is due soon (or overdue
    if ``due_at < now``). Meant for set-based scans: ``WHERE due_at <= :soon``.
    """
    minutes = calendar.minutes_per_day if working_minutes is None else working_minutes
    return calendar.add_working_minutes(now, minutes)


def classify_open(
    now: datetime, due_at: datetime, calendar: WorkingCalendar, *, paused: bool = False
) -> Timing:
    """Timing of an open dossier at ``now``.

    ``paused=True`` (the clock is stopped: awaiting supplement or financial obligation) answers
    PAUSED. Pass it only for a pause that began before ``due_at``: a pause that starts after the
    deadline does not stop lateness (see ``compute_due``), so such a dossier stays OVERDUE.
    ``now == due_at`` is not yet overdue.
    """
    if paused:
        return Timing.PAUSED
    if now > due_at:
        return Timing.OVERDUE
    if due_at <= due_soon_from(now, calendar):
        return Timing.DUE_SOON
    return Timing.WITHIN


def _zone(tz: tzinfo | str) -> tzinfo:
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainError(f"Múi giờ không hợp lệ: {tz!r}. (Unknown time zone.)") from None
    return tz


def classify_finished(
    finished_at: datetime,
    due_at: datetime,
    *,
    supplement_requests: int = 0,
    tz: tzinfo | str,
) -> Timing:
    """Timing of a finished dossier (first of refused/stopped/withdrawn/result ready/returned).

    LATE if finished after the due time, or if the dossier had more than one supplement request
    (Decision 766/QĐ-TTg indicator 2.1). EARLY if finished on an earlier local calendar date than the
    due date (in ``tz``, the agency's zone). Otherwise ON_TIME.
    """
    if finished_at > due_at or supplement_requests > 1:
        return Timing.LATE
    zone = _zone(tz)
    if finished_at.astimezone(zone).date() < due_at.astimezone(zone).date():
        return Timing.EARLY
    return Timing.ON_TIME


def is_counted_on_time(timing: Timing) -> bool:
    """Numerator of the Decision 766 indicator 2.1 on-time rate: finished early/on time, or still
    open within time (including due soon, and paused — the clock is stopped, the agency is not late).
    """
    return timing in (Timing.EARLY, Timing.ON_TIME, Timing.WITHIN, Timing.DUE_SOON, Timing.PAUSED)


@dataclass(frozen=True, slots=True)
class TimeLeft:
    """Working time left until the due time. ``minutes`` is signed (negative = late); ``days``,
    ``hours`` and ``mins`` are the magnitude split with a working day of ``minutes_per_day``.
    ``overdue`` is also set when the due time has passed outside office hours (0 working minutes
    late, e.g. Friday 18:00 for a Friday 17:00 due time). The words ("Còn 1 ngày 3 giờ" / "1 day 3 h
    left") are the web layer's: onestop/web/sentences.py."""

    minutes: int
    days: int
    hours: int
    mins: int
    overdue: bool = False

    @property
    def late(self) -> bool:
        return self.minutes < 0 or self.overdue


def time_left(now: datetime, due_at: datetime, calendar: WorkingCalendar) -> TimeLeft:
    """Signed working minutes from ``now`` to ``due_at`` (office hours on working days only)."""
    minutes = calendar.working_minutes_between(now, due_at)
    per_day = calendar.minutes_per_day
    days, rest = divmod(abs(minutes), per_day)
    hours, mins = divmod(rest, 60)
    return TimeLeft(minutes=minutes, days=days, hours=hours, mins=mins, overdue=now > due_at)


# ---------------------------------------------------------------- one owner: inputs -> view


@dataclass(frozen=True, slots=True)
class TimingInputs:
    """Everything "how late is this dossier" depends on, read the same way from an ORM dossier or a
    Core row (services/dossiers/timing.py builds both). The rules: docs/rules.md, "Timing".

    ``open_pause_start`` is the start of the pause still open (supplement or financial obligation),
    ``None`` when none is open; whether it stops the clock (it began no later than the due time) is
    decided by :func:`timing_view`, not by the caller. ``promised_due_at`` (the apology's new date)
    is shown, never used to judge lateness."""

    finished: bool
    due_at: datetime | None
    finished_at: datetime | None = None
    supplement_count: int = 0
    open_pause_start: datetime | None = None
    promised_due_at: datetime | None = None
    tz: str = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True, slots=True)
class TimingView:
    """The answer: the timing attribute, the working time left (open, clock running) and what follows
    from them. ``timing is None`` when the dossier has no statutory due time (not received)."""

    timing: Timing | None
    left: TimeLeft | None = None
    paused: bool = False
    late_by_supplements: bool = False
    apology_due: bool = False

    @property
    def minutes_left(self) -> int | None:
        return self.left.minutes if self.left is not None else None

    @property
    def counts_on_time(self) -> bool:
        """Numerator of the Decision 766 indicator 2.1 rate (docs/rules.md, "Timing")."""
        return self.timing is not None and is_counted_on_time(self.timing)

    @property
    def needs_apology(self) -> bool:
        """Open with the statutory due time within one working day or passed, clock running: the
        apology and new date is due (Decree 118/2025; docs/rules.md, "Timing")."""
        return self.apology_due


def timing_view(inputs: TimingInputs, now: datetime, calendar: WorkingCalendar) -> TimingView:
    """THE timing of a dossier at ``now`` (docs/rules.md, "Timing"); its SQL twin is
    services/dossiers/timing_sql.py (a property test keeps the two equal).

    * no due time → no timing;
    * finished → :func:`classify_finished` (late after the due time or with more than one supplement
      request; early on an earlier local date);
    * open with more than one supplement request → OVERDUE (Decision 766 indicator 2.1: counted late
      from the second request on, whatever the clock says);
    * open with a pause that began no later than the due time → PAUSED (clock stopped);
    * otherwise :func:`classify_open` on the running clock.
    """
    due = inputs.due_at
    if due is None:
        return TimingView(None)
    if inputs.finished:
        if inputs.finished_at is None:
            raise DomainError("Hồ sơ đã kết thúc nhưng thiếu thời điểm kết thúc. (finished_at missing.)")
        t = classify_finished(inputs.finished_at, due, supplement_requests=inputs.supplement_count,
                              tz=inputs.tz)
        return TimingView(t, late_by_supplements=inputs.supplement_count > 1)
    paused = inputs.open_pause_start is not None and inputs.open_pause_start <= due
    many = inputs.supplement_count > 1
    if paused:
        return TimingView(Timing.OVERDUE if many else Timing.PAUSED, None, paused=True,
                          late_by_supplements=many)
    left = time_left(now, due, calendar)
    clock = classify_open(now, due, calendar)
    return TimingView(Timing.OVERDUE if many else clock, left, late_by_supplements=many,
                      apology_due=clock in (Timing.DUE_SOON, Timing.OVERDUE))
