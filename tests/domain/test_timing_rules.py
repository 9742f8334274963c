"""The on-time rule (Decision 766/QĐ-TTg indicator 2.1; apology one working day before the deadline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.timing import (
    TimeLeft,
    Timing,
    classify_finished,
    classify_open,
    due_soon_from,
    is_counted_on_time,
    time_left,
)

ICT = timezone(timedelta(hours=7))
CAL = WorkingCalendar.national(2025, 2026)
DUE = datetime(2026, 3, 5, 17, 0, tzinfo=ICT)  # Thursday close


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ICT)


def test_due_soon_from_is_one_working_day_later() -> None:
    assert due_soon_from(at(2026, 3, 4, 17), CAL) == at(2026, 3, 5, 17)
    assert due_soon_from(at(2026, 3, 4, 20), CAL) == at(2026, 3, 5, 17)
    assert due_soon_from(at(2026, 3, 6, 10), CAL) == at(2026, 3, 9, 10)  # over the weekend
    assert due_soon_from(at(2026, 3, 4, 10), CAL, working_minutes=60) == at(2026, 3, 4, 11)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 4, 16, 59), Timing.WITHIN),
        (at(2026, 3, 4, 17, 0), Timing.DUE_SOON),  # exactly one working day before
        (at(2026, 3, 5, 9), Timing.DUE_SOON),
        (at(2026, 3, 5, 17, 0), Timing.DUE_SOON),  # at the due time: not yet overdue
        (at(2026, 3, 5, 17, 1), Timing.OVERDUE),
        (at(2026, 3, 9, 8), Timing.OVERDUE),
    ],
)
def test_classify_open_boundaries(now: datetime, expected: Timing) -> None:
    assert classify_open(now, DUE, CAL) is expected


def test_classify_open_paused() -> None:
    assert classify_open(at(2026, 3, 9, 8), DUE, CAL, paused=True) is Timing.PAUSED


@pytest.mark.parametrize(
    ("finished", "supplements", "expected"),
    [
        (at(2026, 3, 4, 16), 0, Timing.EARLY),
        (at(2026, 3, 5, 0, 1), 0, Timing.ON_TIME),
        (at(2026, 3, 5, 17, 0), 0, Timing.ON_TIME),
        (at(2026, 3, 5, 17, 0), 1, Timing.ON_TIME),
        (at(2026, 3, 5, 17, 1), 0, Timing.LATE),
        (at(2026, 3, 2, 9), 2, Timing.LATE),  # more than one supplement request ⇒ late
    ],
)
def test_classify_finished(finished: datetime, supplements: int, expected: Timing) -> None:
    assert classify_finished(finished, DUE, supplement_requests=supplements, tz=CAL.tz) is expected


def test_classify_finished_compares_local_dates() -> None:
    # 2026-03-04 23:30 UTC is 2026-03-05 06:30 in Hà Nội: same local date as the due → on time.
    finished = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    assert classify_finished(finished, DUE, tz="Asia/Ho_Chi_Minh") is Timing.ON_TIME
    assert classify_finished(finished, DUE, tz="UTC") is Timing.EARLY


def test_is_counted_on_time() -> None:
    counted = {t for t in Timing if is_counted_on_time(t)}
    assert counted == {Timing.EARLY, Timing.ON_TIME, Timing.WITHIN, Timing.DUE_SOON, Timing.PAUSED}


@pytest.mark.parametrize(
    ("now", "vi", "en"),
    [
        (at(2026, 3, 4, 13, 30), "Còn 1 ngày 3 giờ", "1 day 3 h left"),
        (at(2026, 3, 5, 16, 15), "Còn 45 phút", "45 min left"),
        (at(2026, 3, 5, 13, 40), "Còn 3 giờ 20 phút", "3 h 20 min left"),
        (at(2026, 3, 9, 17), "Quá 2 ngày", "2 days late"),
        (at(2026, 3, 9, 9, 30), "Quá 1 ngày 2 giờ", "1 day 2 h late"),
        (at(2026, 3, 5, 17), "Đến hạn", "Due now"),
        (at(2026, 3, 5, 19), "Quá hạn", "Overdue"),
    ],
)
def test_time_left_labels(now: datetime, vi: str, en: str) -> None:
    left = time_left(now, DUE, CAL)
    assert left.label() == vi
    assert left.label("en") == en


def test_time_left_fields() -> None:
    assert time_left(at(2026, 3, 4, 13, 30), DUE, CAL) == TimeLeft(minutes=660, days=1, hours=3, mins=30)
    late = time_left(at(2026, 3, 9, 9, 30), DUE, CAL)
    assert (late.minutes, late.days, late.hours, late.mins, late.late) == (-570, 1, 2, 0, True)
