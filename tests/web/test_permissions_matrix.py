"""Permission matrix: every DossierAction × every role × own / other agency, through the
staff API. Allowed ones succeed and append exactly one event; forbidden ones answer 403
(role, or not the holder of the leg), 404 (another agency's dossier: like an unknown code)
or 409 (wrong status) and change nothing: status, version, updated_at, event count,
holder, assignee, legs and pauses all as before. On a liên thông leg the holder is Công an
xã Tân Lạc: the sender (UBND xã, its parent in the agency tree) may not acknowledge or hand
back."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from onestop.domain.status import DossierAction as A
from onestop.models import Dossier, DossierEvent, HandoffLeg, PauseInterval
from onestop.services.admin.accounts import issue_token
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    AssignInput,
    CompleteInput,
    HandOffInput,
    PaymentRequestInput,
    SupplementRequestInput,
)
from tests.factories import agency, receive, user
from tests.times import MONDAY

LATER = MONDAY + timedelta(hours=1)

# What each role may do, written out here (not read from workflow.ROLE_ACTIONS) so
# that a change in the table has to be a deliberate change in this test too.
ALLOWED: dict[str, set[A]] = {
    "clerk": {A.SUBMIT_ONLINE, A.RECEIVE, A.REQUEST_SUPPLEMENT, A.REFUSE, A.TRANSFER, A.PROVIDE_SUPPLEMENT,
              A.CONFIRM_PAYMENT, A.RETURN_RESULT, A.WITHDRAW},
    "officer": {A.REQUEST_SUPPLEMENT, A.PROVIDE_SUPPLEMENT, A.REQUEST_PAYMENT, A.CONFIRM_PAYMENT, A.HAND_OFF,
                A.ACKNOWLEDGE, A.HAND_BACK, A.APOLOGISE, A.STOP, A.COMPLETE},
    "head": {A.ASSIGN, A.REQUEST_SUPPLEMENT, A.PROVIDE_SUPPLEMENT, A.REQUEST_PAYMENT, A.CONFIRM_PAYMENT,
             A.HAND_OFF, A.ACKNOWLEDGE, A.HAND_BACK, A.APOLOGISE, A.STOP, A.COMPLETE},
    "admin": set(),
}
# Own agency: the Tân Lạc desk (clerk) and People's Committee (officer, head) that
# receive and process the dossier; the admin sits at the province root.
OWN = {"clerk": "t_clerk", "officer": "t_officer", "head": "t_head", "admin": "t_admin"}
# Other agency: the same roles in the neighbouring commune Mường Bi.
OTHER = {"clerk": "t_clerk_other", "officer": "t_officer_other", "head": "t_head_other"}

POLICE = "000.02.31.H25"  # Công an xã Tân Lạc: the liên thông partner in these scenarios
# Actions on a leg held by the police: their officer takes them, the sender's staff may not.
HELD_BY_POLICE = {A.ACKNOWLEDGE, A.HAND_BACK}

# action -> (state the action is legal in, request body)
SCENARIOS: dict[A, tuple[str, dict[str, Any]]] = {
    A.SUBMIT_ONLINE: ("received", {}),  # creation only: never legal on an existing dossier
    A.RECEIVE: ("new_online", {}),
    A.REFUSE: ("new_online", {"reason": "Không thuộc thẩm quyền"}),
    A.REQUEST_SUPPLEMENT: ("processing", {"reason": "Thiếu giấy tờ", "missing_items": ["Bản sao CCCD"]}),
    A.PROVIDE_SUPPLEMENT: ("awaiting_supplement", {}),
    A.TRANSFER: ("received", {}),
    A.ASSIGN: ("processing", {"officer": "t_officer"}),
    A.REQUEST_PAYMENT: ("processing", {"reason": "Lệ phí trước bạ"}),
    A.CONFIRM_PAYMENT: ("awaiting_payment", {}),
    A.HAND_OFF: ("processing", {"to_agency": POLICE}),
    A.ACKNOWLEDGE: ("handed_off", {}),
    A.HAND_BACK: ("acknowledged", {}),
    A.APOLOGISE: ("processing", {"reason": "Chờ xác minh", "new_due_at": "2026-03-20"}),
    A.STOP: ("processing", {"reason": "Không đủ điều kiện"}),
    A.COMPLETE: ("processing", {"result": "Đã cấp"}),
    A.RETURN_RESULT: ("result_ready", {"method": "direct"}),
    A.WITHDRAW: ("processing", {"reason": "Công dân đề nghị rút"}),
    A.REPLAN: ("processing", {}),  # taken by the system on a calendar change, by no role
}


def make(session, state: str) -> Dossier:
    """A dossier of procedure 1.004884 (5 working days) received Monday 09:00 at the
    Tân Lạc desk and brought into ``state`` through the services."""
    if state == "new_online":
        return receive(session, now=MONDAY, outcome="submit_online", channel="online").dossier
    d = receive(session, now=MONDAY).dossier
    if state == "received":
        return d
    head = user(session, "t_head")
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=MONDAY)
    if state == "processing":
        return d
    if state == "awaiting_supplement":
        apply_action(session, d, A.REQUEST_SUPPLEMENT,
                     SupplementRequestInput(reason="Thiếu", missing_items=("x",)), actor=head, now=MONDAY)
    elif state == "awaiting_payment":
        apply_action(session, d, A.REQUEST_PAYMENT, PaymentRequestInput(reason="Lệ phí"), actor=head,
                     now=MONDAY)
    elif state in ("handed_off", "acknowledged"):
        apply_action(session, d, A.HAND_OFF,
                     HandOffInput(to_agency_id=agency(session, POLICE).id), actor=head, now=MONDAY)
        if state == "acknowledged":
            apply_action(session, d, A.ACKNOWLEDGE, actor=user(session, "t_police"), now=MONDAY)
    elif state == "result_ready":
        apply_action(session, d, A.COMPLETE, CompleteInput(result="Đã cấp"), actor=head, now=MONDAY)
    else:
        raise AssertionError(state)
    return d


def snapshot(session, d: Dossier) -> tuple[Any, ...]:
    session.expire_all()
    d = session.get(Dossier, d.id)

    def count(model: Any) -> Any:
        return session.scalar(select(func.count()).select_from(model).where(model.dossier_id == d.id))

    return (d.status, d.version, d.updated_at, d.current_agency_id, d.assignee_id, d.due_at,
            d.promised_due_at, d.finished_at, d.supplement_count,
            count(DossierEvent), count(HandoffLeg), count(PauseInterval))


def bearer(session, username: str) -> dict[str, str]:
    raw = issue_token(session, user(session, username), now=MONDAY)
    return {"Authorization": f"Bearer {raw}"}


def _cases() -> list[Any]:
    out = []
    for action in A:
        if action is A.REISSUE_SECRET:
            continue  # recorded on the dossier, not an action of the API (404, test_sec_accountability)
        for role, username in OWN.items():
            allowed = action in ALLOWED[role] and action not in HELD_BY_POLICE
            out.append(pytest.param(action, username, allowed, id=f"{action.value}-{username}"))
        if action in HELD_BY_POLICE:
            out.append(pytest.param(action, "t_police", True, id=f"{action.value}-t_police"))
        for username in OTHER.values():
            out.append(pytest.param(action, username, False, id=f"{action.value}-{username}"))
    return out


@pytest.mark.parametrize(("action", "username", "allowed"), _cases())
def test_api_permission_matrix(client, session, action: A, username: str, allowed: bool) -> None:
    state, body = SCENARIOS[action]
    d = make(session, state)
    h = bearer(session, username)
    session.commit()
    before = snapshot(session, d)
    if action is A.SUBMIT_ONLINE and username in OWN.values():
        allowed = False  # creation-only action: never legal on an existing dossier (409 first)
        expected = {409}
    elif username in OTHER.values():
        expected = {404}  # another agency's dossier answers like an unknown code
    else:
        expected = {200} if allowed else {403}
    with patch("onestop.web.api.utcnow", return_value=LATER):
        r = client.post(f"/api/v1/dossiers/{d.code}/actions/{action.value}", headers=h, json=body)
    assert r.status_code in expected, r.get_json()
    after = snapshot(session, d)
    if allowed:
        assert after[9] == before[9] + 1 and after[1] > before[1]
        last = session.scalar(select(DossierEvent).where(DossierEvent.dossier_id == d.id)
                              .order_by(DossierEvent.seq.desc()).limit(1))
        assert last.action == action.value and last.actor_id == user(session, username).id
    else:
        assert r.get_json()["error"]["code"] in ("forbidden", "illegal_transition", "not_found")
        assert after == before


@pytest.mark.parametrize("role", ["clerk", "officer", "head"])
def test_creating_a_dossier_is_for_the_desk_clerk_only(client, session, role: str) -> None:
    h = bearer(session, OWN[role])
    session.commit()
    with patch("onestop.web.api.utcnow", return_value=LATER):
        for outcome in ("receive", "submit_online"):
            r = client.post("/api/v1/dossiers", headers=h, json={
                "procedure_code": "1.004884", "outcome": outcome, "channel": "online",
                "applicant": {"name": "Trần Thị Bình"}})
            assert r.status_code == (201 if role == "clerk" else 403), r.get_json()
    n = session.scalar(select(func.count()).select_from(Dossier))
    assert n == (2 if role == "clerk" else 0)


# Own-agency users whose role allows the action, on a dossier in the wrong status.
WRONG_STATUS = [
    (A.TRANSFER, "t_clerk", "processing"),
    (A.RETURN_RESULT, "t_clerk", "processing"),
    (A.RECEIVE, "t_clerk", "received"),
    (A.REFUSE, "t_clerk", "processing"),
    (A.WITHDRAW, "t_clerk", "result_ready"),
    (A.PROVIDE_SUPPLEMENT, "t_clerk", "processing"),
    (A.CONFIRM_PAYMENT, "t_head", "processing"),
    (A.COMPLETE, "t_head", "awaiting_supplement"),
    (A.STOP, "t_officer", "received"),
    (A.REQUEST_PAYMENT, "t_head", "awaiting_payment"),
    (A.ASSIGN, "t_head", "awaiting_supplement"),
    (A.ACKNOWLEDGE, "t_officer", "processing"),  # nothing to acknowledge
    (A.HAND_OFF, "t_police", "handed_off"),  # the holder has not acknowledged it yet
]


@pytest.mark.parametrize(("action", "username", "state"), WRONG_STATUS,
                         ids=[f"{a.value}-{s}" for a, _, s in WRONG_STATUS])
def test_wrong_status_is_409_and_changes_nothing(client, session, action: A, username: str,
                                                 state: str) -> None:
    d = make(session, state)
    h = bearer(session, username)
    session.commit()
    before = snapshot(session, d)
    body = SCENARIOS[action][1]
    with patch("onestop.web.api.utcnow", return_value=LATER):
        r = client.post(f"/api/v1/dossiers/{d.code}/actions/{action.value}", headers=h, json=body)
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["error"]["code"] in ("illegal_transition", "invalid_state")
    assert snapshot(session, d) == before


def test_officers_act_only_on_their_own_or_unassigned_dossiers(client, session) -> None:
    d = make(session, "processing")
    apply_action(session, d, A.ASSIGN,
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=MONDAY)
    h2, h1 = bearer(session, "t_officer2"), bearer(session, "t_officer")
    session.commit()
    before = snapshot(session, d)
    with patch("onestop.web.api.utcnow", return_value=LATER):
        r = client.post(f"/api/v1/dossiers/{d.code}/actions/complete", headers=h2, json={"result": "x"})
        assert r.status_code == 403
        assert snapshot(session, d) == before
        r = client.post(f"/api/v1/dossiers/{d.code}/actions/complete", headers=h1, json={"result": "x"})
        assert r.status_code == 200


def test_police_of_the_commune_cannot_see_a_dossier_never_handed_to_it(client, session) -> None:
    d = make(session, "processing")
    h = bearer(session, "t_police")
    session.commit()
    assert client.get(f"/api/v1/dossiers/{d.code}", headers=h).status_code == 404
    with patch("onestop.web.api.utcnow", return_value=LATER):
        apply_action(session, d, A.HAND_OFF,
                     HandOffInput(to_agency_id=agency(session, POLICE).id),
                     actor=user(session, "t_head"), now=LATER)
        session.commit()
    got = client.get(f"/api/v1/dossiers/{d.code}", headers=h).get_json()
    assert got["current_agency"] == POLICE and "acknowledge" in got["allowed_actions"]
