"""Accountability (docs/security.md, "Accountability"): the acknowledgement of a hand-off is the
legal proof of who holds a dossier, so only the holder's staff acknowledge, hand back or act;
a finish needs its result and the whole liên thông chain (or a recorded reason); irreversible
actions are confirmed in the UI; a new look-up secret is for the desk and the holder only, is
recorded, and never travels in the session cookie; another agency's dossier answers 404 like
an unknown one. Web and API, on every engine of the suite."""
from __future__ import annotations

import base64
import json
import re
import zlib
from datetime import datetime
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from onestop.domain.status import DossierAction as A
from onestop.models import AuditLog, Dossier, DossierEvent, HandoffLeg
from onestop.services.admin.accounts import issue_token
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput, HandOffInput
from tests.factories import agency, receive, user
from tests.times import hanoi

POLICE = "000.02.31.H25"
UBND = "000.00.31.H25"
CHAIN = "3.000722"  # UBND xã (40 %) → Công an xã (30 %) → BHXH (30 %), 3 working days


def fresh(session: Any, code: str) -> Dossier:
    session.expire_all()
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None
    return d


def snapshot(session: Any, code: str) -> tuple[Any, ...]:
    d = fresh(session, code)
    events = session.scalar(
        select(func.count()).select_from(DossierEvent).where(DossierEvent.dossier_id == d.id))
    legs = [(lg.acknowledged_by_id, lg.acknowledged_at, lg.finished_at)
            for lg in session.scalars(select(HandoffLeg).where(HandoffLeg.dossier_id == d.id)
                                      .order_by(HandoffLeg.seq))]
    return d.status, d.version, d.current_agency_id, d.lookup_secret_hash, events, legs


def web_act(client: Any, session: Any, code: str, action: str, now: datetime, **data: Any) -> Any:
    version = fresh(session, code).version
    with patch("onestop.web.dossiers.utcnow", return_value=now):
        return client.post(f"/dossiers/{code}/actions/{action}", data={"version": version, **data})


def api_act(client: Any, token: str, code: str, action: str, now: datetime, **body: Any) -> Any:
    with patch("onestop.web.api.utcnow", return_value=now):
        return client.post(f"/api/v1/dossiers/{code}/actions/{action}", json=body,
                           headers={"Authorization": f"Bearer {token}"})


def chain_dossier(session: Any, upto: str) -> str:
    """Procedure 3.000722 received Monday 09:00 at TTPVHCC xã Tân Lạc and transferred to
    UBND xã, then: "handed_off" (UBND → Công an xã, not yet acknowledged), "held" (the
    police acknowledged), "bhxh" (police → BHXH, acknowledged by BHXH)."""
    d = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code=CHAIN).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    apply_action(session, d, A.HAND_OFF,
                 HandOffInput(to_agency_id=agency(session, POLICE).id),
                 actor=user(session, "t_officer"), now=hanoi(2026, 3, 2, 10))
    if upto in ("held", "bhxh"):
        apply_action(session, d, A.ACKNOWLEDGE, actor=user(session, "t_police"), now=hanoi(2026, 3, 2, 11))
    if upto == "bhxh":
        apply_action(session, d, A.HAND_OFF, actor=user(session, "t_police"), now=hanoi(2026, 3, 2, 14))
        apply_action(session, d, A.ACKNOWLEDGE, actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 2, 15))
    session.commit()
    return d.code


def token(session: Any, username: str) -> str:
    raw = issue_token(session, user(session, username), now=hanoi(2026, 3, 2, 8))
    session.commit()
    return raw


# ---------------------------------------------------------------- 1. the sender is not the holder

def test_sender_sees_the_leg_waiting_and_cannot_acknowledge_it_on_the_web(auth, client, session) -> None:
    code = chain_dossier(session, "handed_off")
    auth.login("t_officer")  # UBND xã Tân Lạc: he just handed it to the police
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Đang chờ Công an xã Tân Lạc xác nhận" in page
    assert "/actions/acknowledge" not in page and "Xác nhận nhận liên thông" not in page.split("h-actions")[1]
    for who in ("t_officer", "t_head"):
        auth.login(who)
        before = snapshot(session, code)
        r = web_act(client, session, code, "acknowledge", hanoi(2026, 3, 2, 10, 30))
        assert r.status_code == 403, who
        assert snapshot(session, code) == before
    auth.login("t_police")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "/actions/acknowledge" in page
    assert web_act(client, session, code, "acknowledge", hanoi(2026, 3, 2, 11)).status_code == 303
    leg = fresh(session, code).legs[-1]
    assert leg.acknowledged_by_id == user(session, "t_police").id


def test_sender_cannot_hand_back_finish_or_stop_what_the_police_hold(auth, client, session) -> None:
    code = chain_dossier(session, "held")
    for who in ("t_officer", "t_head"):
        auth.login(who)
        page = client.get(f"/dossiers/{code}").get_data(as_text=True)
        assert "/actions/" not in page, who  # no buttons at all on a leg another agency holds
        for action, data in (("hand_back", {}), ("complete", {"result": "x", "confirmed": "1"}),
                             ("stop", {"reason": "x", "confirmed": "1"}), ("hand_off", {}),
                             ("request_supplement", {"reason": "x", "missing_items": "y"})):
            before = snapshot(session, code)
            r = web_act(client, session, code, action, hanoi(2026, 3, 2, 12), **data)
            assert r.status_code == 403, (who, action, r.status_code)
            assert snapshot(session, code) == before
    auth.login("t_police")
    assert web_act(client, session, code, "hand_back", hanoi(2026, 3, 2, 12)).status_code == 303
    assert fresh(session, code).current_agency.identifier == UBND


def test_sender_cannot_acknowledge_hand_back_or_finish_through_the_api(client, session) -> None:
    code = chain_dossier(session, "handed_off")
    sender = token(session, "t_officer")
    got = client.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {sender}"}).get_json()
    assert got["allowed_actions"] == []
    before = snapshot(session, code)
    r = api_act(client, sender, code, "acknowledge", hanoi(2026, 3, 2, 10, 30))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert snapshot(session, code) == before
    police = token(session, "t_police")
    assert api_act(client, police, code, "acknowledge", hanoi(2026, 3, 2, 11)).status_code == 200
    for action, body in (("hand_back", {}), ("complete", {"result": "x", "reason": "y"}),
                         ("stop", {"reason": "x"})):
        before = snapshot(session, code)
        r = api_act(client, sender, code, action, hanoi(2026, 3, 2, 12), **body)
        assert r.status_code == 403, (action, r.get_json())
        assert snapshot(session, code) == before


def test_the_receiver_can_only_acknowledge_while_the_leg_waits(client, session) -> None:
    code = chain_dossier(session, "handed_off")
    police = token(session, "t_police")
    got = client.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {police}"}).get_json()
    # Acknowledge first; only the apology (and an assignment) may come before it.
    assert "acknowledge" in got["allowed_actions"]
    assert not {"hand_off", "hand_back", "complete", "stop",
                "request_supplement"} & set(got["allowed_actions"])
    before = snapshot(session, code)
    r = api_act(client, police, code, "stop", hanoi(2026, 3, 2, 10, 30), reason="x")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert snapshot(session, code) == before


# ---------------------------------------------------------------- 2. finishing

def test_finish_needs_a_result_on_the_web_and_the_api(auth, client, session) -> None:
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    session.commit()
    code = d.code
    auth.login("t_head")
    before = snapshot(session, code)
    r = web_act(client, session, code, "complete", hanoi(2026, 3, 2, 10), result="  ", confirmed="1")
    assert r.status_code == 422 and "Nhập kết quả giải quyết" in r.get_data(as_text=True)
    assert snapshot(session, code) == before
    head = token(session, "t_head")
    r = api_act(client, head, code, "complete", hanoi(2026, 3, 2, 10))
    assert r.status_code == 422 and "result" in r.get_json()["error"]["fields"]
    assert snapshot(session, code) == before
    assert api_act(client, head, code, "complete", hanoi(2026, 3, 2, 10), result="Đã cấp").status_code == 200
    assert fresh(session, code).result_note == "Đã cấp"


def test_a_chain_dossier_does_not_finish_after_two_of_its_three_steps_without_a_reason(auth, client,
                                                                                       session) -> None:
    code = chain_dossier(session, "held")  # UBND and the police took their steps; BHXH not yet
    police = token(session, "t_police")
    before = snapshot(session, code)
    r = api_act(client, police, code, "complete", hanoi(2026, 3, 2, 14), result="Đã đăng ký thường trú")
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    assert "Bảo hiểm xã hội tỉnh Phú Thọ" in r.get_json()["error"]["fields"]["reason"]
    assert snapshot(session, code) == before
    auth.login("t_police")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Lý do kết thúc khi chưa đủ các bước liên thông" in page
    r = web_act(client, session, code, "complete", hanoi(2026, 3, 2, 14), result="Đã đăng ký thường trú",
                confirmed="1")
    assert r.status_code == 422
    assert snapshot(session, code) == before
    r = web_act(client, session, code, "complete", hanoi(2026, 3, 2, 14), result="Đã đăng ký thường trú",
                confirmed="1",
                chain_reason="Công dân đề nghị không làm thẻ BHYT (đã có thẻ)")
    assert r.status_code == 303
    d = fresh(session, code)
    assert d.status == "result_ready"
    ev = d.events[-1]
    assert ev.action == "complete" and ev.note == "Công dân đề nghị không làm thẻ BHYT (đã có thẻ)"
    assert ev.payload["chain_incomplete_reason"] == ev.note
    assert [s["seq"] for s in ev.payload["skipped_steps"]] == [3]
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Kết thúc khi chưa đủ các bước liên thông" in page and "đã có thẻ" in page


def test_a_chain_dossier_finishes_without_a_reason_once_every_step_is_done(client, session) -> None:
    code = chain_dossier(session, "bhxh")
    bhxh = token(session, "t_bhxh")
    r = api_act(client, bhxh, code, "complete", hanoi(2026, 3, 3, 9), result="Đã cấp thẻ BHYT")
    assert r.status_code == 200, r.get_json()
    assert "skipped_steps" not in fresh(session, code).events[-1].payload


def test_handing_back_does_not_count_as_a_step_of_the_chain(session) -> None:
    code = chain_dossier(session, "held")
    d = fresh(session, code)
    apply_action(session, d, A.HAND_BACK, actor=user(session, "t_police"), now=hanoi(2026, 3, 2, 13))
    apply_action(session, d, A.ACKNOWLEDGE, actor=user(session, "t_officer"), now=hanoi(2026, 3, 2, 14))
    from onestop.services.dossiers.handoffs import unfinished_chain_steps
    from onestop.services.errors import ValidationFailed

    assert [s.seq for s in unfinished_chain_steps(d)] == [3]
    with pytest.raises(ValidationFailed) as exc:
        apply_action(session, d, A.COMPLETE,
                     CompleteInput(result="x"), actor=user(session, "t_officer"), now=hanoi(2026, 3, 2, 15))
    assert "reason" in exc.value.errors


def test_attached_components_make_a_result_file_required(auth, client, session) -> None:
    """A dossier whose components are attached files finishes only with its result file attached."""
    from onestop.services.dossiers.files import DocMeta, attach, check_upload
    from onestop.services.errors import ValidationFailed

    pdf = check_upload(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "to-khai.pdf", max_bytes=10**6)
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    attach(session, d, actor=user(session, "t_clerk"), kind="component", component_no=1, key="t/component",
           upload=pdf, meta=DocMeta(), now=hanoi(2026, 3, 2, 9))
    with pytest.raises(ValidationFailed) as exc:
        apply_action(session, d, A.COMPLETE,
                     CompleteInput(result="Đã cấp"), actor=user(session, "t_head"), now=hanoi(2026, 3, 2, 10))
    assert set(exc.value.errors) == {"result_document"}
    session.commit()
    auth.login("t_head")
    r = web_act(client, session, d.code, "complete", hanoi(2026, 3, 2, 10), result="Đã cấp", confirmed="1")
    assert r.status_code == 422 and "đính kèm tệp kết quả" in r.get_data(as_text=True)
    attach(session, d, actor=user(session, "t_head"), kind="result", component_no=None, key="t/result",
           upload=pdf, meta=DocMeta(doc_number="12/GCN"), now=hanoi(2026, 3, 2, 10))
    ev = apply_action(session, d, A.COMPLETE,
                      CompleteInput(result="Đã cấp"), actor=user(session, "t_head"),
                      now=hanoi(2026, 3, 2, 10))
    assert ev.payload["result_files"] == 1


@pytest.mark.parametrize(("action", "data"), [
    ("complete", {"result": "Đã cấp bản sao"}),
    ("stop", {"reason": "Không đủ điều kiện"}),
    ("withdraw", {"reason": "Công dân có đơn rút"}),
])
def test_irreversible_actions_ask_for_confirmation_without_script(auth, client, session, action,
                                                                  data) -> None:
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    session.commit()
    code = d.code
    auth.login("t_clerk" if action == "withdraw" else "t_head")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert re.search(rf'action="/dossiers/{re.escape(code)}/actions/{action}".*?data-confirm="',
                     page, re.DOTALL)
    before = snapshot(session, code)
    r = web_act(client, session, code, action, hanoi(2026, 3, 2, 10), **data)  # no confirmed=1: the page asks
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "không thể" in html and 'name="confirmed" value="1"' in html
    assert next(iter(data.values())) in html
    assert snapshot(session, code) == before
    r = web_act(client, session, code, action, hanoi(2026, 3, 2, 10), confirmed="1", **data)
    assert r.status_code == 303
    assert fresh(session, code).status != before[0]


def test_return_of_the_result_asks_for_confirmation(auth, client, session) -> None:
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    apply_action(session, d, A.COMPLETE,
                 CompleteInput(result="Đã cấp"), actor=user(session, "t_head"), now=hanoi(2026, 3, 2, 10))
    session.commit()
    auth.login("t_clerk")
    before = snapshot(session, d.code)
    r = web_act(client, session, d.code, "return_result", hanoi(2026, 3, 2, 11), method="postal")
    assert r.status_code == 200 and "Qua bưu chính công ích" in r.get_data(as_text=True)
    assert snapshot(session, d.code) == before


# ---------------------------------------------------------------- 3. reissuing the look-up secret

def _session_payload(client: Any) -> str:
    """The Flask session cookie's payload, decoded (it is signed, not encrypted)."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    raw = cookie.value
    compressed = raw.startswith(".")
    body = raw.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(data) if compressed else data).decode("utf-8", "replace")


def test_an_agency_that_only_took_part_cannot_reissue_the_secret(auth, client, session) -> None:
    code = chain_dossier(session, "bhxh")
    d = fresh(session, code)
    # back to the police
    apply_action(session, d, A.HAND_BACK, actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 3, 9))
    session.commit()
    auth.login("t_bhxh")  # social insurance: took part, may still view
    assert client.get(f"/dossiers/{code}").status_code == 200
    assert "/reissue-secret" not in client.get(f"/dossiers/{code}/print/01").get_data(as_text=True)
    before = snapshot(session, code)
    assert client.post(f"/dossiers/{code}/reissue-secret").status_code == 403
    assert snapshot(session, code) == before
    auth.login("t_officer")  # UBND: the sender, not the holder (the police hold it)
    assert client.post(f"/dossiers/{code}/reissue-secret").status_code == 403
    assert snapshot(session, code) == before


@pytest.mark.parametrize("who", ["t_clerk", "t_police"])
def test_the_desk_and_the_holder_reissue_shown_once_recorded_and_not_in_the_cookie(auth, client, session,
                                                                                   who) -> None:
    code = chain_dossier(session, "held")
    before = snapshot(session, code)
    auth.login(who)
    with patch("onestop.web.dossiers.utcnow", return_value=hanoi(2026, 3, 2, 12)):
        r = client.post(f"/dossiers/{code}/reissue-secret")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    m = re.search(r'class="secret">([^<]+)<', r.get_data(as_text=True))
    assert m, "the new secret is on the answer itself"
    secret = m.group(1).strip()
    assert secret not in _session_payload(client)
    after = snapshot(session, code)
    assert after[3] != before[3] and after[4] == before[4] + 1
    d = fresh(session, code)
    ev = d.events[-1]
    assert ev.action == "reissue_secret" and ev.actor_id == user(session, who).id and not ev.public
    assert ev.to_status == d.status and secret not in json.dumps(ev.payload) + ev.note
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "dossier.reissue_secret")
                           .order_by(AuditLog.id.desc()))
    assert audit is not None and audit.target == f"dossier:{code}" and audit.actor_id == user(session, who).id
    # The next display of the receipt does not show it again.
    assert 'class="secret"' not in client.get(f"/dossiers/{code}/print/01").get_data(as_text=True)
    # And the citizen's look-up works with the new secret.
    r = client.post("/lookup", data={"code": code, "secret": secret})
    assert "Công an xã Tân Lạc" in r.get_data(as_text=True) or code in r.get_data(as_text=True)


# ---------------------------------------------------------------- 10. other agency = unknown dossier

def test_another_agencys_dossier_answers_like_an_unknown_one_on_the_api(client, session) -> None:
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9))
    session.commit()
    other = token(session, "t_head_other")
    before = snapshot(session, d.code)
    unknown_code = d.code[:-4] + "9999"
    for action in ("assign", "complete", "acknowledge", "nope"):
        mine = api_act(client, other, d.code, action, hanoi(2026, 3, 2, 10), result="x")
        unknown = api_act(client, other, unknown_code, action, hanoi(2026, 3, 2, 10), result="x")
        assert mine.status_code == unknown.status_code == 404, action
        assert mine.get_json()["error"]["code"] == unknown.get_json()["error"]["code"] == "not_found"
        assert mine.get_json()["error"]["message"].replace(d.code, "X") == \
            unknown.get_json()["error"]["message"].replace(unknown_code, "X")
    assert snapshot(session, d.code) == before
    # The reissue is recorded as an event but is not an action of the API.
    r = api_act(client, token(session, "t_clerk"), d.code, "reissue_secret", hanoi(2026, 3, 2, 10))
    assert r.status_code == 404 and snapshot(session, d.code) == before


def test_another_agencys_dossier_answers_like_an_unknown_one_on_the_web(auth, client, session) -> None:
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    session.commit()
    auth.login("t_officer_other")
    unknown_code = d.code[:-4] + "9999"
    for path in ("actions/complete", "actions/acknowledge", "reissue-secret"):
        assert client.post(f"/dossiers/{d.code}/{path}", data={"version": 1}).status_code == 404
        assert client.post(f"/dossiers/{unknown_code}/{path}", data={"version": 1}).status_code == 404


def test_a_new_dossiers_secret_is_sealed_in_the_session_until_the_receipt_prints(auth, client,
                                                                                 session) -> None:
    """Reception keeps post/redirect/get (a reload must not receive the dossier twice), so the
    secret crosses one redirect in the session: sealed (encrypted and authenticated with a key
    derived from the app's secret key), short-lived, and popped at the first display."""
    auth.login("t_clerk")
    with patch("onestop.web.reception.utcnow", return_value=hanoi(2026, 3, 2, 9)):
        r = client.post("/reception/new", data={"procedure": "1.004884", "applicant_name": "Nguyễn Thị Bình",
                                                "applicant_id_number": "001190012345",
                                                "applicant_phone": "0987654321"})
    assert r.status_code == 303
    cookie = _session_payload(client)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    m = re.search(r'class="secret">([^<]+)<', page)
    assert m, "the receipt shows the secret once"
    assert m.group(1).strip() not in cookie and "receipt_secret" in cookie
    assert 'class="secret"' not in client.get(r.headers["Location"]).get_data(as_text=True)


def test_a_sealed_secret_expires_and_a_tampered_one_is_refused(app) -> None:
    from onestop.web import reception

    with app.test_request_context("/"):
        t0 = hanoi(2026, 3, 2, 9).timestamp()
        with patch("onestop.web.reception.wall_clock", return_value=t0):
            reception.remember_secret("X-1", "ABCD2345")
        with patch("onestop.web.reception.wall_clock", return_value=t0 + 601):
            assert reception.pop_secret("X-1") is None  # after ten minutes it is gone
        with patch("onestop.web.reception.wall_clock", return_value=t0):
            reception.remember_secret("X-1", "ABCD2345")
            from flask import session as flask_session

            held = dict(flask_session[reception.SECRET_SESSION_KEY])
            held["c"] = ("00" if held["c"][:2] != "00" else "11") + held["c"][2:]
            flask_session[reception.SECRET_SESSION_KEY] = held
            assert reception.pop_secret("X-1") is None
            reception.remember_secret("X-1", "ABCD2345")
            assert reception.pop_secret("X-2") is None and reception.pop_secret("X-1") == "ABCD2345"
