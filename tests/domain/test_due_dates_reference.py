"""Cross-check the precomputed fast paths against a naive day-by-day reference on random receipts."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.deadlines import DeadlineRule, LimitUnit, compute_due

ICT = timezone(timedelta(hours=7))
CAL = WorkingCalendar.national(2024, 2026)
SHIFTS = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))


def _receipts(n: int) -> list[datetime]:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=ICT)
    return [start + timedelta(minutes=rng.randrange(2 * 366 * 1440)) for _ in range(n)]


def _office_intervals(d: date) -> list[tuple[datetime, datetime]]:
    if not CAL.is_working_day(d):
        return []
    return [(datetime.combine(d, a, ICT), datetime.combine(d, b, ICT)) for a, b in SHIFTS]


def _reference_days(received: datetime, n: int, cutoff: time | None) -> datetime:
    local = received.astimezone(ICT)
    d, t = local.date(), local.time()
    if not CAL.is_working_day(d) or t >= time(17) or (cutoff is not None and t > cutoff):
        d += timedelta(days=1)
        while not CAL.is_working_day(d):
            d += timedelta(days=1)
    counted = 0
    while counted < n:
        d += timedelta(days=1)
        if CAL.is_working_day(d):
            counted += 1
    return datetime.combine(d, time(17), ICT)


def _reference_minutes(received: datetime, minutes: int) -> datetime:
    t = received.astimezone(ICT)
    d = t.date()
    left = minutes
    while True:
        for a, b in _office_intervals(d):
            start = max(a, t)
            if start >= b:
                continue
            avail = int((b - start).total_seconds() // 60)
            if left <= avail:
                return start + timedelta(minutes=left)
            left -= avail
        d += timedelta(days=1)


@pytest.mark.parametrize("n", [0, 1, 5, 30])
def test_working_days_match_reference(n: int) -> None:
    rule = DeadlineRule(Decimal(n), LimitUnit.WORKING_DAYS, cutoff=time(15))
    for received in _receipts(400):
        got = compute_due(received, rule, CAL, explain=False).due_at
        assert got == _reference_days(received, n, time(15)), received


@pytest.mark.parametrize("hours", [1, 8, 40])
def test_working_hours_match_reference(hours: int) -> None:
    rule = DeadlineRule(Decimal(hours), LimitUnit.WORKING_HOURS)
    for received in _receipts(400):
        got = compute_due(received, rule, CAL, explain=False).due_at
        assert got == _reference_minutes(received, hours * 60), received


def test_working_minutes_between_matches_reference() -> None:
    rng = random.Random(11)
    receipts = _receipts(300)
    for a in receipts:
        b = a + timedelta(minutes=rng.randrange(20 * 1440))
        expected = 0
        d = a.date()
        while d <= b.date():
            for s, e in _office_intervals(d):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    expected += int((hi - lo).total_seconds() // 60)
            d += timedelta(days=1)
        assert CAL.working_minutes_between(a, b) == expected, (a, b)
        assert CAL.working_minutes_between(b, a) == -expected


def test_explain_and_fast_path_agree() -> None:
    rule = DeadlineRule(Decimal(5), LimitUnit.WORKING_DAYS)
    for received in _receipts(100):
        slow = compute_due(received, rule, CAL).due_at
        assert slow == compute_due(received, rule, CAL, explain=False).due_at
