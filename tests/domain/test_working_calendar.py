"""WorkingCalendar: Labour Code 2019 art. 112 holidays, make-up days, swapped Saturdays, office hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from onestop.domain.calendar import (
    CalendarException,
    OfficeHours,
    WorkingCalendar,
    national_holidays,
    vietnamese_holiday_name,
)
from onestop.domain.errors import CalendarYearMissing, DomainError

ICT = timezone(timedelta(hours=7))
CAL = WorkingCalendar.national(2024, 2026)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ICT)


# ---- office hours -----------------------------------------------------------------------------


def test_default_office_hours_are_seven_and_a_half_hours() -> None:
    assert OfficeHours().minutes_per_day == 450
    assert str(OfficeHours()) == "07:30-11:30,13:30-17:00"


def test_office_hours_parse_round_trip() -> None:
    hours = OfficeHours.parse(" 08:00-12:00 , 13:00-17:30 ")
    assert hours.shifts == ((time(8), time(12)), (time(13), time(17, 30)))
    assert hours.minutes_per_day == 510


@pytest.mark.parametrize(
    "spec",
    ["", "8-12", "08:00-12:00,11:00-17:00", "13:00-17:00,08:00-12:00", "12:00-08:00", "25:00-26:00"],
)
def test_office_hours_parse_rejects_bad_specs(spec: str) -> None:
    with pytest.raises(DomainError):
        OfficeHours.parse(spec)


# ---- national days -----------------------------------------------------------------------------


def test_tet_2025_closes_27_january_to_2_february() -> None:
    for d in range(27, 32):
        assert CAL.closed_reason(date(2025, 1, d)) == "Tết Nguyên đán"
    assert CAL.closed_reason(date(2025, 2, 1)) == "Tết Nguyên đán"  # a Saturday, still Tết
    assert CAL.closed_reason(date(2025, 2, 2)) == "Chủ nhật"
    assert CAL.is_working_day(date(2025, 1, 24))
    assert CAL.next_working_day(date(2025, 1, 24)) == date(2025, 2, 3)


def test_tet_2026_closes_14_to_22_february() -> None:
    assert CAL.closed_reason(date(2026, 2, 14)) == "Thứ Bảy"
    assert CAL.closed_reason(date(2026, 2, 15)) == "Chủ nhật"
    for d in range(16, 21):
        assert CAL.closed_reason(date(2026, 2, d)) == "Tết Nguyên đán"
    assert CAL.closed_reason(date(2026, 2, 22)) == "Chủ nhật"
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


@pytest.mark.parametrize(
    ("day", "worked_saturday"),
    [(date(2024, 4, 29), "04/05/2024"), (date(2025, 5, 2), "26/04/2025"), (date(2026, 8, 31), "22/08/2026")],
)
def test_swapped_bridge_days_are_closed(day: date, worked_saturday: str) -> None:
    reason = CAL.closed_reason(day)
    assert reason is not None
    assert reason.startswith("Nghỉ bù (hoán đổi ngày làm việc")
    assert worked_saturday in reason


@pytest.mark.parametrize(
    ("saturday", "bridge"),
    [(date(2024, 5, 4), "29/04/2024"), (date(2025, 4, 26), "02/05/2025"), (date(2026, 8, 22), "31/08/2026")],
)
def test_swapped_saturdays_are_working_days(saturday: date, bridge: str) -> None:
    assert saturday.weekday() == 5
    assert CAL.is_working_day(saturday)
    assert CAL.closed_reason(saturday) is None
    reason = CAL.working_weekend_reason(saturday)
    assert reason is not None and bridge in reason


def test_ordinary_saturday_is_not_a_working_weekend_day() -> None:
    assert CAL.working_weekend_reason(date(2026, 8, 29)) is None
    assert CAL.working_weekend_reason(date(2026, 8, 24)) is None  # a plain Monday


def test_observed_holiday_is_named_nghi_bu() -> None:
    # Hùng Kings' day 2026 falls on Sunday 26/4: made up on Monday 27/4.
    assert CAL.closed_reason(date(2026, 4, 26)) == "Giỗ Tổ Hùng Vương"
    assert CAL.closed_reason(date(2026, 4, 27)) == "Nghỉ bù Giỗ Tổ Hùng Vương"


def test_fixed_holidays_have_vietnamese_names() -> None:
    assert CAL.closed_reason(date(2026, 1, 1)) == "Tết Dương lịch"
    assert CAL.closed_reason(date(2026, 4, 30)) == "Ngày Giải phóng miền Nam, thống nhất đất nước"
    assert CAL.closed_reason(date(2026, 5, 1)) == "Ngày Quốc tế Lao động"
    assert CAL.closed_reason(date(2026, 9, 2)) == "Quốc khánh"
    assert CAL.closed_reason(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam"


def test_vietnamese_holiday_name_falls_back_to_english() -> None:
    assert vietnamese_holiday_name("Some New Day") == "Some New Day"
    assert vietnamese_holiday_name("National Day; Some New Day") == "Quốc khánh, Some New Day"


def test_national_holidays_returns_only_requested_years() -> None:
    closed, working = national_holidays(2025, 2025)
    assert all(d.year == 2025 for d in closed)
    assert list(working) == [date(2025, 4, 26)]


def test_year_end_rolls_over_new_year_holiday() -> None:
    assert CAL.next_working_day(date(2025, 12, 31)) == date(2026, 1, 2)
    assert CAL.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)


# ---- exceptions --------------------------------------------------------------------------------


def test_local_exception_closes_a_day_and_opens_a_saturday() -> None:
    cal = WorkingCalendar.national(
        2026,
        2026,
        exceptions=[
            CalendarException(date(2026, 3, 10), False, "Bão số 3"),
            CalendarException(date(2026, 3, 14), True, "Làm việc thứ Bảy phục vụ cao điểm"),
        ],
    )
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.closed_reason(date(2026, 3, 10)) == "Bão số 3"
    assert cal.is_working_day(date(2026, 3, 14))
    assert cal.working_weekend_reason(date(2026, 3, 14)) == "Làm việc thứ Bảy phục vụ cao điểm"
    assert cal.add_working_days(date(2026, 3, 9), 1) == date(2026, 3, 11)


# ---- day arithmetic ----------------------------------------------------------------------------


def test_add_working_days_from_a_non_working_day() -> None:
    assert CAL.add_working_days(date(2026, 2, 15), 1) == date(2026, 2, 23)
    assert CAL.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)


def test_add_working_days_counts_working_saturday() -> None:
    assert CAL.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)


def test_add_working_days_rejects_zero() -> None:
    with pytest.raises(DomainError):
        CAL.add_working_days(date(2026, 8, 21), 0)


def test_next_working_day_include_self() -> None:
    assert CAL.next_working_day(date(2026, 8, 21), include_self=True) == date(2026, 8, 21)
    assert CAL.next_working_day(date(2026, 8, 23), include_self=True) == date(2026, 8, 24)


def test_working_days_between_is_inverse_of_add() -> None:
    start = date(2026, 2, 12)
    for n in (1, 5, 30, 200):
        assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n
    assert CAL.working_days_between(date(2026, 2, 26), date(2026, 2, 12)) == -5


def test_closed_days_between_lists_reasons() -> None:
    days = CAL.closed_days_between(date(2026, 2, 13), date(2026, 2, 23))
    assert [d.day for d, _ in days] == [14, 15, 16, 17, 18, 19, 20, 21, 22]
    assert {r for _, r in days} == {"Thứ Bảy", "Chủ nhật", "Tết Nguyên đán"}


def test_year_outside_calendar_raises_calendar_year_missing() -> None:
    with pytest.raises(CalendarYearMissing) as err:
        CAL.is_working_day(date(2031, 3, 2))
    assert err.value.year == 2031
    assert "2031" in err.value.message and "Lịch làm việc năm 2031 chưa có dữ liệu" in err.value.message
    with pytest.raises(CalendarYearMissing):
        CAL.add_working_days(date(2026, 12, 30), 5)  # runs into 2027
    with pytest.raises(CalendarYearMissing):
        CAL.working_minutes_between(at(2023, 12, 29, 9), at(2024, 1, 2, 9))


# ---- minutes -----------------------------------------------------------------------------------


def test_opening_and_closing_are_aware_local_times() -> None:
    assert CAL.opening(date(2026, 3, 2)).isoformat() == "2026-03-02T07:30:00+07:00"
    assert CAL.closing(date(2026, 3, 2)).isoformat() == "2026-03-02T17:00:00+07:00"
    assert str(CAL.tz) == "Asia/Ho_Chi_Minh"


def test_working_minutes_between_skips_lunch_and_nights() -> None:
    assert CAL.working_minutes_between(at(2026, 3, 2, 11), at(2026, 3, 2, 14)) == 60
    assert CAL.working_minutes_between(at(2026, 3, 2, 16), at(2026, 3, 3, 8)) == 90
    assert CAL.working_minutes_between(at(2026, 3, 6, 16), at(2026, 3, 9, 8)) == 90  # weekend
    assert CAL.working_minutes_between(at(2026, 3, 3, 8), at(2026, 3, 2, 16)) == -90
    assert CAL.working_minutes_between(at(2026, 3, 2, 18), at(2026, 3, 2, 20)) == 0


def test_working_minutes_accept_any_time_zone() -> None:
    utc_a = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 ICT
    utc_b = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 14:00 ICT
    assert CAL.working_minutes_between(utc_a, utc_b) == 180


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(DomainError):
        CAL.working_minutes_between(datetime(2026, 3, 2, 9), at(2026, 3, 2, 10))


def test_add_working_minutes_from_closing_lands_on_next_closing() -> None:
    assert CAL.add_working_minutes(at(2026, 3, 2, 17), 450) == at(2026, 3, 3, 17)
    assert CAL.add_working_minutes(at(2026, 3, 2, 17), 1) == at(2026, 3, 3, 7, 31)


def test_add_working_minutes_crosses_lunch_and_weekend() -> None:
    assert CAL.add_working_minutes(at(2026, 3, 2, 11), 60) == at(2026, 3, 2, 14)
    assert CAL.add_working_minutes(at(2026, 3, 2, 11), 30) == at(2026, 3, 2, 11, 30)  # earliest
    assert CAL.add_working_minutes(at(2026, 3, 6, 16, 30), 60) == at(2026, 3, 9, 8)
    assert CAL.add_working_minutes(at(2026, 3, 2, 9), 0) == at(2026, 3, 2, 9)


def test_add_working_minutes_result_is_in_calendar_zone() -> None:
    result = CAL.add_working_minutes(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), 60)
    assert result.isoformat() == "2026-03-02T10:00:00+07:00"


def test_other_time_zone_with_dst_uses_local_wall_clock() -> None:
    cal = WorkingCalendar(2026, 2026, {}, {}, tz="Europe/Paris")
    # 2026-03-27 (Fri) and 2026-03-30 (Mon) straddle the DST change of 29 March.
    fri = datetime(2026, 3, 27, 16, 30, tzinfo=cal.tz)
    mon = cal.add_working_minutes(fri, 60)
    assert (mon.hour, mon.minute, mon.utcoffset()) == (8, 0, timedelta(hours=2))
    assert cal.working_minutes_between(fri, mon) == 60


def test_calendar_properties() -> None:
    assert list(CAL.years) == [2024, 2025, 2026]
    assert CAL.minutes_per_day == 450
