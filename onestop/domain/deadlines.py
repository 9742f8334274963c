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

from onestop.domain.calendar import WorkingCalendar, weekday_name
from onestop.domain.errors import DomainError, InvalidDeadlineRule

__all__ = [
    "DeadlineRule",
    "DueDate",
    "LimitUnit",
    "Pause",
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


_UNIT_VI = {
    LimitUnit.WORKING_DAYS: "ngày làm việc",
    LimitUnit.WORKING_HOURS: "giờ làm việc",
    LimitUnit.CALENDAR_DAYS: "ngày (theo lịch)",
}
_UNIT_EN = {
    LimitUnit.WORKING_DAYS: ("working day", "working days"),
    LimitUnit.WORKING_HOURS: ("working hour", "working hours"),
    LimitUnit.CALENDAR_DAYS: ("calendar day", "calendar days"),
}


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


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One line of the "why this date" trace: a kind and its parameters (dates, times, numbers)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DueDate:
    due_at: datetime
    clock_start: datetime
    steps: tuple[TraceStep, ...] = ()

    def explain(self, locale: str = "vi") -> list[str]:
        """Human-readable lines (Vietnamese by default, English for ``locale='en…'``)."""
        return _render(self.steps, en=locale.lower().startswith("en"))


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
    work = cal._work
    open_us = cal._open_us
    close_us = cal._close_us
    cutoff_us = None
    if rule.cutoff is not None:
        c = rule.cutoff
        cutoff_us = ((c.hour * 60 + c.minute) * 60 + c.second) * 1_000_000 + c.microsecond

    # Decide D (same day) or D′ (next working day) — docs/rules.md, "Timing" T12; Decree 61/2018 art. 18–19.
    reason: str
    if not work[i]:
        reason = "non_working_day"
    elif channel == "online" and rule.online_outside_hours_next_day and (us < open_us or us >= close_us):
        reason = "online_outside_hours"
    elif us >= close_us:
        reason = "after_close"
    elif cutoff_us is not None and us > cutoff_us:
        reason = "after_cutoff"
    else:
        reason = ""
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
        # Calendar days — Civil Code 2015 art. 147 (D + N) and art. 148 (roll to a working day).
        target = day + int(rule.limit)
        if target >= cal._n:
            raise cal._missing(cal._base + target)
        if work[target]:
            due_idx = target
        else:
            due_idx = cal._next_working_index(target)
            if explain:
                t_date = date.fromordinal(cal._base + target)
                rollover = (t_date, date.fromordinal(cal._base + due_idx), cal.closed_reason(t_date) or "")
        due_at = cal._closing_i(due_idx)
        due_pos = (cal._cumw[due_idx] + 1) * cal._day_us

    clock_start: datetime
    if same_day:
        if any(a <= us < b for a, b in cal._shifts_us):
            clock_start = received_at.astimezone(cal.tz)
        elif us < open_us:
            clock_start = cal._opening_i(i)  # before opening: counts from the opening of D
        else:
            # Lunch break (between shifts): counts from the next shift start that day.
            clock_start = cal._make(i, next(a for a, _b in cal._shifts_us if a > us))
    else:
        clock_start = cal._opening_i(day)
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
                steps.append(TraceStep("pause", {
                    "start": p.start, "end": p.end, "minutes": 0, "reason": p.reason, "ignored": True,
                }))
            continue
        due_pos += e - s
        covered_until = e
        if steps is not None:
            steps.append(TraceStep("pause", {
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
    tz = cal.tz
    local_received = received_at.astimezone(tz)
    received_day = local_received.date()
    steps: list[TraceStep] = [TraceStep("received", {"at": local_received, "channel": channel})]
    if reason == "non_working_day":
        steps.append(TraceStep("non_working_day", {
            "date": received_day, "reason": cal.closed_reason(received_day) or "",
        }))
    elif reason == "online_outside_hours":
        steps.append(TraceStep("online_outside_hours", {
            "opening": cal.hours.opening, "closing": cal.hours.closing,
        }))
    elif reason == "after_close":
        steps.append(TraceStep("after_close", {"closing": cal.hours.closing}))
    elif reason == "after_cutoff":
        steps.append(TraceStep("after_cutoff", {"cutoff": rule.cutoff}))
    elif us < cal._open_us:
        steps.append(TraceStep("before_open", {"opening": clock_start}))
    elif not any(a <= us < b for a, b in cal._shifts_us):
        steps.append(TraceStep("lunch", {"resume": clock_start}))
    if clock_start.date() > received_day + timedelta(days=1):
        # Days closed between the receipt and D′ (why the clock starts so late).
        one = timedelta(days=1)
        gap = cal.closed_days_between(received_day + one, clock_start.date() - one)
        for d, why in gap:
            steps.append(TraceStep("skipped_day", {"date": d, "reason": why}))
    steps.append(TraceStep("clock_start", {"at": clock_start}))
    minutes = rule.limit_minutes
    fraction = rule.fraction_minutes(cal.minutes_per_day)
    steps.append(TraceStep("limit", {
        "amount": rule.limit, "unit": rule.unit, "legal_basis": rule.legal_basis, "minutes": minutes,
    }))

    start_day = clock_start.date()
    due_day = nominal_due.astimezone(tz).date()
    if rule.unit is LimitUnit.CALENDAR_DAYS:
        steps.append(TraceStep("calendar_count", {
            "from": start_day, "days": int(rule.limit),
            "to": rollover[0] if rollover else due_day,
        }))
        if rollover is not None:
            steps.append(TraceStep("calendar_rollover", {
                "from": rollover[0], "to": rollover[1], "reason": rollover[2],
            }))
    else:
        count_days = rule.unit is LimitUnit.WORKING_DAYS and minutes is None
        n = 0
        d = start_day + timedelta(days=1)
        # A fractional limit counts its whole days, then names the day its fraction falls on.
        last_day = due_day - timedelta(days=1) if fraction else due_day
        while d <= last_day:
            closed_why = cal.closed_reason(d)
            if closed_why is not None:
                steps.append(TraceStep("skipped_day", {"date": d, "reason": closed_why}))
            else:
                n += 1
                weekend_why = cal.working_weekend_reason(d)
                if weekend_why is not None:
                    steps.append(TraceStep("working_saturday", {
                        "date": d, "n": n if count_days else None, "reason": weekend_why,
                    }))
                elif count_days:
                    steps.append(TraceStep("count_day", {"date": d, "n": n}))
            d += timedelta(days=1)
        if fraction:
            steps.append(TraceStep("fraction_day", {"date": due_day, "minutes": fraction}))
    if pause_steps:
        # Days are listed up to the due time the limit gives; the pauses then move it.
        steps.append(TraceStep("nominal_due", {"at": nominal_due}))
        steps.extend(pause_steps)
    steps.append(TraceStep("due", {"at": due_at}))
    return steps


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _d(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def _dt(t: datetime) -> str:
    return f"{t:%d/%m/%Y %H:%M}"


def _num(x: Decimal, en: bool) -> str:
    text = format(x.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if en else text.replace(".", ",")


def _duration(minutes: int, en: bool) -> str:
    h, m = divmod(minutes, 60)
    if en:
        if m and h:
            return f"{h} h {m} min"
        return f"{m} min" if m else f"{h} h"
    if m and h:
        return f"{h} giờ {m} phút"
    return f"{m} phút" if m else f"{h} giờ"


_CHANNEL_VI = {"online": "trực tuyến", "postal": "qua bưu chính công ích", "direct": "trực tiếp"}


def _render(steps: Sequence[TraceStep], *, en: bool) -> list[str]:
    lines: list[str] = []
    loc = "en" if en else "vi"
    idx = 0
    while idx < len(steps):
        step = steps[idx]
        p = step.params
        kind = step.kind
        if kind == "received":
            at: datetime = p["at"]
            channel = str(p.get("channel", "direct"))
            if en:
                extra = f", {channel}" if channel != "direct" else ""
                lines.append(f"Received: {_dt(at)} ({weekday_name(at.date(), loc)}){extra}")
            else:
                extra = f", {_CHANNEL_VI.get(channel, channel)}" if channel != "direct" else ""
                lines.append(f"Tiếp nhận: {_dt(at)} ({weekday_name(at.date(), loc)}){extra}")
        elif kind == "before_open":
            t = f"{p['opening']:%H:%M}"
            lines.append(
                f"Received before opening: counted from {t} the same day" if en
                else f"Tiếp nhận trước giờ làm việc: tính từ {t} cùng ngày"
            )
        elif kind == "lunch":
            t = f"{p['resume']:%H:%M}"
            lines.append(
                f"Received during the lunch break: counted from {t} the same day" if en
                else f"Tiếp nhận trong giờ nghỉ trưa: tính từ {t} cùng ngày"
            )
        elif kind == "after_close":
            t = f"{p['closing']:%H:%M}"
            lines.append(
                f"Received after closing ({t}): counted from the next working day" if en
                else f"Tiếp nhận sau giờ làm việc ({t}): tính từ ngày làm việc tiếp theo"
            )
        elif kind == "after_cutoff":
            t = f"{p['cutoff']:%H:%M}"
            lines.append(
                f"Received after the {t} cut-off: counted from the next working day" if en
                else f"Tiếp nhận sau {t} (giờ chốt của thủ tục): tính từ ngày làm việc tiếp theo"
            )
        elif kind == "online_outside_hours":
            lines.append(
                "Filed online outside office hours: counted from the next working day" if en
                else "Nộp trực tuyến ngoài giờ làm việc: tính từ ngày làm việc tiếp theo"
            )
        elif kind == "non_working_day":
            d: date = p["date"]
            lines.append(
                f"{_d(d)} is not a working day ({_reason_text(d, str(p['reason']), en)}): counted from the "
                "next working day" if en
                else f"{_d(d)} là ngày nghỉ ({p['reason']}): tính từ ngày làm việc tiếp theo"
            )
        elif kind == "clock_start":
            at = p["at"]
            lines.append(
                f"Clock starts: {_dt(at)} ({weekday_name(at.date(), loc)})" if en
                else f"Bắt đầu tính: {_dt(at)} ({weekday_name(at.date(), loc)})"
            )
        elif kind == "limit":
            lines.append(_render_limit(p, en))
        elif kind in ("count_day", "working_saturday", "skipped_day"):
            run_end = idx
            while run_end + 1 < len(steps) and _run_kind(steps[run_end + 1]) == _run_kind(step):
                run_end += 1
            run = steps[idx : run_end + 1]
            lines.extend(_render_run(run, en))
            idx = run_end
        elif kind == "calendar_count":
            lines.append(
                f"Calendar days: {_d(p['from'])} + {p['days']} days = {_d(p['to'])} "
                "(Civil Code 2015 art. 147)" if en
                else f"Tính theo ngày: {_d(p['from'])} + {p['days']} ngày = {_d(p['to'])} "
                "(Bộ luật Dân sự 2015, Điều 147)"
            )
        elif kind == "calendar_rollover":
            lines.append(
                f"Last day {_d(p['from'])} is not a working day ({p['reason']}): moved to the next working "
                f"day {_d(p['to'])} (Civil Code 2015 art. 148)" if en
                else f"Ngày cuối {_d(p['from'])} là ngày nghỉ ({p['reason']}): chuyển sang ngày làm việc "
                f"tiếp theo {_d(p['to'])} (Bộ luật Dân sự 2015, Điều 148)"
            )
        elif kind == "pause":
            reason = str(p.get("reason") or "")
            end = p["end"]
            if p.get("ignored"):
                lines.append(
                    f"Pause {_dt(p['start'])} → {_dt(end)} started after the deadline: not counted" if en
                    else f"Tạm dừng {_dt(p['start'])} → {_dt(end)} bắt đầu sau hạn: không được tính"
                )
            elif en:
                why = f", reason: {reason}" if reason else ""
                span = f"{_dt(p['start'])} → {_dt(end)}"
                lines.append(f"Paused: {span} ({_duration(p['minutes'], en)} of office time){why}")
            else:
                why = f", lý do: {reason}" if reason else ""
                lines.append(
                    f"Tạm dừng: {_dt(p['start'])} → {_dt(end)} ({_duration(p['minutes'], en)} làm việc){why}"
                )
        elif kind == "fraction_day":
            lines.append(
                f"Then {_duration(int(p['minutes']), en)} of office time on {_d(p['date'])} "
                "(the fraction of a working day)" if en
                else f"Tiếp theo {_duration(int(p['minutes']), en)} làm việc của ngày {_d(p['date'])} "
                "(phần lẻ của ngày làm việc)"
            )
        elif kind == "nominal_due":
            lines.append(
                f"Due without pauses: {_dt(p['at'])}" if en
                else f"Hạn nếu không tạm dừng: {_dt(p['at'])}"
            )
        elif kind == "due":
            lines.append(f"Due: {_dt(p['at'])}" if en else f"Hạn trả kết quả: {_dt(p['at'])}")
        idx += 1
    return lines


def _render_limit(p: Mapping[str, Any], en: bool) -> str:
    amount: Decimal = p["amount"]
    unit = LimitUnit(p["unit"])
    basis = str(p.get("legal_basis") or "")
    minutes = p.get("minutes")
    converted = ""
    if unit is LimitUnit.WORKING_DAYS and minutes is not None:
        converted = (
            f" = {_duration(int(minutes), en)} of office time" if en
            else f" = {_duration(int(minutes), en)} làm việc"
        )
    if en:
        one, many = _UNIT_EN[unit]
        if amount == 0 and unit is LimitUnit.WORKING_DAYS:
            text = "Time limit: same day (the result is due the day the clock starts)"
        else:
            text = f"Time limit: {_num(amount, en)} {one if amount == 1 else many}{converted}"
        return text + (f" (basis: {basis})" if basis else "")
    if amount == 0 and unit is LimitUnit.WORKING_DAYS:
        text = "Thời hạn: trả trong ngày (kết quả trả trong ngày bắt đầu tính thời hạn)"
    else:
        text = f"Thời hạn: {_num(amount, en)} {_UNIT_VI[unit]}{converted}"
    return text + (f" (căn cứ {basis})" if basis else "")


def _reason_text(d: date, reason: str, en: bool) -> str:
    """Holiday names stay Vietnamese (they are data); the weekly rest day is translated."""
    if en and reason == weekday_name(d, "vi"):
        return weekday_name(d, "en")
    return reason


def _run_kind(step: TraceStep) -> str:
    if step.kind == "skipped_day":
        return "skip"
    if step.kind == "count_day" or (step.kind == "working_saturday" and step.params.get("n") is not None):
        return "count" if step.kind == "count_day" else "saturday"
    return step.kind


def _render_run(run: Sequence[TraceStep], en: bool) -> list[str]:
    first = run[0]
    if first.kind == "skipped_day":
        days: list[tuple[date, str]] = [
            (s.params["date"], _reason_text(s.params["date"], str(s.params["reason"]), en)) for s in run
        ]
        # Group consecutive days sharing a reason: "Tết Nguyên đán (16/02–20/02)".
        groups: list[tuple[date, date, str]] = []
        for d, why in days:
            if groups and groups[-1][2] == why and groups[-1][1] + timedelta(days=1) == d:
                groups[-1] = (groups[-1][0], d, why)
            else:
                groups.append((d, d, why))
        if len(days) == 1:
            return [f"{'Skipped' if en else 'Bỏ qua'} {_d(days[0][0])}: {days[0][1]}"]
        parts = []
        for a, b, why in groups:
            span = f"{a:%d/%m}" if a == b else f"{a:%d/%m}–{b:%d/%m}"
            parts.append(f"{why} ({span})")
        span_all = _d(days[0][0]) if len(days) == 1 else f"{_d(days[0][0])} – {_d(days[-1][0])}"
        return [f"{'Skipped' if en else 'Bỏ qua'} {span_all}: {', '.join(parts)}"]
    lines: list[str] = []
    if first.kind == "working_saturday":
        loc = "en" if en else "vi"
        for s in run:
            d = s.params["date"]
            n = s.params.get("n")
            why = s.params["reason"]
            if en:
                counted = f" — counted (working day {n})" if n is not None else ""
                lines.append(f"{_d(d)} ({weekday_name(d, loc)}) is a working day: {why}{counted}")
            else:
                counted = f" — được tính (ngày làm việc thứ {n})" if n is not None else ""
                lines.append(f"{_d(d)} ({weekday_name(d, loc)}) là ngày làm việc: {why}{counted}")
        return lines
    # count_day run
    n1, n2 = run[0].params["n"], run[-1].params["n"]
    d1, d2 = run[0].params["date"], run[-1].params["date"]
    if en:
        if n1 == n2:
            return [f"Working day {n1}: {_d(d1)}"]
        return [f"Working days {n1}–{n2}: {_d(d1)} – {_d(d2)}"]
    if n1 == n2:
        return [f"Ngày làm việc thứ {n1}: {_d(d1)}"]
    return [f"Ngày làm việc thứ {n1}–{n2}: {_d(d1)} – {_d(d2)}"]
