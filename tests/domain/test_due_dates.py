"""compute_due: the default counting rule of docs/domain.md §5 (Decree 61/2018 art. 18–19, now Decree
118/2025; Civil Code 2015 art. 147–148)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.deadlines import DeadlineRule, LimitUnit, Pause, TraceKind, compute_due, parse_limit
from onestop.domain.errors import CalendarYearMissing, DomainError, InvalidDeadlineRule

ICT = timezone(timedelta(hours=7))
CAL = WorkingCalendar.national(2024, 2026)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ICT)


def days(n: int | str, cutoff: time | None = None, **kw: object) -> DeadlineRule:
    return DeadlineRule(Decimal(n), LimitUnit.WORKING_DAYS, cutoff=cutoff, **kw)  # type: ignore[arg-type]


def due(received: datetime, rule: DeadlineRule, **kw: object) -> datetime:
    return compute_due(received, rule, CAL, **kw).due_at  # type: ignore[arg-type]


# ---- the worked example ---------------------------------------------------------------------------


def test_domain_worked_example_five_days_across_tet_2026() -> None:
    result = compute_due(at(2026, 2, 12, 10), days(5), CAL)
    assert result.due_at.isoformat() == "2026-02-26T17:00:00+07:00"
    assert result.clock_start == at(2026, 2, 12, 10)


def test_fast_path_gives_same_due_without_steps() -> None:
    result = compute_due(at(2026, 2, 12, 10), days(5), CAL, explain=False)
    assert result.due_at == at(2026, 2, 26, 17)
    assert result.steps == ()


def test_working_saturday_2026_08_22_counts_like_a_weekday() -> None:
    assert due(at(2026, 8, 21, 9), days(1)) == at(2026, 8, 22, 17)
    # ... and the bridge Monday 31/8 plus 1–2/9 are skipped.
    assert due(at(2026, 8, 28, 9), days(1)) == at(2026, 9, 3, 17)


def test_working_saturday_2024_05_04_counts() -> None:
    assert due(at(2024, 5, 3, 9), days(1)) == at(2024, 5, 4, 17)
    assert due(at(2024, 4, 26, 9), days(1)) == at(2024, 5, 2, 17)  # 29/4, 30/4, 1/5 closed


def test_tet_2025() -> None:
    # Received Friday 24/1/2025; Tết closes 27/1–1/2.
    assert due(at(2025, 1, 24, 9), days(1)) == at(2025, 2, 3, 17)
    assert due(at(2025, 1, 24, 9), days(3)) == at(2025, 2, 5, 17)


def test_make_up_days_are_skipped() -> None:
    assert due(at(2025, 4, 29, 9), days(1)) == at(2025, 5, 5, 17)  # 30/4, 1/5, 2/5 (swap), weekend
    assert due(at(2026, 8, 28, 16), days(2)) == at(2026, 9, 4, 17)


def test_year_end_rolls_over_new_year() -> None:
    assert due(at(2025, 12, 31, 10), days(1)) == at(2026, 1, 2, 17)


# ---- the moment of receipt --------------------------------------------------------------------------


def test_before_opening_counts_as_same_day() -> None:
    result = compute_due(at(2026, 3, 2, 6, 45), days(1), CAL)
    assert result.due_at == at(2026, 3, 3, 17)
    assert result.clock_start == at(2026, 3, 2, 7, 30)


def test_lunch_break_counts_as_same_day_from_afternoon_shift() -> None:
    result = compute_due(at(2026, 3, 2, 12, 15), days(1), CAL)
    assert result.due_at == at(2026, 3, 3, 17)
    assert result.clock_start == at(2026, 3, 2, 13, 30)


def test_after_close_counts_from_next_working_day() -> None:
    result = compute_due(at(2026, 3, 2, 17, 0), days(1), CAL)
    assert result.clock_start == at(2026, 3, 3, 7, 30)
    assert result.due_at == at(2026, 3, 4, 17)


def test_weekend_receipt_counts_from_monday() -> None:
    result = compute_due(at(2026, 3, 7, 10), days(1), CAL)
    assert result.clock_start == at(2026, 3, 9, 7, 30)
    assert result.due_at == at(2026, 3, 10, 17)


def test_cutoff_15h_boundary() -> None:
    rule = days(1, cutoff=time(15, 0))
    assert due(at(2026, 3, 2, 15, 0), rule) == at(2026, 3, 3, 17)  # at 15:00 sharp: same day
    assert due(at(2026, 3, 2, 15, 1), rule) == at(2026, 3, 4, 17)  # after: next working day


def test_same_day_limit_n0() -> None:
    rule = days(0, cutoff=time(15))
    assert due(at(2026, 3, 2, 9), rule) == at(2026, 3, 2, 17)
    assert due(at(2026, 3, 2, 16), rule) == at(2026, 3, 3, 17)  # after the cut-off
    assert due(at(2026, 2, 13, 16), rule) == at(2026, 2, 23, 17)  # after cut-off before Tết
    assert due(at(2026, 3, 7, 9), days(0)) == at(2026, 3, 9, 17)  # Saturday


def test_online_outside_office_hours_counts_from_next_working_day() -> None:
    assert due(at(2026, 3, 2, 20), days(1), channel="online") == at(2026, 3, 4, 17)
    assert due(at(2026, 3, 2, 6), days(1), channel="online") == at(2026, 3, 4, 17)
    assert due(at(2026, 3, 2, 6), days(1), channel="direct") == at(2026, 3, 3, 17)
    assert due(at(2026, 3, 2, 10), days(1), channel="online") == at(2026, 3, 3, 17)


def test_online_rule_can_be_switched_off_per_procedure() -> None:
    rule = days(1, online_outside_hours_next_day=False)
    assert due(at(2026, 3, 2, 6), rule, channel="online") == at(2026, 3, 3, 17)


def test_postal_counts_like_direct() -> None:
    assert due(at(2026, 3, 2, 12), days(1), channel="postal") == at(2026, 3, 3, 17)


def test_receipt_in_utc_is_converted_to_local_time() -> None:
    utc = datetime(2026, 2, 12, 3, 0, tzinfo=UTC)  # 10:00 ICT
    assert due(utc, days(5)).isoformat() == "2026-02-26T17:00:00+07:00"
    late_utc = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # 17:30 ICT: after close
    assert due(late_utc, days(1)) == at(2026, 3, 4, 17)


# ---- working hours --------------------------------------------------------------------------------


def hours(n: int | str) -> DeadlineRule:
    return DeadlineRule(Decimal(n), LimitUnit.WORKING_HOURS)


def test_eight_working_hours_across_lunch_and_overnight() -> None:
    # 09:00 Mon: 2.5 h to 11:30, 3.5 h to 17:00 (6 h), then 2 h Tuesday → 09:30.
    assert due(at(2026, 3, 2, 9), hours(8)) == at(2026, 3, 3, 9, 30)


def test_working_hours_received_outside_hours_start_at_next_opening() -> None:
    assert due(at(2026, 3, 6, 18), hours(4)) == at(2026, 3, 9, 11, 30)  # Friday evening
    assert due(at(2026, 3, 2, 12), hours(1)) == at(2026, 3, 2, 14, 30)  # lunch


def test_fractional_working_days_count_whole_days_then_a_fraction_of_the_next_day() -> None:
    # Ruling (docs/rules.md, "Timing" T12): whole working days first, then the fraction of the next
    # working day's office time; with the default hours (7 h 30 min a day) half a day = 3 h 45 min.
    assert due(at(2026, 3, 2, 9), days("1.5")) == at(2026, 3, 4, 11, 15)  # Mon → Tue whole, Wed 3 h 45
    assert due(at(2026, 3, 2, 9), days("0.5")) == at(2026, 3, 3, 11, 15)  # 0 whole days, then Tue
    assert due(at(2026, 3, 6, 9), days("2.5")) == at(2026, 3, 11, 11, 15)  # over the weekend
    assert due(at(2026, 3, 2, 9), days("0.25")) == at(2026, 3, 3, 9, 23)  # 112.5 min → 113 (half-up)
    result = compute_due(at(2026, 3, 2, 9), days("1.5"), CAL)
    fraction = next(s for s in result.steps if s.kind is TraceKind.FRACTION_DAY)
    assert fraction.params["minutes"] == 225 and fraction.params["date"] == at(2026, 3, 4).date()
    assert days("1.5").limit_minutes is None  # not converted at a fixed number of hours a day


def test_fractional_working_hours_round_to_minutes() -> None:
    assert due(at(2026, 3, 2, 9), hours("1.5")) == at(2026, 3, 2, 10, 30)


# ---- calendar days --------------------------------------------------------------------------------


def calendar_days(n: int) -> DeadlineRule:
    return DeadlineRule(Decimal(n), LimitUnit.CALENDAR_DAYS)


def test_calendar_days_roll_over_a_holiday() -> None:
    # 21/4/2026 + 10 = 1/5 (Labour Day, then weekend) → Monday 4/5 (Civil Code art. 148).
    assert due(at(2026, 4, 21, 16), calendar_days(10)) == at(2026, 5, 4, 17)


def test_calendar_days_on_a_working_day_need_no_roll() -> None:
    assert due(at(2026, 3, 2, 9), calendar_days(3)) == at(2026, 3, 5, 17)


def test_calendar_days_count_weekends() -> None:
    assert due(at(2026, 3, 2, 9), calendar_days(7)) == at(2026, 3, 9, 17)


def test_calendar_days_after_close_start_next_working_day() -> None:
    assert due(at(2026, 3, 6, 18), calendar_days(1)) == at(2026, 3, 10, 17)


# ---- pauses ---------------------------------------------------------------------------------------


def test_pause_extends_due_by_its_working_time() -> None:
    pause = Pause(at(2026, 3, 3, 9), at(2026, 3, 4, 9), "Chờ bổ sung")  # 7.5 working hours
    assert due(at(2026, 3, 2, 9), days(3), pauses=[pause]) == at(2026, 3, 6, 17)


def test_pause_over_a_weekend_counts_only_working_time() -> None:
    pause = Pause(at(2026, 3, 6, 16), at(2026, 3, 9, 8), "Nghĩa vụ tài chính")  # 1 h + 0.5 h
    assert due(at(2026, 3, 2, 9), days(5), pauses=[pause]) == at(2026, 3, 10, 9, 0)


def test_pause_before_clock_start_is_ignored() -> None:
    pause = Pause(at(2026, 3, 1, 9), at(2026, 3, 2, 8), "")
    assert due(at(2026, 3, 2, 9), days(1), pauses=[pause]) == at(2026, 3, 3, 17)


def test_pause_straddling_clock_start_counts_only_the_part_after() -> None:
    pause = Pause(at(2026, 3, 2, 8), at(2026, 3, 2, 10), "")
    assert due(at(2026, 3, 2, 9), days(1), pauses=[pause]) == at(2026, 3, 4, 8, 30)


def test_pause_starting_after_due_does_not_rescue_a_late_dossier() -> None:
    pause = Pause(at(2026, 3, 5, 9), at(2026, 3, 6, 9), "")
    assert due(at(2026, 3, 2, 9), days(1), pauses=[pause]) == at(2026, 3, 3, 17)


def test_pause_straddling_due_moves_due_by_whole_pause() -> None:
    # Clock stops Tue 16:00 with 1 h left; resumes Thu 9:00 → due Thu 10:00.
    pause = Pause(at(2026, 3, 3, 16), at(2026, 3, 5, 9), "")
    assert due(at(2026, 3, 2, 9), days(1), pauses=[pause]) == at(2026, 3, 5, 10)


def test_overlapping_pauses_are_not_counted_twice() -> None:
    p1 = Pause(at(2026, 3, 3, 8), at(2026, 3, 3, 10), "")
    p2 = Pause(at(2026, 3, 3, 9), at(2026, 3, 3, 11), "")
    assert due(at(2026, 3, 2, 9), days(3), pauses=[p2, p1]) == at(2026, 3, 6, 10, 30)  # 3 h, not 4


def test_pause_across_tet_counts_no_holiday_time() -> None:
    pause = Pause(at(2026, 2, 13, 16), at(2026, 2, 23, 8), "")  # 1 h Fri + 0.5 h Mon
    assert due(at(2026, 2, 12, 10), days(5), pauses=[pause]) == at(2026, 2, 27, 9, 0)


def test_open_pause_has_no_due_time() -> None:
    with pytest.raises(DomainError):
        compute_due(at(2026, 3, 2, 9), days(1), CAL, pauses=[Pause(at(2026, 3, 2, 10), None)])


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(DomainError):
        compute_due(at(2026, 3, 2, 9), days(1), CAL, pauses=[Pause(at(2026, 3, 2, 10), at(2026, 3, 2, 9))])


# ---- missing years --------------------------------------------------------------------------------


def test_due_beyond_calendar_raises_calendar_year_missing() -> None:
    with pytest.raises(CalendarYearMissing) as err:
        compute_due(at(2026, 12, 28, 9), days(5), CAL)
    assert err.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        compute_due(at(2031, 1, 5, 9), days(1), CAL)


# ---- the "why this date" trace: data (its words: tests/web/test_sentences.py) -------------------------


def test_trace_is_kinds_and_values() -> None:
    steps = compute_due(at(2026, 2, 12, 10), days(5), CAL).steps
    kinds = [s.kind for s in steps]
    assert kinds[:2] == [TraceKind.RECEIVED, TraceKind.CLOCK_START]
    assert kinds[-1] is TraceKind.DUE and steps[-1].params["at"] == at(2026, 2, 26, 17)
    skipped = {s.params["date"].day: s.params["reason"] for s in steps if s.kind is TraceKind.SKIPPED_DAY}
    assert skipped[14] == "Thứ Bảy" and skipped[16] == "Tết Nguyên đán"
    assert [s.params["n"] for s in steps if s.kind is TraceKind.COUNT_DAY] == [1, 2, 3, 4, 5]


def test_trace_records_pauses_and_the_calendar_rollover() -> None:
    pause = Pause(at(2026, 3, 3, 9), at(2026, 3, 4, 9), "Chờ bổ sung giấy tờ")
    steps = compute_due(at(2026, 3, 2, 9), days(3), CAL, pauses=[pause]).steps
    paused = next(s for s in steps if s.kind is TraceKind.PAUSE)
    assert paused.params["minutes"] == 450 and paused.params["reason"] == "Chờ bổ sung giấy tờ"
    roll = compute_due(at(2026, 4, 21, 16), calendar_days(10), CAL).steps
    over = next(s for s in roll if s.kind is TraceKind.CALENDAR_ROLLOVER)
    assert (over.params["from"].day, over.params["to"].day) == (1, 4)


# ---- rules ------------------------------------------------------------------------------------------


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(InvalidDeadlineRule):
        DeadlineRule(Decimal(-1), LimitUnit.WORKING_DAYS)


def test_fractional_calendar_days_are_rejected() -> None:
    with pytest.raises(InvalidDeadlineRule):
        DeadlineRule(Decimal("1.5"), LimitUnit.CALENDAR_DAYS)


def test_parse_limit_accepts_loose_input() -> None:
    assert parse_limit("5", "working_days") == DeadlineRule(Decimal(5), LimitUnit.WORKING_DAYS)
    assert parse_limit("0,5", " Working_Days ").limit == Decimal("0.5")
    assert parse_limit(40, "working_hours").unit is LimitUnit.WORKING_HOURS


@pytest.mark.parametrize(
    ("limit", "unit", "fragment"),
    [("5", "days", "Đơn vị"), ("-1", "working_days", "âm"), ("abc", "working_days", "không phải là số"),
     ("", "working_days", "không phải là số"), ("nan", "working_days", "không phải là số")],
)
def test_parse_limit_rejects_bad_input_clearly(limit: str, unit: str, fragment: str) -> None:
    with pytest.raises(InvalidDeadlineRule) as err:
        parse_limit(limit, unit)
    assert fragment in err.value.message


def test_rule_accepts_unit_string_and_int_limit_from_storage() -> None:
    rule = DeadlineRule(5, "working_days")  # type: ignore[arg-type]
    assert rule.unit is LimitUnit.WORKING_DAYS and rule.limit == Decimal(5)
    assert due(at(2026, 2, 12, 10), rule) == at(2026, 2, 26, 17)
    with pytest.raises(InvalidDeadlineRule):
        DeadlineRule(Decimal(5), "days")  # type: ignore[arg-type]
