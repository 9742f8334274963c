"""The Form 06 roll-up (onestop/services/reporting/rollup.py): reading the closed days from the roll-up
and the rest live gives exactly the live Form 06 — by desk and by resolver, per agency, for periods that end
before, at and after the watermark — over random histories with pauses, apologies, hand-offs, stops
and withdrawals, and after late events on closed days (a dossier received at 23:55 on a closed day, a
hand-off changing an old dossier's resolver, a finish one minute before local midnight), before and
after the job re-rolls them (docs/rules.md F1–F4; docs/operations.md, "The report roll-up")."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from onestop.models import Dossier, ReportRollupDay, ReportRollupState
from onestop.services.dossiers.inputs import CompleteInput, WithdrawInput
from onestop.services.reporting import reports
from onestop.services.reporting.rollup import refresh_rollup
from tests.factories import agency, receive
from tests.services.test_form06_one_answer import NOW, SCOPES, TZ, _act, build_random
from tests.times import hanoi

PERIODS = [
    (date(2026, 9, 1), date(2026, 9, 30)),
    (date(2026, 10, 1), date(2026, 10, 31)),
    (date(2026, 11, 1), date(2026, 11, 30)),  # not over at NOW
    (date(2026, 9, 15), date(2026, 11, 30)),
    (date(2026, 10, 31), date(2026, 10, 31)),  # one day, the last closed one
    (date(2026, 10, 1), date(2026, 11, 19)),
]


def _both_ways(session, now=NOW) -> int:
    """Compare the roll-up path with the live path everywhere; return how many reports were compared."""
    compared = 0
    for ident, by in [*SCOPES, (None, "desk"), (None, "resolver")]:
        ag = agency(session, ident) if ident else None
        for start, end in PERIODS:
            start_m, end_m = reports.period_bounds(start, end, ZoneInfo(TZ))
            as_of = min(now, end_m)
            for per_agency in (False, True):
                live = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, by=by,
                                             group_by_agency=per_agency, rollup=False)
                rolled = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, by=by,
                                               group_by_agency=per_agency, rollup=True)
                assert {k: v.row.counts() for k, v in rolled.items()} == \
                    {k: v.row.counts() for k, v in live.items()}, (ident, by, start, end, per_agency)
                compared += 1
    return compared


@pytest.mark.parametrize("seed", [20261129, 5])
def test_rollup_and_live_form06_are_identical_with_late_events(session, seed):
    dossiers = build_random(session, seed)
    # The job ran on the night of 01/11: September and October are closed.
    first = refresh_rollup(session, hanoi(2026, 11, 1, 0, 20))
    assert first["closed_before"] == "2026-11-01"
    assert session.scalar(select(func.count()).select_from(ReportRollupDay)) > 0
    assert _both_ways(session) > 0

    # Late arrivals on closed days, inserted after the watermark.
    late = receive(session, now=hanoi(2026, 10, 30, 23, 55), channel="online").dossier
    _act(session, late, "transfer", hanoi(2026, 10, 30, 23, 56))
    _act(session, late, "complete", hanoi(2026, 10, 30, 23, 59), CompleteInput(result="Đã cấp"))
    early = receive(session, now=hanoi(2026, 10, 1, 0, 5), channel="online").dossier  # just after midnight
    _act(session, early, "withdraw", hanoi(2026, 10, 31, 23, 59), WithdrawInput(reason="Công dân rút"))
    waiting = [d for d in dossiers if not d.legs and d.finished_at is None and d.received_at is not None]
    if waiting:  # a hand-off today changes the resolver of a dossier received on a closed day
        _act(session, waiting[0], "transfer", hanoi(2026, 11, 19, 9))
    session.flush()
    stale = _both_ways(session)  # the closed days touched since are computed live
    assert stale > 0

    # The job re-rolls the touched days; twice (the second run rotates the watermark).
    again = refresh_rollup(session, hanoi(2026, 11, 20, 0, 20))
    assert again["rerolled_days"] >= 2
    _both_ways(session)
    refresh_rollup(session, hanoi(2026, 11, 20, 1, 20))
    _both_ways(session)
    state = session.get(ReportRollupState, 1)
    assert state.closed_before == date(2026, 11, 20)
    assert late.id <= state.last_dossier_id


def _received(counts) -> int:
    return sum(b.row.received_online + b.row.received_direct_postal for b in counts.values())


@pytest.mark.parametrize(("kind", "first", "last"), [
    ("R", date(2026, 10, 1), date(2026, 10, 31)),  # a whole closed month: its month rows
    ("r", date(2026, 10, 1), date(2026, 10, 30)),  # part of a month: the day rows
])
def test_rollup_actually_serves_closed_days(session, kind, first, last):
    """The roll-up rows are what the report reads: a wrong row shows (so the equality is not vacuous)."""
    build_random(session, 11, n=30)
    refresh_rollup(session, hanoi(2026, 11, 1, 0, 20))
    refresh_rollup(session, hanoi(2026, 11, 1, 1, 20))
    refresh_rollup(session, hanoi(2026, 11, 1, 2, 20))  # no touched days left
    ag = agency(session, "000.00.00.H25")
    start_m, as_of = reports.measured_at(ag, first, last, NOW)
    before = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, rollup=True)
    live = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, rollup=False)
    assert {k: v.row.counts() for k, v in live.items()} == {k: v.row.counts() for k, v in before.items()}
    row = session.scalars(select(ReportRollupDay).where(
        ReportRollupDay.kind == kind, ReportRollupDay.day >= first, ReportRollupDay.day <= last)
        .order_by(ReportRollupDay.id)).first()
    assert row is not None
    row.n += 1
    session.flush()
    after = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, rollup=True)
    assert _received(after) == _received(before) + 1


def test_no_rollup_yet_reads_live(session):
    build_random(session, 3, n=10)
    ag = agency(session, "000.00.00.H25")
    start_m, as_of = reports.measured_at(ag, date(2026, 10, 1), date(2026, 10, 31), NOW)
    assert session.scalar(select(func.count()).select_from(Dossier)) > 0
    assert reports._form06_with_rollup(session, ag, start_m, as_of, tz=TZ, by="desk",
                                       group_by_agency=False) is None
    refresh_rollup(session, hanoi(2026, 11, 1, 0, 20))
    assert reports._form06_with_rollup(session, ag, start_m, as_of, tz=TZ, by="desk",
                                       group_by_agency=False) is not None
    # A start that is not a local midnight is served live.
    assert reports._form06_with_rollup(session, ag, start_m + timedelta(hours=1), as_of, tz=TZ, by="desk",
                                       group_by_agency=False) is None
