"""The working calendar: which days are working days, and when the office is open.

Legal basis
-----------
* Labour Code 2019 (Bộ luật Lao động 45/2019/QH14) art. 112: public holidays — 1/1, five days of
  lunar Tết, Hùng Kings' day (10/3 lunar), 30/4, 1/5, 2/9 plus one adjacent day (and the days later
  laws add, e.g. Vietnam Cultural Day 24/11 from 2026). A holiday falling on a weekly rest day gives a
  make-up day off (nghỉ bù); the Government may also *swap* a working day to a Saturday so that a
  bridge day can be taken off (e.g. Saturday 2024-05-04 worked, Monday 2024-04-29 off).
* Civil Code 2015 art. 147–148: a period in days starts the day after the event and ends at the end
  of its last day; a last day that is not a working day rolls to the next working day.
* Decree 61/2018/NĐ-CP art. 18–19 (as amended by Decree 107/2021/NĐ-CP; replaced from 2025-07-01 by
  Decree 118/2025/NĐ-CP): time limits run in working days from receipt of a complete dossier.

The calendar is *data*: the national part comes from the ``holidays`` package's Vietnam calendar
(lunar dates, make-up days, working Saturdays, each citing its decree), and an admin-editable table of
local :class:`CalendarException` rows overrides it.

Implementation
--------------
Everything is precomputed at construction over ``[1 Jan first_year, 31 Dec last_year]``, in arrays
indexed by ``date.toordinal() - ordinal(1 Jan first_year)``:

* ``_work[i]``   1 if day *i* is a working day;
* ``_cumw[i]``   number of working days strictly before day *i* (length n + 1);
* ``_working[k]`` the day index of the *k*-th working day (0-based);
* ``_cummin[i]`` working minutes before day *i* (``_cumw[i] * minutes_per_day``: every working day
  has the same office hours).

Instants are mapped to a *position* on the working timeline — working microseconds since the start of
the calendar — and back, so every operation is a handful of list look-ups and integer arithmetic:
no day-by-day loops (except the ones that must list days, such as :meth:`closed_days_between`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from onestop.domain.errors import CalendarYearMissing, DomainError

__all__ = [
    "DEFAULT_TZ",
    "CalendarException",
    "OfficeHours",
    "WorkingCalendar",
    "calendar_years",
    "lunar_new_year_days",
    "national_holidays",
    "vietnamese_holiday_name",
    "WEEKDAY_NAMES",
    "weekday_name",
]

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Monday first, as date.weekday() counts. The calendar records a weekly rest day under its name (a
# closed day's reason is data); pages say it in the reader's language (onestop/web/sentences.py).
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def weekday_name(d: date) -> str:
    """'Thứ Năm'."""
    return WEEKDAY_NAMES[d.weekday()]


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


# --------------------------------------------------------------------------------------------------
# Office hours
# --------------------------------------------------------------------------------------------------

_SHIFT_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Office shifts on a working day, local wall-clock time *(configurable per agency)*.

    The default (07:30–11:30, 13:30–17:00) is the common schedule of one-stop desks; each agency may
    publish its own (Decree 61/2018 art. 8 as amended / Decree 118/2025: the desk publishes its
    working hours).
    """

    shifts: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))

    def __post_init__(self) -> None:
        if not self.shifts:
            raise DomainError("Giờ làm việc phải có ít nhất một ca. (Office hours need at least one shift.)")
        previous_end: time | None = None
        for start, end in self.shifts:
            for t in (start, end):
                if t.tzinfo is not None or t.second or t.microsecond:
                    raise DomainError(
                        f"Giờ làm việc không hợp lệ: {t.isoformat()} (chỉ dùng giờ:phút, không múi giờ). "
                        "(Office hours must be whole minutes without a time zone.)"
                    )
            if start >= end:
                raise DomainError(
                    f"Ca làm việc {start:%H:%M}-{end:%H:%M}: giờ bắt đầu phải trước giờ kết thúc. "
                    "(A shift must start before it ends.)"
                )
            if previous_end is not None and start < previous_end:
                raise DomainError(
                    f"Ca làm việc {start:%H:%M}-{end:%H:%M} chồng lấn hoặc không theo thứ tự. "
                    "(Shifts must be in order and must not overlap.)"
                )
            previous_end = end

    @classmethod
    def parse(cls, spec: str) -> OfficeHours:
        """Parse ``"07:30-11:30,13:30-17:00"``; raises :class:`DomainError` with a clear message."""
        parts = [p for p in spec.split(",") if p.strip()]
        if not parts:
            raise DomainError(
                f"Giờ làm việc trống: {spec!r}; ví dụ 07:30-11:30,13:30-17:00. "
                "(Empty office hours; expected e.g. 07:30-11:30,13:30-17:00.)"
            )
        shifts: list[tuple[time, time]] = []
        for part in parts:
            m = _SHIFT_RE.match(part)
            if m is None:
                raise DomainError(
                    f"Không hiểu ca làm việc {part.strip()!r}; định dạng HH:MM-HH:MM. "
                    "(Unreadable shift; expected HH:MM-HH:MM.)"
                )
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            try:
                shifts.append((time(h1, m1), time(h2, m2)))
            except ValueError:
                raise DomainError(
                    f"Giờ không hợp lệ trong ca {part.strip()!r}. (Invalid time in shift.)"
                ) from None
        return cls(tuple(shifts))

    @property
    def minutes_per_day(self) -> int:
        return sum(_time_us(b) - _time_us(a) for a, b in self.shifts) // _US_PER_MINUTE

    @property
    def opening(self) -> time:
        return self.shifts[0][0]

    @property
    def closing(self) -> time:
        return self.shifts[-1][1]

    def __str__(self) -> str:
        return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.shifts)


@dataclass(frozen=True, slots=True)
class CalendarException:
    """A local, admin-entered override: ``working=False`` closes a day, ``True`` opens one."""

    on: date
    working: bool
    note: str


# --------------------------------------------------------------------------------------------------
# National holidays (Labour Code 2019 art. 112) from the `holidays` package
# --------------------------------------------------------------------------------------------------

_SUBSTITUTED_RE = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def vietnamese_holiday_name(english: str) -> str:
    """Map the ``holidays`` package's English Vietnam names to the Vietnamese names used on forms."""
    names: list[str] = []
    for part in english.split(";"):
        name = _vi_single(part.strip())
        if name not in names:
            names.append(name)
    return ", ".join(names)


def _vi_single(name: str) -> str:
    observed = name.endswith("(observed)")
    base = name.removesuffix("(observed)").strip()
    if base.startswith("Day off (substituted"):
        m = _SUBSTITUTED_RE.search(base)
        if m:
            mm, dd, yyyy = m.groups()
            return f"Nghỉ bù (hoán đổi ngày làm việc, làm bù ngày {dd}/{mm}/{yyyy})"
        return "Nghỉ bù (hoán đổi ngày làm việc)"
    if "Lunar New Year" in base:
        vi = "Tết Nguyên đán"
    elif base.startswith("Hung Kings"):
        vi = "Giỗ Tổ Hùng Vương"
    elif "Liberation Day" in base or "Reunification Day" in base:
        vi = "Ngày Giải phóng miền Nam, thống nhất đất nước"
    elif "Labor Day" in base or "Labour Day" in base:
        vi = "Ngày Quốc tế Lao động"
    elif base == "National Day":
        vi = "Quốc khánh"
    elif base == "New Year's Day":
        vi = "Tết Dương lịch"
    elif base == "Vietnam Cultural Day":
        vi = "Ngày Văn hóa Việt Nam"
    else:
        vi = base
    # Labour Code 2019 art. 112(3): a holiday on a weekly rest day is made up on the next working day.
    return f"Nghỉ bù {vi}" if observed else vi


def national_holidays(first_year: int, last_year: int) -> tuple[dict[date, str], dict[date, str]]:
    """(closed days → reason, working weekend days → reason) for Vietnam, from ``holidays``.

    Closed days include the make-up days (nghỉ bù) and the swapped bridge days; the working weekend
    days are the Saturdays the Government moved a working day to (``weekend_workdays``), e.g.
    2024-05-04, 2025-04-26, 2026-08-22.
    """

    if first_year > last_year:
        raise DomainError(f"Khoảng năm không hợp lệ: {first_year}–{last_year}. (Invalid year range.)")
    # One year either side so that a swap crossing a year end (day off 2018-12-31 for the working
    # Saturday 2019-01-05) still finds its partner for the reason text.
    cal = holidays.country_holidays("VN", years=range(first_year - 1, last_year + 2), language="en_US")
    closed: dict[date, str] = {}
    worked_for: dict[date, date] = {}
    for day, english in sorted(cal.items()):
        for part in english.split(";"):
            m = _SUBSTITUTED_RE.search(part)
            if m:
                mm, dd, yyyy = (int(g) for g in m.groups())
                worked_for[date(yyyy, mm, dd)] = day
        if first_year <= day.year <= last_year:
            closed[day] = vietnamese_holiday_name(english)
    working_weekend: dict[date, str] = {}
    for day in sorted(cal.weekend_workdays):
        if not first_year <= day.year <= last_year:
            continue
        off = worked_for.get(day)
        if off is not None:
            working_weekend[day] = f"Làm việc bù cho ngày nghỉ {off:%d/%m/%Y} (hoán đổi ngày làm việc)"
        else:
            working_weekend[day] = "Ngày làm việc bù (hoán đổi ngày làm việc)"
    return closed, working_weekend


MIN_YEARS_AHEAD = 5
DEFAULT_FIRST_YEAR = 2015
DEFAULT_YEARS_AHEAD = 6


def calendar_years(
    today: date, first_year: int = DEFAULT_FIRST_YEAR, years_ahead: int = DEFAULT_YEARS_AHEAD
) -> tuple[int, int]:
    """The years a working calendar built ``today`` must cover: from ``first_year`` (the oldest
    dossiers) to 31 December of ``today.year + years_ahead``.

    The project's ruling (docs/rules.md T13): the calendar always covers at least five years past
    today, so ``years_ahead`` is at least 5 — the last day is then at least five
    years away. The default 6 adds up to a year's margin, so that a long limit counted from a date
    five years ahead still ends inside the calendar. Computed from ``today``, never a constant year
    that quietly runs out.
    """
    if years_ahead < MIN_YEARS_AHEAD:
        raise DomainError(
            f"Lịch làm việc phải phủ ít nhất {MIN_YEARS_AHEAD} năm tới (nhận {years_ahead}). "
            f"(The working calendar must cover at least {MIN_YEARS_AHEAD} years ahead.)"
        )
    last_year = today.year + years_ahead
    if first_year > today.year:
        raise DomainError(f"Năm đầu của lịch ({first_year}) sau năm hiện tại. (First year after today.)")
    return first_year, last_year


def lunar_new_year_days(first_year: int, last_year: int) -> dict[int, tuple[date, ...]]:
    """Per year, the days off for Tết Nguyên đán in the national calendar (``holidays``): the five
    days of Labour Code 2019 art. 112(1)(b) and the make-up days the package adds around them.

    Lunar dates are computed by the package; the Government announces each year's exact days
    (often a few more) in the autumn before, so a year not yet announced is an estimate an admin
    confirms or corrects with local exceptions (docs/rules.md T13).
    """
    closed, _ = national_holidays(first_year, last_year)
    out: dict[int, list[date]] = {}
    for day in sorted(closed):
        if "Tết Nguyên đán" in closed[day]:
            out.setdefault(day.year, []).append(day)
    return {year: tuple(days) for year, days in out.items()}


# --------------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------------


def _day_table(base: int, n: int, closed: Mapping[date, str], working_weekend: Mapping[date, str],
               exceptions: Iterable[CalendarException]) -> tuple[bytearray, dict[int, str], dict[int, str]]:
    """Per day of the range (offset from ordinal ``base``): 1 when working, and why a day is closed
    or why a weekend day is worked."""
    # Weekly rest days: Saturday and Sunday for state agencies (Decree 45/2013 art. 1 / Labour
    # Code 2019 art. 111; civil servants work Monday–Friday).
    work = bytearray(n)
    for i in range(n):
        work[i] = 1 if (base + i - 1) % 7 < 5 else 0  # ordinal 1 (0001-01-01) is a Monday
    reason: dict[int, str] = {}
    weekend_reason: dict[int, str] = {}

    def offset(d: date) -> int | None:
        i = d.toordinal() - base
        return i if 0 <= i < n else None

    # Government swaps: a Saturday made a working day (Labour Code 2019 art. 112(3)).
    for d, why in working_weekend.items():
        j = offset(d)
        if j is not None and d.weekday() >= 5:
            work[j] = 1
            weekend_reason[j] = why
    for d, why in closed.items():
        j = offset(d)
        if j is not None:
            work[j] = 0
            reason[j] = why
            weekend_reason.pop(j, None)
    # Local exceptions win over the national calendar.
    for exc in exceptions:
        j = offset(exc.on)
        if j is None:
            continue
        if exc.working:
            work[j] = 1
            reason.pop(j, None)
            if exc.on.weekday() >= 5 or exc.on in closed:
                weekend_reason[j] = exc.note or "Ngày làm việc theo lịch của cơ quan"
        else:
            work[j] = 0
            reason[j] = exc.note or "Ngày nghỉ theo lịch của cơ quan"
            weekend_reason.pop(j, None)
    return work, reason, weekend_reason


def _cumulative(work: bytearray) -> tuple[list[int], list[int]]:
    """Working days before each day of the range (and in all), and the offsets of the working days."""
    n = len(work)
    cumw = [0] * (n + 1)
    working: list[int] = []
    count = 0
    for i in range(n):
        cumw[i] = count
        if work[i]:
            working.append(i)
            count += 1
    cumw[n] = count
    return cumw, working


def _fixed_offset_us(zone: ZoneInfo, base: int, n: int) -> int | None:
    # Fixed-offset fast path: if the zone's UTC offset is constant over the whole range (true for
    # Asia/Ho_Chi_Minh since 1975), local time is UTC + offset, pure integer arithmetic.
    offsets = set()
    for i in range(-1, n + 1):
        day = date.fromordinal(base + i)
        for hour in (0, 12):
            off = zone.utcoffset(datetime(day.year, day.month, day.day, hour))
            offsets.add(off)
        if len(offsets) > 1:
            break
    if len(offsets) == 1:
        (only,) = offsets
        if only is not None:
            return (only.days * 86_400 + only.seconds) * _US_PER_SECOND + only.microseconds
    return None


class WorkingCalendar:
    """Working days and office hours over ``[first_year, last_year]``, precomputed."""

    __slots__ = (
        "_base",
        "_close_dt",
        "_close_us",
        "_cummin",
        "_cumw",
        "_day_us",
        "_first_year",
        "_fixed_us",
        "_hours",
        "_last_year",
        "_mpd",
        "_n",
        "_open_dt",
        "_open_us",
        "_reason",
        "_shifts_us",
        "_tz",
        "_tz_name",
        "_weekend_reason",
        "_work",
        "_working",
    )

    def __init__(
        self,
        first_year: int,
        last_year: int,
        closed: Mapping[date, str],
        working_weekend: Mapping[date, str],
        exceptions: Iterable[CalendarException] = (),
        hours: OfficeHours = OfficeHours(),
        tz: str = DEFAULT_TZ,
    ) -> None:
        if first_year > last_year or first_year < 1900 or last_year > 9998:
            raise DomainError(f"Khoảng năm không hợp lệ: {first_year}–{last_year}. (Invalid year range.)")
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainError(f"Múi giờ không hợp lệ: {tz!r}. (Unknown time zone.)") from None
        self._tz = zone
        self._tz_name = tz
        self._first_year = first_year
        self._last_year = last_year
        self._hours = hours
        self._shifts_us = tuple((_time_us(a), _time_us(b)) for a, b in hours.shifts)
        self._open_us = self._shifts_us[0][0]
        self._close_us = self._shifts_us[-1][1]
        self._mpd = hours.minutes_per_day
        self._day_us = sum(b - a for a, b in self._shifts_us)

        base = date(first_year, 1, 1).toordinal()
        n = date(last_year, 12, 31).toordinal() - base + 1
        self._base = base
        self._n = n

        self._work, self._reason, self._weekend_reason = _day_table(
            base, n, closed, working_weekend, exceptions)
        self._cumw, self._working = _cumulative(self._work)
        self._cummin = [c * self._mpd for c in self._cumw]

        self._fixed_us: int | None = _fixed_offset_us(zone, base, n)
        self._open_dt: list[datetime | None] = [None] * n
        self._close_dt: list[datetime | None] = [None] * n

    @classmethod
    def national(
        cls,
        first_year: int,
        last_year: int,
        exceptions: Iterable[CalendarException] = (),
        hours: OfficeHours = OfficeHours(),
        tz: str = DEFAULT_TZ,
    ) -> WorkingCalendar:
        """The Vietnam national calendar (``holidays`` package) plus local exceptions."""
        closed, working_weekend = national_holidays(first_year, last_year)
        return cls(first_year, last_year, closed, working_weekend, exceptions, hours, tz)

    # ---- properties -------------------------------------------------------------------------------

    @property
    def years(self) -> range:
        return range(self._first_year, self._last_year + 1)

    @property
    def first_day(self) -> date:
        return date.fromordinal(self._base)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self._base + self._n - 1)

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def tz_name(self) -> str:
        return self._tz_name

    @property
    def hours(self) -> OfficeHours:
        return self._hours

    @property
    def minutes_per_day(self) -> int:
        return self._mpd

    # ---- internals shared with deadlines.py (same package) -------------------------------------

    def _missing(self, ordinal: int) -> CalendarYearMissing:
        if ordinal < 1:
            return CalendarYearMissing(1)
        if ordinal > date.max.toordinal():
            return CalendarYearMissing(9999)
        return CalendarYearMissing(date.fromordinal(ordinal).year)

    def _off(self, d: date) -> int:
        i = d.toordinal() - self._base
        if 0 <= i < self._n:
            return i
        raise self._missing(d.toordinal())

    def _local(self, t: datetime) -> tuple[int, int]:
        """(day index, microseconds since local midnight) of an aware instant."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise DomainError(
                f"Thời điểm {t.isoformat()} thiếu múi giờ. (Datetimes must be timezone-aware.)"
            )
        fixed = self._fixed_us
        if fixed is not None:
            delta = t - _EPOCH
            us = (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds + fixed
            day, us_of_day = divmod(us, _US_PER_DAY)
            i = _EPOCH_ORDINAL + day - self._base
        else:
            loc = t.astimezone(self._tz)
            i = loc.toordinal() - self._base
            us_of_day = (
                (loc.hour * 60 + loc.minute) * 60 + loc.second
            ) * _US_PER_SECOND + loc.microsecond
        if 0 <= i < self._n:
            return i, us_of_day
        raise self._missing(i + self._base)

    def _within(self, us_of_day: int) -> int:
        """Office microseconds between local midnight and ``us_of_day`` (on a working day)."""
        acc = 0
        for a, b in self._shifts_us:
            if us_of_day <= a:
                break
            acc += min(us_of_day, b) - a
        return acc

    def _pos(self, t: datetime) -> int:
        """Position of ``t`` on the working timeline (working microseconds since the start)."""
        i, us = self._local(t)
        p = self._cumw[i] * self._day_us
        if self._work[i]:
            p += self._within(us)
        return p

    def _make(self, i: int, us_of_day: int) -> datetime:
        d = date.fromordinal(self._base + i)
        secs, micro = divmod(us_of_day, _US_PER_SECOND)
        mins, sec = divmod(secs, 60)
        hour, minute = divmod(mins, 60)
        return datetime(d.year, d.month, d.day, hour, minute, sec, micro, tzinfo=self._tz)

    def _at(self, pos: int) -> datetime:
        """The earliest instant whose position is ``pos`` (pos > 0): lands on a closing, not the
        next morning's opening, when ``pos`` is a whole number of working days."""
        day_us = self._day_us
        k = (pos - 1) // day_us if pos > 0 else 0
        r = pos - k * day_us
        working = self._working
        if k >= len(working):
            raise CalendarYearMissing(self._last_year + 1)
        i = working[k]
        for a, b in self._shifts_us:
            length = b - a
            if r <= length:
                if r == length and b == self._close_us:
                    return self._closing_i(i)
                return self._make(i, a + r)
            r -= length
        return self._closing_i(i)  # pragma: no cover - r <= day_us always ends inside the loop

    def _opening_i(self, i: int) -> datetime:
        dt = self._open_dt[i]
        if dt is None:
            dt = self._open_dt[i] = self._make(i, self._open_us)
        return dt

    def _closing_i(self, i: int) -> datetime:
        dt = self._close_dt[i]
        if dt is None:
            dt = self._close_dt[i] = self._make(i, self._close_us)
        return dt

    def _next_working_index(self, i: int) -> int:
        """Day index of the first working day strictly after day index ``i``."""
        k = self._cumw[i + 1]
        if k >= len(self._working):
            raise CalendarYearMissing(self._last_year + 1)
        return self._working[k]

    def _nth_working_index(self, k: int) -> int:
        if k >= len(self._working):
            raise CalendarYearMissing(self._last_year + 1)
        return self._working[k]

    # ---- days --------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        return bool(self._work[self._off(d)])

    def closed_reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day ('Thứ Bảy', 'Chủ nhật', holiday, exception note), or None."""
        i = self._off(d)
        if self._work[i]:
            return None
        why = self._reason.get(i)
        if why is not None:
            return why
        return weekday_name(d)

    def working_weekend_reason(self, d: date) -> str | None:
        """Why a Saturday/Sunday (or holiday opened by an exception) is a working day, or None."""
        i = self._off(d)
        if not self._work[i]:
            return None
        return self._weekend_reason.get(i)

    def next_working_day(self, d: date, include_self: bool = False) -> date:
        i = self._off(d)
        if include_self and self._work[i]:
            return d
        return date.fromordinal(self._base + self._next_working_index(i))

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day strictly after ``d`` (``n`` ≥ 1; ``d`` may be a non-working day)."""
        if n < 1:
            raise DomainError(f"Số ngày làm việc phải ≥ 1 (nhận {n}). (n must be at least 1.)")
        i = self._off(d)
        return date.fromordinal(self._base + self._nth_working_index(self._cumw[i + 1] + n - 1))

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d <= b`` (negative if ``b < a``), so that
        ``working_days_between(d, add_working_days(d, n)) == n``."""
        i, j = self._off(a), self._off(b)
        return self._cumw[j + 1] - self._cumw[i + 1]

    def closed_days_between(self, a: date, b: date) -> list[tuple[date, str]]:
        """Non-working days in ``[a, b]`` with their reason (for explanations)."""
        i, j = self._off(a), self._off(b)
        out: list[tuple[date, str]] = []
        work = self._work
        for k in range(i, j + 1):
            if not work[k]:
                d = date.fromordinal(self._base + k)
                out.append((d, self._reason.get(k) or weekday_name(d)))
        return out

    # ---- instants ------------------------------------------------------------------------------

    def opening(self, d: date) -> datetime:
        return self._opening_i(self._off(d))

    def closing(self, d: date) -> datetime:
        return self._closing_i(self._off(d))

    def local_date(self, t: datetime) -> date:
        """The calendar-local date of an aware instant."""
        i, _ = self._local(t)
        return date.fromordinal(self._base + i)

    def is_office_time(self, t: datetime) -> bool:
        """True if ``t`` falls inside a shift on a working day."""
        i, us = self._local(t)
        if not self._work[i]:
            return False
        return any(a <= us < b for a, b in self._shifts_us)

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Signed office-hours minutes on working days between two aware instants (truncated)."""
        diff = self._pos(b) - self._pos(a)
        if diff >= 0:
            return diff // _US_PER_MINUTE
        return -((-diff) // _US_PER_MINUTE)

    def add_working_minutes(self, t: datetime, minutes: int) -> datetime:
        """The earliest instant at which ``minutes`` (≥ 0) office minutes have elapsed since ``t``.

        Adding a whole day's minutes from a closing lands on the next closing, not on the opening of
        the day after. ``minutes == 0`` returns ``t`` converted to the calendar's zone.
        """
        if minutes < 0:
            raise DomainError(f"Số phút phải ≥ 0 (nhận {minutes}). (minutes must be non-negative.)")
        if minutes == 0:
            self._local(t)  # range and awareness check
            return t.astimezone(self._tz)
        return self._at(self._pos(t) + minutes * _US_PER_MINUTE)

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self._first_year}–{self._last_year}, hours={self._hours}, "
            f"tz={self._tz_name!r}, working_days={len(self._working)})"
        )

