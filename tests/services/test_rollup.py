"""The Form 06 roll-up (onestop/services/reporting/rollup.py): reading the closed days from the roll-up,
the dossiers open at a closed month's start from the stored open rows, and the rest live gives exactly
the live Form 06 — by desk and by resolver, per agency, for periods that end before, at and after the
watermark — over random histories with pauses, apologies, hand-offs, stops and withdrawals, and after
late events on closed days (a dossier received at 23:55 on a closed day, another at 23:58 and still open
at the month's start, a hand-off changing an old dossier's resolver, a finish one minute before local
midnight), before and after the job re-rolls them (docs/rules.md F1–F4; docs/operations.md, "The report
roll-up")."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from onestop.models import Dossier, ReportRollupDay, ReportRollupOpen, ReportRollupState
from onestop.services.dossiers.inputs import CompleteInput, WithdrawInput
from onestop.services.reporting import reports, rollup
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
    still_open = receive(session, now=hanoi(2026, 10, 31, 23, 58)).dossier  # open at the start of November
    _act(session, early, "withdraw", hanoi(2026, 10, 31, 23, 59), WithdrawInput(reason="Công dân rút"))
    waiting = [d for d in dossiers if not d.legs and d.finished_at is None and d.received_at is not None]
    if waiting:  # a hand-off today changes the resolver of a dossier received on a closed day
        _act(session, waiting[0], "transfer", hanoi(2026, 11, 19, 9))
    session.flush()
    stale = _both_ways(session)  # the closed days touched since are computed live
    assert stale > 0
    assert session.get(ReportRollupOpen, (date(2026, 11, 1), still_open.id)) is None  # not taken yet

    # The job re-rolls the touched days; twice (the second run rotates the watermark).
    again = refresh_rollup(session, hanoi(2026, 11, 20, 0, 20))
    assert again["rerolled_days"] >= 2
    _both_ways(session)
    refresh_rollup(session, hanoi(2026, 11, 20, 1, 20))
    _both_ways(session)
    state = session.get(ReportRollupState, 1)
    assert state.closed_before == date(2026, 11, 20)
    assert late.id <= state.last_dossier_id
    assert state.open_from == date(2026, 9, 1)
    assert session.get(ReportRollupOpen, (date(2026, 11, 1), still_open.id)) is not None  # taken again


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


def _bucket_counts(session, ag, first, last, *, rollup):
    start_m, as_of = reports.measured_at(ag, first, last, NOW)
    got = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, rollup=rollup)
    return {k: (v.row.in_progress_within, v.row.in_progress_overdue) for k, v in got.items()}


def test_a_closed_period_reads_its_open_dossiers_from_the_stored_rows(session):
    """The stored open rows are what a period ending at a month start reads (a wrong row shows, so the
    equality above is not vacuous); a period ending mid-month is computed live."""
    build_random(session, 11, n=40)
    for hour in (0, 1, 2):  # the third run leaves nothing touched
        refresh_rollup(session, hanoi(2026, 11, 1, hour, 20))
    ag = agency(session, "000.00.00.H25")
    october = (date(2026, 10, 1), date(2026, 10, 31))
    before = _bucket_counts(session, ag, *october, rollup=True)
    assert before == _bucket_counts(session, ag, *october, rollup=False)
    row = session.scalars(select(ReportRollupOpen).where(ReportRollupOpen.day == date(2026, 11, 1),
                                                         ReportRollupOpen.bucket == "W")).first()
    assert row is not None, "no dossier within its time at 01/11: the history proves nothing"
    row.bucket = "O"
    session.flush()
    after = _bucket_counts(session, ag, *october, rollup=True)
    assert sum(o for _w, o in after.values()) == sum(o for _w, o in before.values()) + 1
    assert sum(w for w, _o in after.values()) == sum(w for w, _o in before.values()) - 1
    mid = (date(2026, 10, 1), date(2026, 10, 20))  # ends at 21/10, not a stored moment: live
    assert _bucket_counts(session, ag, *mid, rollup=True) == _bucket_counts(session, ag, *mid, rollup=False)


def test_a_rollup_from_before_the_open_rows_takes_them_at_its_next_run(session):
    """A deployment whose roll-up predates the stored open rows (``open_from`` empty) reads its closed
    periods' open dossiers live until the next run takes every month start, then from the rows."""
    build_random(session, 5, n=30)
    refresh_rollup(session, hanoi(2026, 11, 1, 0, 20))
    state = session.get(ReportRollupState, 1)
    session.execute(delete(ReportRollupOpen))
    state.open_from = None
    session.flush()
    ag = agency(session, "000.00.00.H25")
    assert rollup.open_groups(session, None, "desk", date(2026, 11, 1), group_by_agency=False) is None
    _both_ways(session)
    refresh_rollup(session, hanoi(2026, 11, 1, 1, 20))
    assert state.open_from == date(2026, 9, 1)
    days = set(session.scalars(select(ReportRollupOpen.day).distinct()))
    assert days <= {date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)} and date(2026, 11, 1) in days
    assert rollup.open_groups(session, None, "desk", date(2026, 11, 1), group_by_agency=False) is not None
    assert _bucket_counts(session, ag, date(2026, 10, 1), date(2026, 10, 31), rollup=True) == \
        _bucket_counts(session, ag, date(2026, 10, 1), date(2026, 10, 31), rollup=False)
    _both_ways(session)


def test_month_rows_are_keyed_by_field_and_follow_a_procedure_moved_to_another_field(session):
    """A closed month is one row per desk, resolver, field, channel class and kind, however many
    procedures and dossiers share it; a procedure moved to another field is read from the day rows
    until the job has rolled the months again with the new field (docs/operations.md, "The report
    roll-up")."""
    build_random(session, 7, n=40)
    for hour in (0, 1, 2):
        refresh_rollup(session, hanoi(2026, 11, 1, hour, 20))
    r = ReportRollupDay
    month_rows = session.execute(select(r.receiving_agency_id, r.resolver_agency_id, r.field, r.channel,
                                        r.kind, r.bucket, r.procedure_id)
                                 .where(r.day == date(2026, 10, 1), r.kind.in_(("R", "F")))).all()
    assert month_rows and {row.procedure_id for row in month_rows} == {0}
    assert {row.channel for row in month_rows if row.kind == "R"} <= {"online", "other"}
    keys = [tuple(row)[:6] for row in month_rows]
    assert len(keys) == len(set(keys))  # one row per key
    october = (date(2026, 10, 1), date(2026, 10, 31))
    ag = agency(session, "000.00.00.H25")

    def form06(rollup_on):
        start_m, as_of = reports.measured_at(ag, *october, NOW)
        got = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, rollup=rollup_on)
        return {k: v.row.counts() for k, v in got.items()}

    received = session.scalar(select(Dossier).where(Dossier.received_at >= hanoi(2026, 10, 1),
                                                    Dossier.received_at < hanoi(2026, 10, 31)))
    received.procedure.field = "Lĩnh vực mới (thử)"
    session.flush()
    assert form06(True) == form06(False)  # the month rows are not read: their key is out of date
    assert ("Lĩnh vực mới (thử)" in {k[1] for k in form06(True)})
    refresh_rollup(session, hanoi(2026, 11, 1, 3, 20))
    assert session.scalar(select(func.count()).select_from(r).where(
        r.day == date(2026, 10, 1), r.field == "Lĩnh vực mới (thử)")) > 0
    assert form06(True) == form06(False)
