"""The working calendar's range and the national entries the `holidays` package records
(docs/domain.md §8: at least five years past today; 24/11 Culture Day from 2026; unannounced Tết)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from onestop.domain.calendar import WorkingCalendar, calendar_years, lunar_new_year_days
from onestop.domain.deadlines import DeadlineRule, LimitUnit, compute_due
from onestop.domain.errors import DomainError

ICT = timezone(timedelta(hours=7))


def test_calendar_years_run_at_least_five_years_past_today() -> None:
    assert calendar_years(date(2026, 11, 29)) == (2015, 2032)
    assert calendar_years(date(2031, 1, 2)) == (2015, 2037)  # moves with today, not a constant
    _, last = calendar_years(date(2026, 12, 31), years_ahead=5)
    assert date(last, 12, 31) >= date(2031, 12, 31)
    with pytest.raises(DomainError):
        calendar_years(date(2026, 11, 29), years_ahead=4)  # §8: never less than five years


def test_fifteen_working_days_from_20_december_2030_end_in_january_2031() -> None:
    cal = WorkingCalendar.national(*calendar_years(date(2026, 11, 29)))
    due = compute_due(datetime(2030, 12, 20, 9, 0, tzinfo=ICT),
                      DeadlineRule(Decimal(15), LimitUnit.WORKING_DAYS),
                      cal)
    # 23/12 … 31/12 (7 days), 1/1/2031 New Year's Day skipped, 2/1 … 13/1 (8 days).
    assert due.due_at == datetime(2031, 1, 13, 17, 0, tzinfo=ICT)


def test_culture_day_24_november_is_a_holiday_from_2026() -> None:
    cal = WorkingCalendar.national(2025, 2030)
    assert cal.is_working_day(date(2025, 11, 24))  # a Monday before the holiday existed
    assert cal.closed_reason(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam"  # Tuesday
    assert not cal.is_working_day(date(2027, 11, 24))  # Wednesday
    # On a weekend it is made up on the next Monday (Labour Code 2019 art. 112(3)).
    assert cal.closed_reason(date(2029, 11, 26)) == "Nghỉ bù Ngày Văn hóa Việt Nam"
    assert cal.closed_reason(date(2030, 11, 25)) == "Nghỉ bù Ngày Văn hóa Việt Nam"
    assert cal.is_working_day(date(2029, 11, 27))


def test_lunar_new_year_days_per_year_from_the_holidays_package() -> None:
    days = lunar_new_year_days(2026, 2027)
    assert days[2026] == tuple(date(2026, 2, d) for d in range(16, 21))  # Mon 16 … Fri 20 February
    # 2027: Tết (6/2) on a Saturday — eve and 29 Tết before it, days 3–5 after it (make-ups).
    assert days[2027][0] == date(2027, 2, 4) and days[2027][-1] == date(2027, 2, 10)
    assert set(days) == {2026, 2027}
