"""Every month of a trend in one statement (onestop/services/reporting/months.py) gives exactly what each
month measured alone gives — the Form 06 buckets with apologies and unhappy dossiers, the counts behind
the scores, and the scores themselves — by desk and by resolver, over random histories with pauses,
apologies, hand-offs, stops, withdrawals and complaints, with a month still running, months that do
not touch, a month with no dossier and moments one minute around local midnight (docs/rules.md, "Form
06 and the on-time rate")."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from onestop.services.reporting import reports
from onestop.services.reporting.metrics import subtree_counts
from onestop.services.reporting.months import form06_counts_by_month, subtree_counts_by_month
from onestop.services.reporting.scores import score_agency, score_months
from tests.factories import agency
from tests.services.test_form06_one_answer import NOW, SCOPES, TZ, build_random
from tests.times import hanoi

# August has no dossier; November is still running at NOW.
SPANS = [(date(2026, 8, 1), date(2026, 8, 31)), (date(2026, 9, 1), date(2026, 9, 30)),
         (date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 11, 1), date(2026, 11, 30))]


def _moments(ag, spans, now: datetime) -> list[tuple[datetime, datetime]]:
    return [reports.measured_at(ag, s, e, now) for s, e in spans]


def _buckets(got) -> dict:
    return {k: (b.row.counts(), b.late_apologised, b.unhappy) for k, b in got.items()}


@pytest.mark.parametrize("seed", [20261130, 3])
def test_all_months_in_one_statement_equal_each_month_alone(session, seed):
    build_random(session, seed)
    odd = [  # not contiguous, overlapping, and around local midnight
        (hanoi(2026, 9, 14, 23, 59), hanoi(2026, 10, 2, 0, 1)),
        (hanoi(2026, 10, 1), hanoi(2026, 10, 20, 17)),
        (hanoi(2026, 11, 5), hanoi(2026, 11, 5)),  # empty: the moment is not after the start
    ]
    compared = 0
    for ident, by in SCOPES:
        ag = agency(session, ident)
        for months in (_moments(ag, SPANS, NOW), odd):
            together = form06_counts_by_month(session, ag, months, tz=TZ, by=by, extras=True)
            alone = [reports.form06_counts(session, ag, s, a, tz=TZ, by=by, extras=True, rollup=False)
                     for s, a in months]
            assert [_buckets(g) for g in together] == [_buckets(g) for g in alone], (ident, by)
            counts = subtree_counts_by_month(session, ag, months, TZ, by=by)
            assert counts == [subtree_counts(session, ag, s, a, TZ, by=by) if a > s else counts[i]
                              for i, (s, a) in enumerate(months)], (ident, by)
            compared += sum(1 for g in alone if g)
    assert compared > 20  # the histories do put dossiers in most months and scopes


def test_the_scores_of_each_month_equal_score_agency_month_by_month(session):
    build_random(session, 11)
    for ident, by in SCOPES[:4]:
        ag = agency(session, ident)
        months = score_months(session, ag, SPANS, now=NOW, tz=TZ, by=by,
                              file_values=[{} for _ in SPANS])
        for (start, end), got in zip(SPANS, months, strict=True):
            alone = score_agency(session, ag, start, end, now=NOW, tz=TZ, by=by, file_values={})
            assert got.counts == alone.counts, (ident, by, start)
            assert [(c.criterion, c.numerator, c.denominator, c.points) for c in got.criteria] == \
                [(c.criterion, c.numerator, c.denominator, c.points) for c in alone.criteria], (ident, by)
            assert got.as_of == alone.as_of
        assert months[0].counts.received_total == 0  # August: nothing received, nothing carried over
        assert months[2].counts.received_total > 0


def test_a_dossier_open_across_month_ends_is_judged_as_of_each_end(session):
    from onestop.services.dossiers.actions import apply_action
    from tests.factories import receive, user

    # 1.004884: 5 working days. Received Thu 29/10 09:00 → due Thu 05/11 17:00; still open on 20/11.
    d = receive(session, now=hanoi(2026, 10, 29, 9), procedure_code="1.004884").dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 10, 29, 9, 5))
    commune = agency(session, "000.00.31.H25")
    months = _moments(commune, SPANS[2:], NOW)
    october, november = form06_counts_by_month(session, commune, months, tz=TZ)
    (oct_row,) = [b.row for b in october.values()]
    (nov_row,) = [b.row for b in november.values()]
    # Received in October, within time at its end; carried into November and overdue on 20/11.
    assert (oct_row.received_direct_postal, oct_row.in_progress_within,
            oct_row.in_progress_overdue) == (1, 1, 0)
    assert (nov_row.carried_over, nov_row.in_progress_within, nov_row.in_progress_overdue) == (1, 0, 1)
    # One minute before the due time it was still within; the due time itself is not yet late.
    due = d.due_at
    (before,) = form06_counts_by_month(session, commune, [(months[1][0], due - timedelta(minutes=1))], tz=TZ)
    assert [b.row.in_progress_within for b in before.values()] == [1]


def test_each_month_reads_the_due_time_in_force_at_its_own_moment(session):
    from onestop.services.admin import calendar_changes
    from onestop.services.dossiers.actions import apply_action
    from tests.factories import receive, user

    # 1.004884: 5 working days. Received Mon 26/10 09:00 → due Mon 02/11 17:00. On Sun 01/11 an admin
    # closes Mon 02/11: the due time moves to Tue 03/11 17:00, as a recorded re-plan event.
    d = receive(session, now=hanoi(2026, 10, 26, 9), procedure_code="1.004884").dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 10, 26, 9, 5))
    old_due = d.due_at
    _, moved = calendar_changes.add_calendar_exception(
        session, on=date(2026, 11, 2), working=False, note="Nghỉ bù", agency=None,
        actor=user(session, "t_admin"), now=hanoi(2026, 11, 1, 10))
    assert moved == 1 and d.due_at > old_due
    commune = agency(session, "000.00.31.H25")
    # Moments after the old due time: before the re-plan was recorded (31/10 is not: the old due time
    # had not passed) and after it. Each month reads the due time in force at ITS moment.
    months = [(hanoi(2026, 10, 1), hanoi(2026, 10, 31, 23, 59)), (hanoi(2026, 10, 1), hanoi(2026, 11, 2, 18))]
    together = form06_counts_by_month(session, commune, months, tz=TZ)
    alone = [reports.form06_counts(session, commune, s, a, tz=TZ, rollup=False) for s, a in months]
    assert [_buckets(g) for g in together] == [_buckets(g) for g in alone]
    # On 02/11 18:00 the due time in force is 03/11 17:00 (the re-plan came before): within time.
    assert [(b.row.in_progress_within, b.row.in_progress_overdue) for b in together[1].values()] == [(1, 0)]
