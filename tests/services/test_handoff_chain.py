"""Liên thông through the services: procedure 3.000722 (birth registration +
residence + health insurance card for under-6s), chain UBND xã (40 %) → Công an
xã (30 %) → BHXH (30 %) of 3 working days. Each leg has its own deadline from
its acknowledgement, and its own result; the dossier keeps one code."""
from __future__ import annotations

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput
from tests.factories import receive, user
from tests.times import hanoi


def test_three_agency_chain_with_per_leg_deadlines_and_results(session):
    d = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code="3.000722").dossier
    code = d.code
    assert d.due_at == hanoi(2026, 3, 5, 17)  # 3 working days after Mon 02/03
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    leg1 = d.legs[0]
    assert leg1.to_agency.identifier == "000.00.31.H25" and leg1.acknowledged_at == hanoi(2026, 3, 2, 9)
    # 40 % of 3 × 450 working minutes = 540 min from Mon 09:00 → Tue 10:30.
    assert leg1.due_at == hanoi(2026, 3, 3, 10, 30)

    apply_action(session, d, "hand_off", actor=user(session, "t_officer"), now=hanoi(2026, 3, 2, 10))
    leg2 = d.legs[1]
    assert leg2.to_agency.identifier == "000.02.31.H25" and leg2.acknowledged_at is None
    assert leg1.result == "early"
    apply_action(session, d, "acknowledge", actor=user(session, "t_police"), now=hanoi(2026, 3, 2, 14))
    assert leg2.due_at == hanoi(2026, 3, 3, 11, 15)  # 405 min from Mon 14:00

    apply_action(session, d, "hand_off", actor=user(session, "t_police"), now=hanoi(2026, 3, 3, 11))
    assert leg2.result == "on_time"
    leg3 = d.legs[2]
    assert leg3.to_agency.identifier == "000.00.12.H25"
    apply_action(session, d, "acknowledge", actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 3, 13, 30))
    assert leg3.due_at == hanoi(2026, 3, 4, 10, 45)

    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp thẻ BHYT"), actor=user(session, "t_bhxh"),
                 now=hanoi(2026, 3, 5, 9))
    assert leg3.result == "late"
    assert d.status == "result_ready" and d.code == code
    assert d.current_agency.identifier == "000.01.31.H25"  # back to the desk
    apply_action(session, d, "return_result", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 5, 10))
    assert d.status == "returned"
    assert [lg.result for lg in d.legs] == ["early", "on_time", "late"]
    assert [e.action for e in d.events] == [
        "receive", "transfer", "hand_off", "acknowledge", "hand_off", "acknowledge", "complete",
        "return_result"]


def test_hand_back_returns_to_the_sender(session):
    d = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code="3.000722").dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    apply_action(session, d, "hand_off", actor=user(session, "t_officer"), now=hanoi(2026, 3, 2, 10))
    apply_action(session, d, "acknowledge", actor=user(session, "t_police"), now=hanoi(2026, 3, 2, 11))
    apply_action(session, d, "hand_back", actor=user(session, "t_police"), now=hanoi(2026, 3, 2, 15))
    assert d.legs[-1].to_agency.identifier == "000.00.31.H25"
    assert d.current_agency.identifier == "000.00.31.H25"
    assert d.legs[1].result is not None and d.legs[1].finished_at == hanoi(2026, 3, 2, 15)
