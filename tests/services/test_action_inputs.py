"""Typed action inputs: each action takes its own frozen dataclass; an input of another action (or a
loose dict) is refused before anything is read or changed; loosely typed values (a form, a JSON
body) are turned into an input field by field; stop and withdrawal share one ending."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from onestop.domain.status import DossierAction as A
from onestop.models import Dossier, DossierEvent, HandoffLeg, PauseInterval
from onestop.services.dossiers.actions import apply_action, input_type_for
from onestop.services.dossiers.inputs import (
    ActionInput,
    AssignInput,
    CompleteInput,
    StopInput,
    SupplementRequestInput,
    TransferInput,
    WithdrawInput,
    input_from,
)
from onestop.services.errors import ValidationFailed
from tests.factories import receive, user
from tests.times import MONDAY, TUESDAY

FRI = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)


def _state(session, d: Dossier) -> tuple[str, int, int, int, int]:
    session.flush()
    def count(model: Any) -> int:
        n = session.scalar(select(func.count()).select_from(model).where(model.dossier_id == d.id))
        return int(n or 0)

    return d.status, d.version, count(DossierEvent), count(HandoffLeg), count(PauseInterval)


def _processing(session) -> Dossier:
    d = receive(session, now=MONDAY).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=MONDAY)
    apply_action(session, d, A.ASSIGN, AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=MONDAY)
    return d


@pytest.mark.parametrize(("action", "wrong"), [
    (A.STOP, WithdrawInput(reason="Công dân rút")),             # a sibling's input
    (A.COMPLETE, StopInput(reason="Dừng")),
    (A.REQUEST_SUPPLEMENT, ActionInput(note="không có danh sách")),  # the base class is not enough
    (A.TRANSFER, {"to_agency_id": 1}),                           # a loose dict
])
def test_an_input_of_another_action_is_refused_before_anything_changes(session, action, wrong):
    d = _processing(session) if action != A.TRANSFER else receive(session, now=MONDAY).dossier
    before = _state(session, d)
    with pytest.raises(TypeError, match=action.value):
        apply_action(session, d, action, wrong, actor=user(session, "t_officer"), now=TUESDAY)
    assert _state(session, d) == before


def test_every_action_takes_one_frozen_input_class():
    takes_data = {}
    for action in A:
        if action in (A.SUBMIT_ONLINE, A.REISSUE_SECRET):
            continue
        cls = input_type_for(action)
        assert issubclass(cls, ActionInput) and dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        if cls is not ActionInput:
            takes_data[action] = cls
    # One class per action that takes data: no two actions share one.
    assert len(set(takes_data.values())) == len(takes_data)
    assert input_type_for("stop") is StopInput and input_type_for(A.TRANSFER) is TransferInput


def test_loose_values_become_an_input_field_by_field():
    got = input_from(SupplementRequestInput, {"reason": "Thiếu", "missing_items": ["Bản sao", "Tờ khai"],
                                              "officer_id": 3, "unknown": object()})
    assert got == SupplementRequestInput(reason="Thiếu", missing_items=("Bản sao", "Tờ khai"))
    with pytest.raises(ValidationFailed) as exc:
        input_from(SupplementRequestInput, {"reason": 5, "missing_items": ["ok", 7], "note": "x"})
    assert set(exc.value.errors) == {"reason", "missing_items"}
    with pytest.raises(ValidationFailed) as exc:
        input_from(AssignInput, {"officer_id": True})  # a bool is not an id
    assert set(exc.value.errors) == {"officer_id"}
    assert input_from(AssignInput, {"officer_id": None}) == AssignInput()
    assert input_from(CompleteInput, {}) == CompleteInput()


def test_a_missing_input_is_the_input_with_its_defaults(session):
    """``apply_action(…, A.STOP)`` without an input is a stop without a reason: refused under the field."""
    d = _processing(session)
    session.commit()  # the refusal is rolled back by the caller, as the web and API do
    before = _state(session, d)
    with pytest.raises(ValidationFailed) as exc:
        apply_action(session, d, A.STOP, actor=user(session, "t_head"), now=TUESDAY)
    assert exc.value.errors == {"reason": StopInput.REASON_MISSING}
    session.rollback()
    d = session.get(Dossier, d.id)
    assert _state(session, d)[:3] == before[:3]


@pytest.mark.parametrize(("action", "cls", "who"), [(A.STOP, StopInput, "t_head"),
                                                   (A.WITHDRAW, WithdrawInput, "t_clerk")])
def test_stop_and_withdrawal_end_the_same_way(session, action, cls, who):
    """One ending path: the open pause is closed with its working time excluded (docs/rules.md T8)
    and the due change recorded; only the reason asked for differs."""
    d = _processing(session)
    apply_action(session, d, A.REQUEST_SUPPLEMENT,
                 SupplementRequestInput(reason="Thiếu", missing_items=("A",)),
                 actor=user(session, "t_officer"), now=TUESDAY)
    session.commit()
    old_due = d.due_at
    with pytest.raises(ValidationFailed) as exc:
        apply_action(session, d, action, cls(reason="  "), actor=user(session, who), now=FRI)
    assert exc.value.errors == {"reason": cls.REASON_MISSING}
    session.rollback()
    d = session.get(Dossier, d.id)
    ev = apply_action(session, d, action, cls(reason="Lý do"), actor=user(session, who), now=FRI)
    assert ev.note == "Lý do" and ev.payload["reason"] == "Lý do"
    assert ev.payload["old_due_at"] == old_due.isoformat() and d.due_at > old_due
    assert all(p.ended_at is not None for p in d.pauses)
    assert all(leg.finished_at is not None for leg in d.legs)
