"""An apology (form 04, a new promised date) followed by a citizen's pause that pushes the statutory
due time past the promised date: the promise moves by the same paused working time, so it stays after
the due time, and the pause-end event records the old and new promised dates; the statutory due time
still decides on-time (docs/rules.md, "Timing" T14)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from onestop.domain.status import DossierStatus
from onestop.models import DossierEvent
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    ApologyInput,
    PaymentRequestInput,
    SupplementRequestInput,
    WithdrawInput,
)
from tests.factories import receive, user
from tests.times import MONDAY, TUESDAY

NEXT_TUE = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # five working days after TUE
DUE = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # 1.004884: 5 working days → Mon 09/03 17:00 +07
PROMISE = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)  # Thu 12/03 17:00 +07


def _apologised(session):
    d = receive(session, now=MONDAY).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    assert d.due_at == DUE
    apply_action(session, d, "apologise",
                 ApologyInput(reason="Chờ xác minh", new_due_at=PROMISE),
                 actor=user(session, "t_officer"), now=TUESDAY)
    return d


def _last_event(session, d) -> DossierEvent:
    session.flush()
    return session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id)
                           .order_by(DossierEvent.seq.desc()).limit(1)).one()


def test_a_pause_after_an_apology_moves_the_promise_by_the_paused_working_time(session):
    d = _apologised(session)
    officer, clerk = user(session, "t_officer"), user(session, "t_clerk")
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu", missing_items=("Tờ khai",)),
                 actor=officer, now=TUESDAY + timedelta(hours=1))
    apply_action(session, d, "provide_supplement", actor=clerk, now=NEXT_TUE + timedelta(hours=1))
    assert d.status == DossierStatus.PROCESSING.value
    assert d.due_at == datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # five working days later
    assert d.promised_due_at == datetime(2026, 3, 19, 10, 0, tzinfo=UTC)  # also five working days later
    assert d.promised_due_at > d.due_at
    ev = _last_event(session, d)
    assert ev.action == "provide_supplement"
    assert ev.payload["old_promised_due_at"] == PROMISE.isoformat()
    assert ev.payload["promised_due_at"] == d.promised_due_at.isoformat()


def test_a_withdrawal_during_a_pause_after_an_apology_succeeds(session):
    d = _apologised(session)
    apply_action(session, d, "request_payment",
                 PaymentRequestInput(reason="Lệ phí"),
                 actor=user(session, "t_officer"), now=TUESDAY + timedelta(hours=1))
    apply_action(session, d, "withdraw",
                 WithdrawInput(reason="Công dân rút"),
                 actor=user(session, "t_clerk"), now=NEXT_TUE + timedelta(hours=1))
    assert d.status == DossierStatus.WITHDRAWN.value
    assert d.promised_due_at is not None and d.due_at is not None and d.promised_due_at > d.due_at


def test_a_restart_after_an_apology_keeps_the_promise_after_the_new_due_time(session):
    # 1.013992: 7 working days, regime "restart"; received at the provincial centre.
    d = receive(session, now=MONDAY, procedure_code="1.013992", clerk="t_pclerk").dossier
    clerk = None  # the system actor: the case is about the timing, not who may act
    due = d.due_at
    promise = due + timedelta(days=1)
    apply_action(session, d, "apologise",
                 ApologyInput(reason="Chờ xác minh", new_due_at=promise), actor=clerk, now=TUESDAY)
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu", missing_items=("Trích đo",)),
                 actor=clerk, now=TUESDAY + timedelta(hours=1))
    apply_action(session, d, "provide_supplement", actor=clerk, now=NEXT_TUE + timedelta(hours=1))
    assert d.due_at > promise  # the limit counted afresh
    assert d.promised_due_at is not None and d.promised_due_at > d.due_at
    ev = _last_event(session, d)
    assert ev.payload["old_promised_due_at"] == promise.isoformat()
