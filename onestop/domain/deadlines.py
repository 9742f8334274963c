"""The statutory due time of a dossier, with a "why this date" trace.

Legal basis
-----------
* Decree 61/2018/NĐ-CP art. 18–19 (amended by Decree 107/2021/NĐ-CP; replaced from 2025-07-01 by
  Decree 118/2025/NĐ-CP): the time limit runs from receipt of a complete, valid dossier; the receipt
  states the appointment date; time waiting for the citizen (supplement, financial obligation) is not
  counted against the agency.
* Labour Code 2019 art. 112 (holidays) and the Government's annual swap notices decide working days
  (see :mod:`onestop.domain.calendar`).
* Civil Code 2015 art. 147: a period in days starts on the day after the event and ends at the end of
  its last day; art. 148: a last day that is not a working day rolls to the next working day.

The default counting rule (docs/rules.md, "Timing" T12), implemented exactly by :func:`compute_due`:

* working days, N ≥ 1: received inside office hours on working day D (before the procedure's
  cut-off, if any) → due at the close of the N-th working day after D. Before opening / during lunch
  on a working day → still D (counted from the next opening that day). After close, on a non-working
  day, or after the cut-off → from the opening of the next working day D′; due at the close of the
  N-th working day after D′. Online dossiers filed outside office hours (before the day's opening or
  after its close, or on a non-working day) count from the next working day when the procedure says
  so (``online_outside_hours_next_day``, default True). The lunch break is *inside* the office day.
* N = 0 ("trong ngày"): the close of D (or D′).
* Fractional working days (ruling): the whole working days first, then the fraction of the next
  working day's office time (default hours: half a day = 3 h 45 min); docs/rules.md "Timing" T12.
* working hours: N hours of office time from the moment of receipt (or the next opening).
* calendar days: D + N; a non-working last day rolls to the next working day; due at its close.
* pauses (supplement, financial obligation) stop the clock: the due time moves by the working time
  the pause covers between the clock start and the (moving) due time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN as ROUNDING_DOWN
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.errors import DomainError, InvalidDeadlineRule

__all__ = [
    "DeadlineRule",
    "DueDate",
    "LimitUnit",
    "Pause",
    "TraceKind",
    "TraceStep",
    "compute_due",
    "parse_limit",
]

_US_PER_MINUTE = 60_000_000


class LimitUnit(StrEnum):
    """Unit of a procedure's time limit (values are the storage format — never rename)."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """A procedure's time limit (configurable per procedure; docs/rules.md, "Timing" T12)."""

    limit: Decimal
    unit: LimitUnit
    # Received after this local time → counts from the next working day (e.g. 15:00 for civil status
    # and certification at communes).
    cutoff: time | None = None
    # Online dossiers filed outside office hours count from the next working day.
    online_outside_hours_next_day: bool = True
    legal_basis: str = ""

    def __post_init__(self) -> None:
        # Lenient on input types (a plain int limit, a unit string read from storage), strict on values.
        if isinstance(self.limit, int) and not isinstance(self.limit, bool):
            object.__setattr__(self, "limit", Decimal(self.limit))
        if not isinstance(self.limit, Decimal):
            raise InvalidDeadlineRule(
                f"Thời hạn phải là số thập phân (Decimal), nhận {self.limit!r}. (limit must be a Decimal.)"
            )
        if not self.limit.is_finite():
            raise InvalidDeadlineRule(f"Thời hạn không hợp lệ: {self.limit}. (limit must be finite.)")
        if self.limit < 0:
            raise InvalidDeadlineRule(
                f"Thời hạn không được âm: {self.limit}. (limit must not be negative.)"
            )
        try:
            unit = LimitUnit(self.unit)
        except ValueError:
            raise InvalidDeadlineRule(_bad_unit_message(str(self.unit))) from None
        object.__setattr__(self, "unit", unit)
        if unit is LimitUnit.CALENDAR_DAYS and self.limit != self.limit.to_integral_value():
            raise InvalidDeadlineRule(
                f"Thời hạn theo ngày dương lịch phải là số nguyên: {self.limit}. "
                "(A calendar-day limit must be a whole number.)"
            )
        if self.cutoff is not None and self.cutoff.tzinfo is not None:
            raise InvalidDeadlineRule("Giờ chốt không được kèm múi giờ. (cutoff must be a naive local time.)")

    @property
    def limit_minutes(self) -> int | None:
        """Working minutes for hour-based counting (working hours), else None."""
        if self.unit is LimitUnit.WORKING_HOURS:
            return int((self.limit * 60).to_integral_value(ROUND_HALF_UP))
        return None

    def fraction_minutes(self, minutes_per_day: int) -> int:
        """Office minutes of the fractional part of a working-day limit (0 for a whole number): the
        fraction of one office day of ``minutes_per_day`` minutes, half-up to the minute
        (docs/rules.md, "Timing" T12: 0.5 day = 3 h 45 min with the default 7 h 30 min day)."""
        if self.unit is not LimitUnit.WORKING_DAYS:
            return 0
        fraction = self.limit - self.limit.to_integral_value(ROUNDING_DOWN)
        return int((fraction * minutes_per_day).to_integral_value(ROUND_HALF_UP))


def _bad_unit_message(unit: str) -> str:
    allowed = ", ".join(u.value for u in LimitUnit)
    return f"Đơn vị thời hạn không hợp lệ: {unit!r}; dùng một trong: {allowed}. (Unknown unit.)"


def parse_limit(limit: str | int | Decimal, unit: str) -> DeadlineRule:
    """Build a rule from loose input (CLI, CSV import): ``parse_limit("5", "working_days")``.

    Accepts a decimal comma ("0,5"). Raises :class:`InvalidDeadlineRule` with a clear message for a
    bad unit, a negative or a non-numeric limit.
    """
    try:
        unit_enum = LimitUnit(unit.strip().lower())
    except (ValueError, AttributeError):
        raise InvalidDeadlineRule(_bad_unit_message(str(unit))) from None
    if isinstance(limit, bool):
        raise InvalidDeadlineRule(f"Thời hạn không phải là số: {limit!r}. (limit is not a number.)")
    if isinstance(limit, Decimal):
        value = limit
    elif isinstance(limit, int):
        value = Decimal(limit)
    else:
        text = str(limit).strip().replace(",", ".")
        if not text or len(text) > 20:
            raise InvalidDeadlineRule(f"Thời hạn không phải là số: {limit!r}. (limit is not a number.)")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidDeadlineRule(
                f"Thời hạn không phải là số: {limit!r}. (limit is not a number.)"
            ) from None
    if not value.is_finite():
        raise InvalidDeadlineRule(f"Thời hạn không phải là số: {limit!r}. (limit is not a number.)")
    return DeadlineRule(limit=value, unit=unit_enum)


@dataclass(frozen=True, slots=True)
class Pause:
    """A stopped-clock interval (waiting for a supplement or a financial obligation).

    ``end`` must be known to compute a due time: while a pause is still open the due time is not
    defined (it depends on when the citizen comes back), so :func:`compute_due` raises
    :class:`DomainError` for ``end=None``; callers show the dossier as *paused* instead
    (:func:`onestop.domain.timing.timing_view`: an open pause begun by the due time → PAUSED).
    """

    start: datetime
    end: datetime | None
    reason: str = ""


class TraceKind(StrEnum):
    """What one step of the "why this date" trace says; the words are the web layer's
    (onestop/web/sentences.py), in the reader's language."""

    RECEIVED = "received"  # at, channel
    NON_WORKING_DAY = "non_working_day"  # date, reason: received on a closed day
    ONLINE_OUTSIDE_HOURS = "online_outside_hours"  # opening, closing
    AFTER_CLOSE = "after_close"  # closing
    AFTER_CUTOFF = "after_cutoff"  # cutoff
    BEFORE_OPEN = "before_open"  # opening: the clock starts at the day's opening
    LUNCH = "lunch"  # resume: the clock starts after the lunch break
    SKIPPED_DAY = "skipped_day"  # date, reason
    CLOCK_START = "clock_start"  # at
    LIMIT = "limit"  # amount, unit, legal_basis, minutes
    CALENDAR_COUNT = "calendar_count"  # from, days, to (Civil Code 2015 art. 147)
    CALENDAR_ROLLOVER = "calendar_rollover"  # from, to, reason (Civil Code 2015 art. 148)
    COUNT_DAY = "count_day"  # date, n
    WORKING_SATURDAY = "working_saturday"  # date, n (None when not counted by day), reason
    FRACTION_DAY = "fraction_day"  # date, minutes
    NOMINAL_DUE = "nominal_due"  # at: the due time before the pauses moved it
    PAUSE = "pause"  # start, end, minutes, reason, ignored
    DUE = "due"  # at


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One line of the "why this date" trace: a kind and its values (dates, times, numbers, and the
    reasons the calendar or the staff gave, which are data)."""

    kind: TraceKind
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DueDate:
    due_at: datetime
    clock_start: datetime
    steps: tuple[TraceStep, ...] = ()



# --------------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------------


def compute_due(
    received_at: datetime,
    rule: DeadlineRule,
    calendar: WorkingCalendar,
    *,
    pauses: Sequence[Pause] = (),
    channel: str = "direct",
    explain: bool = True,
) -> DueDate:
    """The statutory due time for a dossier received at ``received_at`` (aware datetime).

    ``channel`` is "direct", "online" or "postal" (postal dossiers count like direct ones, from the
    moment the desk receives them). With ``explain=False`` no trace is built (the fast path used by
    bulk re-planning and benchmarks).
    """
    cal = calendar
    i, us = cal._local(received_at)
    reason = _start_reason(cal, i, us, rule, channel)
    same_day = reason == ""

    if same_day:
        day = i
        start_pos = cal._cumw[i] * cal._day_us + cal._within(us)
        k0 = cal._cumw[i]  # index of D among working days
    else:
        k0 = cal._cumw[i + 1]  # index of D′ among working days
        day = cal._nth_working_index(k0)
        start_pos = k0 * cal._day_us

    unit = rule.unit
    minutes = rule.limit_minutes
    rollover: tuple[date, date, str] | None = None
    if minutes is not None:
        # Working hours: office time from the clock start.
        due_pos = start_pos + minutes * _US_PER_MINUTE
        due_at = cal._at(due_pos) if minutes else None
    elif unit is LimitUnit.WORKING_DAYS and rule.fraction_minutes(cal.minutes_per_day):
        # Fractional working days (ruling, docs/rules.md "Timing" T12): the whole working days
        # first, then that fraction of the next working day's office time.
        due_pos = (k0 + int(rule.limit) + 1) * cal._day_us \
            + rule.fraction_minutes(cal.minutes_per_day) * _US_PER_MINUTE
        due_at = cal._at(due_pos)
    elif unit is LimitUnit.WORKING_DAYS:
        due_idx = cal._nth_working_index(k0 + int(rule.limit))
        due_at = cal._closing_i(due_idx)
        due_pos = (k0 + int(rule.limit) + 1) * cal._day_us
    else:
        due_at, due_pos, rollover = _calendar_days_due(cal, day, int(rule.limit), explain)

    clock_start = _clock_start(cal, received_at, i, us) if same_day else cal._opening_i(day)
    if due_at is None:  # zero working hours
        due_at = clock_start

    nominal_due = due_at
    pause_steps: list[TraceStep] = []
    if pauses:
        due_pos_before = due_pos
        due_pos = _apply_pauses(cal, pauses, start_pos, due_pos, pause_steps if explain else None)
        if due_pos != due_pos_before:
            due_at = cal._at(due_pos)

    if not explain:
        return DueDate(due_at=due_at, clock_start=clock_start)

    steps = _trace(
        cal, received_at, rule, channel, reason, us, clock_start, nominal_due, due_at, rollover, pause_steps
    )
    return DueDate(due_at=due_at, clock_start=clock_start, steps=tuple(steps))


def _start_reason(cal: WorkingCalendar, i: int, us: int, rule: DeadlineRule, channel: str) -> str:
    """Why the clock starts on the next working day D′ rather than on the day of receipt D ("" when
    it starts on D) — docs/rules.md, "Timing" T12; Decree 61/2018 art. 18–19."""
    if not cal._work[i]:
        return "non_working_day"
    outside = us < cal._open_us or us >= cal._close_us
    if channel == "online" and rule.online_outside_hours_next_day and outside:
        return "online_outside_hours"
    if us >= cal._close_us:
        return "after_close"
    c = rule.cutoff
    if c is not None and us > ((c.hour * 60 + c.minute) * 60 + c.second) * 1_000_000 + c.microsecond:
        return "after_cutoff"
    return ""


def _calendar_days_due(
    cal: WorkingCalendar, day: int, n: int, explain: bool,
) -> tuple[datetime, int, tuple[date, date, str] | None]:
    """Calendar days — Civil Code 2015 art. 147 (D + N) and art. 148 (a last day that is not a
    working day rolls to the next working day): the due time, its timeline position and, when
    explaining, the roll-over (last day, working day, why)."""
    target = day + n
    if target >= cal._n:
        raise cal._missing(cal._base + target)
    rollover = None
    if cal._work[target]:
        due_idx = target
    else:
        due_idx = cal._next_working_index(target)
        if explain:
            t_date = date.fromordinal(cal._base + target)
            rollover = (t_date, date.fromordinal(cal._base + due_idx), cal.closed_reason(t_date) or "")
    return cal._closing_i(due_idx), (cal._cumw[due_idx] + 1) * cal._day_us, rollover


def _clock_start(cal: WorkingCalendar, received_at: datetime, i: int, us: int) -> datetime:
    """The clock start on the day of receipt: the receipt itself in office hours, the opening
    before it, the next shift after a lunch break."""
    if any(a <= us < b for a, b in cal._shifts_us):
        return received_at.astimezone(cal.tz)
    if us < cal._open_us:
        return cal._opening_i(i)
    return cal._make(i, next(a for a, _b in cal._shifts_us if a > us))


def _apply_pauses(
    cal: WorkingCalendar,
    pauses: Sequence[Pause],
    start_pos: int,
    due_pos: int,
    steps: list[TraceStep] | None,
) -> int:
    """Stop the clock during each pause (Decree 61/2018 art. 19 / Decree 118/2025: the time the
    citizen takes to supplement or to pay is not counted against the agency).

    Works on working-timeline positions: a pause covering positions [s, e) that starts before the
    moving due time moves the due time by e − s. A pause that starts after the due time has passed
    does not rescue a dossier that is already late; the part of a pause before the clock started is
    ignored. Overlapping pauses are merged so no minute is counted twice.
    """
    intervals: list[tuple[int, int, Pause]] = []
    for p in pauses:
        if p.end is None:
            raise DomainError(
                "Hồ sơ đang tạm dừng: chưa thể tính hạn khi chưa biết thời điểm tiếp tục. "
                "(A pause that has not ended has no due time yet.)"
            )
        if p.end < p.start:
            raise DomainError(
                f"Khoảng tạm dừng không hợp lệ: kết thúc {p.end.isoformat()} trước khi bắt đầu "
                f"{p.start.isoformat()}. (A pause cannot end before it starts.)"
            )
        intervals.append((cal._pos(p.start), cal._pos(p.end), p))
    intervals.sort(key=lambda x: (x[0], x[1]))
    covered_until = start_pos
    for s, e, p in intervals:
        s = max(s, covered_until)
        if e <= s:
            continue
        if s >= due_pos:
            if steps is not None:
                steps.append(TraceStep(TraceKind.PAUSE, {
                    "start": p.start, "end": p.end, "minutes": 0, "reason": p.reason, "ignored": True,
                }))
            continue
        due_pos += e - s
        covered_until = e
        if steps is not None:
            steps.append(TraceStep(TraceKind.PAUSE, {
                "start": p.start, "end": p.end, "minutes": (e - s) // _US_PER_MINUTE, "reason": p.reason,
            }))
    return due_pos


def _trace(
    cal: WorkingCalendar,
    received_at: datetime,
    rule: DeadlineRule,
    channel: str,
    reason: str,
    us: int,
    clock_start: datetime,
    nominal_due: datetime,
    due_at: datetime,
    rollover: tuple[date, date, str] | None,
    pause_steps: list[TraceStep],
) -> list[TraceStep]:
    local_received = received_at.astimezone(cal.tz)
    received_day = local_received.date()
    steps: list[TraceStep] = [TraceStep(TraceKind.RECEIVED, {"at": local_received, "channel": channel})]
    why_start = _start_step(cal, rule, reason, us, received_day, clock_start)
    if why_start is not None:
        steps.append(why_start)
    if clock_start.date() > received_day + timedelta(days=1):
        # Days closed between the receipt and D′ (why the clock starts so late).
        one = timedelta(days=1)
        gap = cal.closed_days_between(received_day + one, clock_start.date() - one)
        for d, why in gap:
            steps.append(TraceStep(TraceKind.SKIPPED_DAY, {"date": d, "reason": why}))
    steps.append(TraceStep(TraceKind.CLOCK_START, {"at": clock_start}))
    steps.append(TraceStep(TraceKind.LIMIT, {
        "amount": rule.limit, "unit": rule.unit, "legal_basis": rule.legal_basis,
        "minutes": rule.limit_minutes,
    }))
    start_day = clock_start.date()
    due_day = nominal_due.astimezone(cal.tz).date()
    if rule.unit is LimitUnit.CALENDAR_DAYS:
        steps.append(TraceStep(TraceKind.CALENDAR_COUNT, {
            "from": start_day, "days": int(rule.limit),
            "to": rollover[0] if rollover else due_day,
        }))
        if rollover is not None:
            steps.append(TraceStep(TraceKind.CALENDAR_ROLLOVER, {
                "from": rollover[0], "to": rollover[1], "reason": rollover[2],
            }))
    else:
        steps.extend(_day_steps(cal, rule, start_day, due_day))
    if pause_steps:
        # Days are listed up to the due time the limit gives; the pauses then move it.
        steps.append(TraceStep(TraceKind.NOMINAL_DUE, {"at": nominal_due}))
        steps.extend(pause_steps)
    steps.append(TraceStep(TraceKind.DUE, {"at": due_at}))
    return steps


def _start_step(
    cal: WorkingCalendar, rule: DeadlineRule, reason: str, us: int, received_day: date, clock_start: datetime,
) -> TraceStep | None:
    """Why the clock does not start at the moment of receipt (None when it does)."""
    if reason == "non_working_day":
        return TraceStep(TraceKind.NON_WORKING_DAY, {
            "date": received_day, "reason": cal.closed_reason(received_day) or "",
        })
    if reason == "online_outside_hours":
        return TraceStep(TraceKind.ONLINE_OUTSIDE_HOURS, {
            "opening": cal.hours.opening, "closing": cal.hours.closing,
        })
    if reason == "after_close":
        return TraceStep(TraceKind.AFTER_CLOSE, {"closing": cal.hours.closing})
    if reason == "after_cutoff":
        return TraceStep(TraceKind.AFTER_CUTOFF, {"cutoff": rule.cutoff})
    if us < cal._open_us:
        return TraceStep(TraceKind.BEFORE_OPEN, {"opening": clock_start})
    if not any(a <= us < b for a, b in cal._shifts_us):
        return TraceStep(TraceKind.LUNCH, {"resume": clock_start})
    return None


def _day_steps(cal: WorkingCalendar, rule: DeadlineRule, start_day: date, due_day: date) -> list[TraceStep]:
    """The days from the clock start to the due day: each skipped day with its reason, each working
    Saturday, and (for a working-day limit) each counted day; a fractional limit counts its whole
    days, then names the day its fraction falls on."""
    steps: list[TraceStep] = []
    count_days = rule.unit is LimitUnit.WORKING_DAYS and rule.limit_minutes is None
    fraction = rule.fraction_minutes(cal.minutes_per_day)
    n = 0
    d = start_day + timedelta(days=1)
    last_day = due_day - timedelta(days=1) if fraction else due_day
    while d <= last_day:
        closed_why = cal.closed_reason(d)
        if closed_why is not None:
            steps.append(TraceStep(TraceKind.SKIPPED_DAY, {"date": d, "reason": closed_why}))
        else:
            n += 1
            weekend_why = cal.working_weekend_reason(d)
            if weekend_why is not None:
                steps.append(TraceStep(TraceKind.WORKING_SATURDAY, {
                    "date": d, "n": n if count_days else None, "reason": weekend_why,
                }))
            elif count_days:
                steps.append(TraceStep(TraceKind.COUNT_DAY, {"date": d, "n": n}))
        d += timedelta(days=1)
    if fraction:
        steps.append(TraceStep(TraceKind.FRACTION_DAY, {"date": due_day, "minutes": fraction}))
    return steps
