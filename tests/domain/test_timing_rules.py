"""The on-time rule (Decision 766/QĐ-TTg indicator 2.1; apology one working day before the deadline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.timing import (
    TimeLeft,
    Timing,
    TimingInputs,
    classify_finished,
    classify_open,
    due_soon_from,
    is_counted_on_time,
    time_left,
    timing_view,
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


def test_time_left_fields() -> None:
    assert time_left(at(2026, 3, 4, 13, 30), DUE, CAL) == TimeLeft(minutes=660, days=1, hours=3, mins=30)
    late = time_left(at(2026, 3, 9, 9, 30), DUE, CAL)
    assert (late.minutes, late.days, late.hours, late.mins, late.late) == (-570, 1, 2, 0, True)


# ---------------------------------------------------------------- the one owner: timing_view


def _open(**kw: object) -> TimingInputs:
    return TimingInputs(finished=False, due_at=DUE, **kw)  # type: ignore[arg-type]


def test_timing_view_without_a_due_time_has_no_timing() -> None:
    v = timing_view(TimingInputs(finished=False, due_at=None), at(2026, 3, 4, 10), CAL)
    assert v.timing is None and v.left is None and not v.counts_on_time


def test_timing_view_open_follows_the_clock() -> None:
    assert timing_view(_open(), at(2026, 3, 3, 10), CAL).timing is Timing.WITHIN
    soon = timing_view(_open(), at(2026, 3, 5, 9), CAL)
    assert soon.timing is Timing.DUE_SOON and soon.needs_apology and soon.counts_on_time
    late = timing_view(_open(), at(2026, 3, 6, 9), CAL)
    assert late.timing is Timing.OVERDUE and late.needs_apology and not late.counts_on_time
    assert late.left is not None and late.left.late and late.left.minutes < 0


def test_a_pause_begun_no_later_than_the_due_time_stops_the_clock() -> None:
    v = timing_view(_open(open_pause_start=DUE), at(2026, 3, 20, 9), CAL)
    assert v.timing is Timing.PAUSED and v.paused and v.left is None and v.counts_on_time
    assert not v.needs_apology


def test_a_pause_begun_after_the_due_time_does_not_stop_lateness() -> None:
    v = timing_view(_open(open_pause_start=DUE + timedelta(minutes=1)), at(2026, 3, 6, 9), CAL)
    assert v.timing is Timing.OVERDUE and not v.paused and v.left is not None


def test_more_than_one_supplement_request_is_overdue_while_open_even_when_paused() -> None:
    now = at(2026, 3, 3, 10)  # two days before the due time
    running = timing_view(_open(supplement_count=2), now, CAL)
    assert running.timing is Timing.OVERDUE and running.late_by_supplements
    assert not running.needs_apology  # the appointment has not come: no apology asked for yet
    assert running.left is not None and not running.left.late
    paused = timing_view(_open(supplement_count=3, open_pause_start=at(2026, 3, 3, 9)), now, CAL)
    assert paused.timing is Timing.OVERDUE and paused.paused and not paused.counts_on_time
    assert timing_view(_open(supplement_count=1), now, CAL).timing is Timing.WITHIN


def test_timing_view_finished_uses_the_finished_rule() -> None:
    def fin(finished_at: datetime, n: int = 0) -> Timing | None:
        inputs = TimingInputs(finished=True, due_at=DUE, finished_at=finished_at, supplement_count=n,
                              tz="Asia/Ho_Chi_Minh")
        return timing_view(inputs, at(2026, 4, 1), CAL).timing

    assert fin(at(2026, 3, 4, 23, 59)) is Timing.EARLY
    assert fin(at(2026, 3, 5, 0, 0)) is Timing.ON_TIME
    assert fin(DUE) is Timing.ON_TIME
    assert fin(DUE + timedelta(seconds=1)) is Timing.LATE
    assert fin(at(2026, 3, 2, 10), n=2) is Timing.LATE


def test_the_promised_date_never_changes_the_timing() -> None:
    now = at(2026, 3, 6, 9)
    promised = _open(promised_due_at=DUE + timedelta(days=7))
    assert timing_view(promised, now, CAL) == timing_view(_open(), now, CAL)
