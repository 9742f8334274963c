"""Criterion scores with literal numbers: six dossiers at the commune in March 2026, measured as of
Friday 20/03/2026 09:00 — and the nightly metrics snapshot that holds the same counts."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from onestop.models import MetricSnapshot, ScoringRuleRow
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import ApologyInput, CompleteInput
from onestop.services.errors import ValidationFailed
from onestop.services.reporting.metrics import period_of, snapshot_metrics
from onestop.services.reporting.scores import (
    online_service_counts,
    parse_tiers,
    score_agency,
    seed_scoring_rules,
    update_rule,
)
from tests.factories import agency, receive, user
from tests.times import hanoi

AS_OF = hanoi(2026, 3, 20, 9)  # Friday


def _finish(session, d, at):
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=user(session, "t_head"), now=at)


def build_march(session) -> None:
    """1 early, 1 on time, 1 late (with an apology), 1 open overdue, 2 open within (1 online)."""
    clerk, head = user(session, "t_clerk"), user(session, "t_head")
    mon = hanoi(2026, 3, 2, 9)  # 5 working days → due Monday 09/03 17:00
    ds = [receive(session, now=mon).dossier for _ in range(4)]
    for d in ds:
        assert d.due_at == hanoi(2026, 3, 9, 17)
        apply_action(session, d, "transfer", actor=clerk, now=mon)
    _finish(session, ds[0], hanoi(2026, 3, 4, 10))  # early
    _finish(session, ds[1], hanoi(2026, 3, 9, 16))  # on time (same day)
    apply_action(session, ds[2], "apologise",
                 ApologyInput(reason="Chờ xác minh", new_due_at=hanoi(2026, 3, 12, 17)),
                 actor=head, now=hanoi(2026, 3, 6, 9))
    _finish(session, ds[2], hanoi(2026, 3, 10, 9))  # late, apologised
    # ds[3] stays open: overdue since 09/03 17:00
    d5 = receive(session, now=hanoi(2026, 3, 18, 9)).dossier  # due Wednesday 25/03 17:00
    assert d5.due_at == hanoi(2026, 3, 25, 17)
    receive(session, now=hanoi(2026, 3, 19, 9), channel="online")  # due 26/03


def test_seeding_scoring_rules_is_idempotent_and_keeps_admin_edits(session):
    # A scheduler process in another test may have committed the defaults already.
    session.execute(delete(ScoringRuleRow))
    assert seed_scoring_rules(session, AS_OF) == 14  # 766: 2.1, 3.3, 5.4 + 1.4, 3.6, 4.2–4.5, 5.2; PAR: 4
    row = session.scalar(select(ScoringRuleRow).where(ScoringRuleRow.criterion == "766.3.3"))
    row.max_points = Decimal(10)
    session.flush()
    assert seed_scoring_rules(session, AS_OF) == 0
    assert session.scalar(select(func.count()).select_from(ScoringRuleRow)) == 14
    assert session.get(ScoringRuleRow, row.id).max_points == Decimal(10)


def test_scores_for_the_commune_in_march_with_literal_numbers(session):
    build_march(session)
    rep = score_agency(session, agency(session, "000.00.31.H25"), date(2026, 3, 1), date(2026, 3, 31),
                       now=AS_OF, what_if_days=3)
    c = rep.counts
    assert (c.received_total, c.received_online, c.received_direct_postal, c.carried_over) == (6, 1, 5, 0)
    assert (c.resolved_early, c.resolved_on_time, c.resolved_late) == (1, 1, 1)
    assert (c.in_progress_within, c.in_progress_overdue) == (2, 1)
    by = {x.criterion: x for x in rep.criteria}
    # 766 indicator 2.1: (1 + 1 + 2) / 6 = 66.67 % → 0.6667 × 20 = 13.33 points.
    assert by["766.2.1"].measured == Decimal("0.6667") and by["766.2.1"].points == Decimal("13.33")
    assert by["766.2.1"].max_points == Decimal(20)
    # 3.3: 1 online of 6 received in the period = 16.67 %; full at 50 % → 0.1667 × 8 / 0.5 = 2.67.
    assert by["766.3.3"].measured == Decimal("0.1667") and by["766.3.3"].points == Decimal("2.67")
    # 5.4: 100 % − 2/6 late = 66.67 %; full at 90 % → 0.6667 × 6 / 0.9 = 4.44.
    assert by["766.5.4"].measured == Decimal("0.6667") and by["766.5.4"].points == Decimal("4.44")
    # PAR: on time 66.67 % is under the lowest tier (80 %) → 0; 1 of 2 late dossiers apologised → 0
    # (all-or-nothing); no feedback due → nothing arose → full marks.
    assert by["par.tthc.on_time"].points == Decimal("0.00")
    apology, complaints = by["par.tthc.apology"], by["par.tthc.complaints"]
    assert apology.measured == Decimal("0.5000") and apology.points == Decimal("0.00")
    assert complaints.measured == Decimal(1) and complaints.points == Decimal("1.00")
    full, total = online_service_counts(session)
    online = by["par.tthc.online_services"]
    assert online.denominator == total and online.numerator == full
    # What-if over the next 3 working days (to Wednesday 25/03 17:00): one dossier is due.
    wi = rep.what_if
    assert wi is not None and wi.due_next == 1 and wi.horizon == hanoi(2026, 3, 25, 17)
    assert wi.rate_if_on_time == Decimal("0.6667") and wi.points_if_on_time["766.2.1"] == Decimal("13.33")
    assert wi.rate_if_late == Decimal("0.5000") and wi.points_if_late["766.2.1"] == Decimal("10.00")
    # The other 766 indicators (services/reporting/index766.py): nothing synced, paid online, digitised,
    # reused or verified → 0; no complaint due (5.2) → full 2 of 2.
    assert by["766.5.2"].points == Decimal("2.00") and by["766.4.2"].points == Decimal("0.00")
    assert rep.totals()["766"] == (Decimal("22.44"), Decimal(52))


def test_another_commune_sees_none_of_these_dossiers(session):
    build_march(session)
    rep = score_agency(session, agency(session, "000.00.32.H25"), date(2026, 3, 1),
                       date(2026, 3, 31), now=AS_OF)
    assert rep.counts.received_total == 0
    assert {x.criterion: x.points for x in rep.criteria}["766.2.1"] == Decimal("20.00")  # nothing arose


def test_nightly_snapshot_rolls_up_the_tree_and_is_idempotent(session):
    build_march(session)
    first = snapshot_metrics(session, AS_OF)
    rows = session.scalar(select(func.count()).select_from(MetricSnapshot))
    again = snapshot_metrics(session, AS_OF)
    assert first == again and session.scalar(select(func.count()).select_from(MetricSnapshot)) == rows
    start, end = period_of("month", date(2026, 3, 20))
    assert (start, end) == (date(2026, 3, 1), date(2026, 3, 31))
    for ident in ("000.01.31.H25", "000.00.31.H25", "000.00.00.H25"):  # centre → commune → province
        snap = session.scalar(select(MetricSnapshot).where(
            MetricSnapshot.agency_id == agency(session, ident).id, MetricSnapshot.field == "",
            MetricSnapshot.period_kind == "month", MetricSnapshot.period_start == start))
        assert snap is not None, ident
        data = snap.data
        assert (data["received_total"], data["resolved_late"], data["in_progress_overdue"]) == (6, 1, 1)
        assert data["on_time_rate"] == "0.6667" and data["late_apologised"] == 1
    by_field = session.scalar(select(MetricSnapshot).where(
        MetricSnapshot.agency_id == agency(session, "000.00.31.H25").id, MetricSnapshot.field == "Hộ tịch",
        MetricSnapshot.period_kind == "quarter"))
    assert by_field is not None and by_field.data["received_total"] == 6
    assert by_field.period_start == date(2026, 1, 1) and by_field.period_end == date(2026, 3, 31)


def test_admin_edits_a_rule_and_bad_input_is_refused(session):
    seed_scoring_rules(session, AS_OF)
    row = session.scalar(select(ScoringRuleRow).where(ScoringRuleRow.criterion == "par.tthc.on_time"))
    update_rule(session, row.id, title="", max_points="3", kind="tiers", threshold="",
                tiers="100%:3; 0.9:2; 0.6:1", effective_from=date(2026, 1, 1), effective_to=None,
                note="QĐ tỉnh 2026",
                actor_id=None, now=AS_OF)
    assert row.tiers == [["1", "3"], ["0.9", "2"], ["0.6", "1"]]
    with pytest.raises(ValidationFailed):
        update_rule(session, row.id, title="", max_points="3", kind="tiers", threshold="", tiers="1:5",
                    effective_from=date(2026, 1, 1), effective_to=None, note="", actor_id=None, now=AS_OF)
    with pytest.raises(ValidationFailed):
        parse_tiers("abc")


def test_edited_rule_changes_the_points(session):
    build_march(session)
    seed_scoring_rules(session, AS_OF)
    row = session.scalar(select(ScoringRuleRow).where(ScoringRuleRow.criterion == "par.tthc.on_time"))
    update_rule(session, row.id, title="", max_points="3", kind="tiers", threshold="",
                tiers="1:3; 0.9:2; 0.6:1", effective_from=date(2026, 1, 1), effective_to=None, note="",
                actor_id=None, now=AS_OF)
    rep = score_agency(session, agency(session, "000.00.31.H25"), date(2026, 3, 1),
                       date(2026, 3, 31), now=AS_OF)
    assert {x.criterion: x.points for x in rep.criteria}["par.tthc.on_time"] == Decimal("1.00")  # ≥ 60 %
