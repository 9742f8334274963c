from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from onestop.domain.metrics import FORM06_COLUMNS, Form06Row, form06_bucket, identity_errors, period_bounds
from onestop.models import Dossier, PauseInterval, ReportSnapshot
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import WithdrawInput
from onestop.services.errors import Conflict, ValidationFailed
from onestop.services.reporting import reports
from tests.factories import agency, user
from tests.services.test_reports_data import (
    EXPECTED_MARCH,
    LATER,
    MARCH,
    build_march,
    complete,
    open_,
    provide,
    supplement,
)
from tests.times import hanoi

COMMUNE = "000.00.31.H25"  # UBND xã Tân Lạc (its service centre receives)


def _rows(report: reports.Form06) -> dict[str, dict[str, int]]:
    return {r.field: r.counts() for r in report.rows}


def test_form06_of_a_literal_month_matches_the_hand_computed_numbers(session):
    build_march(session)
    report = reports.form06(session, agency(session, COMMUNE), *MARCH, now=LATER)
    assert _rows(report) == EXPECTED_MARCH
    assert [r.field for r in report.rows] == ["Cư trú", "Hộ tịch"]
    assert report.totals.counts() == {
        "received_total": 9, "received_online": 1, "received_direct_postal": 7, "carried_over": 1,
        "resolved_total": 5, "resolved_early": 2, "resolved_on_time": 1, "resolved_late": 2,
        "in_progress_total": 4, "in_progress_within": 2, "in_progress_overdue": 2,
    }
    assert report.identity_errors() == []
    assert str(report.totals.late_rate) == "0.4444"  # (2 late + 2 overdue) / 9


def test_form06_counts_the_subtree_only(session):
    build_march(session)
    other = reports.form06(session, agency(session, "000.00.32.H25"), *MARCH, now=LATER)
    assert other.rows == [] and other.totals.received_total == 0
    province = reports.form06(session, agency(session, "000.00.00.H25"), *MARCH, now=LATER)
    assert province.totals.received_total == 9


def test_carried_over_from_the_previous_period_and_next_period_carry(session):
    data = build_march(session)
    april = reports.form06(session, agency(session, COMMUNE), date(2026, 4, 1), date(2026, 4, 30), now=LATER)
    # open at 31/03 (overdue, within, paused, residence) carry into April; the April one is new.
    assert april.totals.carried_over == 4
    assert april.totals.received_direct_postal == 1
    assert data.open_overdue.finished_at is None


def test_a_past_period_is_identical_after_later_finishes_and_due_changes(session):
    data = build_march(session)
    commune = agency(session, COMMUNE)
    before = reports.form06(session, commune, *MARCH, now=LATER).as_json()
    paused_due = data.paused.due_at
    # After the period: the supplement arrives (the due time moves, recorded as an event) …
    provide(session, data.paused, hanoi(2026, 4, 2, 9))
    assert data.paused.due_at != paused_due
    # … the overdue and the within dossiers are finished, and the within one gets a second supplement.
    complete(session, data.open_overdue, hanoi(2026, 4, 3, 9))
    supplement(session, data.open_within, hanoi(2026, 4, 1, 9))
    provide(session, data.open_within, hanoi(2026, 4, 1, 14))
    supplement(session, data.open_within, hanoi(2026, 4, 2, 9))
    session.flush()
    assert reports.form06(session, commune, *MARCH, now=LATER).as_json() == before


def test_due_in_force_at_the_end_is_read_from_the_event_log(session):
    d = open_(session, hanoi(2026, 3, 20, 10))
    supplement(session, d, hanoi(2026, 3, 26, 9))
    old_due = d.due_at
    provide(session, d, hanoi(2026, 4, 2, 9))
    new_due = d.due_at
    assert new_due > old_due
    due = reports.due_in_force_at(session, Dossier.id, Dossier.due_at, hanoi(2026, 4, 1, 0, 0))
    assert session.scalar(select(due).where(Dossier.id == d.id)) == old_due
    due_now = reports.due_in_force_at(session, Dossier.id, Dossier.due_at, hanoi(2026, 4, 3, 0, 0))
    assert session.scalar(select(due_now).where(Dossier.id == d.id)) == new_due


def test_pause_started_after_the_deadline_does_not_stop_lateness(session):
    d = open_(session, hanoi(2026, 3, 2, 9))  # due Mon 09/03 17:00
    supplement(session, d, hanoi(2026, 3, 12, 9))
    report = reports.form06(session, agency(session, COMMUNE), *MARCH, now=LATER)
    assert report.totals.in_progress_overdue == 1 and report.totals.in_progress_within == 0


def test_closing_a_period_stores_a_snapshot_once_and_only_after_it_ended(session):
    build_march(session)
    commune = agency(session, COMMUNE)
    head = user(session, "t_head")
    with pytest.raises(ValidationFailed):
        reports.close_period(session, commune, *MARCH, actor=head, now=hanoi(2026, 3, 31, 20))
    snap = reports.close_period(session, commune, *MARCH, actor=head, now=hanoi(2026, 4, 1, 8))
    assert snap.data["totals"]["received_total"] == 9
    assert snap.data["rows"][1]["field"] == "Hộ tịch"
    with pytest.raises(Conflict):
        reports.close_period(session, commune, *MARCH, actor=head, now=hanoi(2026, 4, 2, 8))
    assert session.scalar(select(ReportSnapshot.closed_by_id)) == head.id


@pytest.mark.parametrize("kind,value,expected", [
    ("month", "2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
    ("quarter", "2026-Q4", (date(2026, 10, 1), date(2026, 12, 31))),
    ("quarter", "2025-q1", (date(2025, 1, 1), date(2025, 3, 31))),
    ("year", "2025", (date(2025, 1, 1), date(2025, 12, 31))),
])
def test_period_selectors(kind, value, expected):
    assert reports.parse_period(kind, value) == expected


def test_bad_periods_are_validation_errors():
    for args in (("month", "2026-13"), ("quarter", "2026-Q5"), ("week", "1"),
                 ("custom", "", "2026-03-02", "2026-03-01")):
        with pytest.raises(ValidationFailed):
            reports.parse_period(*args)


def _python_form06(session, commune, start, end) -> dict[str, Form06Row]:
    """Reference: the pure per-dossier rule over every dossier, with the as-of inputs read in Python."""
    tz = "Asia/Ho_Chi_Minh"
    start_m, end_m = period_bounds(start, end, tz)
    out: dict[str, Form06Row] = {}
    for d in session.scalars(select(Dossier)):
        if not d.receiving_agency.path.startswith(commune.path):
            continue
        due = d.due_at
        for ev in d.events:  # first due change after the end: its old value was in force
            if ev.at >= end_m and "old_due_at" in (ev.payload or {}):
                from datetime import datetime
                due = datetime.fromisoformat(ev.payload["old_due_at"])
                break
        pause = next(
            (p for p in session.scalars(select(PauseInterval).where(PauseInterval.dossier_id == d.id))
                      if p.started_at < end_m and (p.ended_at is None or p.ended_at >= end_m)), None)
        requests = sum(1 for ev in d.events if ev.action == "request_supplement" and ev.at < end_m)
        row = form06_bucket(received_at=d.received_at, finished_at=d.finished_at, due_at=due,
                            channel=d.channel,
                            supplement_requests=requests, paused_since=pause.started_at if pause else None,
                            start_moment=start_m, end_moment=end_m, tz=tz, field=d.procedure.field)
        if row is not None:
            out.setdefault(row.field, Form06Row(field=row.field)).add(row)
    return out


def test_sql_agrees_with_the_pure_rule_and_identities_hold_on_random_data(session):
    rng = random.Random(20260301)
    codes = ["1.004884", "1.004222", "1.000894", "1.001022"]
    events = []
    for _ in range(40):
        when = hanoi(2026, 2, 1, 9) + timedelta(days=rng.randrange(0, 70), hours=rng.randrange(0, 8))
        d = open_(session, when, code=rng.choice(codes), channel=rng.choice(["direct", "online", "postal"]))
        t = when + timedelta(hours=2)
        for _step in range(rng.randrange(0, 3)):
            supplement(session, d, t)
            t += timedelta(days=rng.randrange(1, 5))
            provide(session, d, t)
            t += timedelta(hours=3)
        roll = rng.random()
        if roll < 0.6:
            complete(session, d, t + timedelta(days=rng.randrange(0, 12)))
        elif roll < 0.7:
            apply_action(session, d, "withdraw",
                         WithdrawInput(reason="Rút"), actor=user(session, "t_clerk"), now=t)
        elif roll < 0.8:
            supplement(session, d, t)
        events.append(d)
    session.flush()
    commune = agency(session, COMMUNE)
    for start, end in (MARCH, (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 2, 15), date(2026, 4, 10))):
        report = reports.form06(session, commune, start, end, now=LATER)
        assert report.identity_errors() == []
        expected = _python_form06(session, commune, start, end)
        assert {r.field: r.counts() for r in report.rows} == {k: v.counts() for k, v in expected.items()}
        for r in report.rows:
            assert identity_errors(r) == []
        assert sum(r.received_total for r in report.rows) == report.totals.received_total


def test_columns_are_the_official_order():
    assert FORM06_COLUMNS[0] == "received_total" and FORM06_COLUMNS[-1] == "in_progress_overdue"
    assert len(FORM06_COLUMNS) == 11


def test_each_dossier_reads_its_own_due_change_not_another_dossiers(session):
    data = build_march(session)
    commune = agency(session, COMMUNE)
    # Another dossier, due Mon 09/03, paused 03/03, supplied only after the period: its event after the
    # end carries an old due time (09/03) earlier than the paused dossier's pause start (26/03).
    other = open_(session, hanoi(2026, 3, 2, 9))
    supplement(session, other, hanoi(2026, 3, 3, 9))
    provide(session, other, hanoi(2026, 4, 2, 9))
    report = reports.form06(session, commune, *MARCH, now=LATER)
    # The paused dossier stays within time; the other was paused before its due time: within too.
    assert report.totals.in_progress_within == 3
    assert report.totals.in_progress_overdue == 2
    assert data.paused.status == "awaiting_supplement"
