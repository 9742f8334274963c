from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onestop.domain.errors import DomainError
from onestop.domain.metrics import Form06Row, form06_bucket, identity_errors, period_bounds

TZ = "Asia/Ho_Chi_Minh"
START, END = period_bounds(date(2026, 3, 1), date(2026, 3, 31), TZ)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def bucket(**kw):
    base = dict(received_at=utc(2026, 3, 2, 2), finished_at=None, due_at=utc(2026, 3, 9, 10),
                channel="direct", supplement_requests=0, paused_since=None, start_moment=START,
                end_moment=END, tz=TZ)
    base.update(kw)
    return form06_bucket(**base)


def test_period_bounds_are_local_midnights():
    assert START == utc(2026, 2, 28, 17) and END == utc(2026, 3, 31, 17)
    with pytest.raises(DomainError):
        period_bounds(date(2026, 3, 2), date(2026, 3, 1), TZ)


def test_not_counted_without_reception_after_the_end_or_finished_before_the_start():
    assert bucket(received_at=None) is None
    assert bucket(received_at=utc(2026, 3, 31, 17)) is None  # 00:00 on 01/04 local
    assert bucket(received_at=utc(2026, 2, 20, 2), finished_at=utc(2026, 2, 28, 16, 59)) is None


def test_channels_and_carry_over():
    assert bucket(channel="online").received_online == 1
    assert bucket(channel="postal").received_direct_postal == 1
    carried = bucket(received_at=utc(2026, 2, 27, 2), finished_at=utc(2026, 2, 28, 17))
    assert carried.carried_over == 1 and carried.resolved_total == 1


@pytest.mark.parametrize("finished,supplements,col", [
    (utc(2026, 3, 6, 3), 0, "resolved_early"),
    (utc(2026, 3, 9, 3), 0, "resolved_on_time"),      # same local date, before 17:00
    (utc(2026, 3, 9, 10), 0, "resolved_on_time"),     # exactly at the due time
    (utc(2026, 3, 9, 10, 1), 0, "resolved_late"),
    (utc(2026, 3, 6, 3), 2, "resolved_late"),         # Decision 766: more than one supplement request
    (utc(2026, 3, 6, 3), 1, "resolved_early"),
])
def test_resolved_split_by_the_on_time_rule(finished, supplements, col):
    row = bucket(finished_at=finished, supplement_requests=supplements)
    assert getattr(row, col) == 1 and row.resolved_total == 1 and identity_errors(row) == []


def test_in_progress_within_overdue_and_paused():
    assert bucket(due_at=utc(2026, 3, 31, 17)).in_progress_within == 1     # due at the end moment
    assert bucket(due_at=utc(2026, 3, 31, 10)).in_progress_overdue == 1
    assert bucket(finished_at=utc(2026, 4, 2, 3), due_at=utc(2026, 3, 31, 10)).in_progress_overdue == 1
    paused = bucket(due_at=utc(2026, 3, 27, 10), paused_since=utc(2026, 3, 26, 2))
    assert paused.in_progress_within == 1
    late_pause = bucket(due_at=utc(2026, 3, 27, 10), paused_since=utc(2026, 3, 30, 2))
    assert late_pause.in_progress_overdue == 1


def test_identity_errors_name_the_broken_identity():
    row = Form06Row(field="Hộ tịch", received_total=3, received_online=1, received_direct_postal=1,
                    carried_over=1, resolved_total=2, resolved_early=2, in_progress_total=0)
    assert identity_errors(row) == ["Hộ tịch: tổng tiếp nhận ≠ đã giải quyết + đang giải quyết"]
    total = Form06Row()
    total.add(row)
    total.add(row)
    assert total.received_total == 6 and str(Form06Row(received_total=4, resolved_late=1,
                                                        in_progress_overdue=1).late_rate) == "0.5000"
