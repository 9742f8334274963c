"""Every action that takes data, from the web form and from the API, builds its typed input; a
wrongly typed API field is a 422 under its name and changes nothing."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest.mock import patch

from sqlalchemy import func, select

from onestop.models import Dossier, DossierEvent
from onestop.services.admin.accounts import issue_token
from tests.factories import PASSWORD, receive, user
from tests.times import hanoi

CHAIN = "3.000722"  # commune desk → commune → police → social insurance (liên thông)


def _get(session: Any, code: str) -> Dossier:
    session.expire_all()
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None
    return d


def _events(session: Any, code: str) -> list[DossierEvent]:
    d = _get(session, code)
    return list(session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id)
                                .order_by(DossierEvent.seq)))


# ---------------------------------------------------------------- web forms

def _login(client: Any, username: str) -> None:
    """Signs in only when the user changes (the login form is rate-limited)."""
    if getattr(client, "signed_in_as", None) == username:
        return
    client.post("/logout")
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 303
    client.signed_in_as = username


def _web(client: Any, session: Any, code: str, who: str, action: str, now: datetime, **fields: Any) -> None:
    _login(client, who)
    version = _get(session, code).version
    with patch("onestop.web.dossiers.utcnow", return_value=now):
        r = client.post(f"/dossiers/{code}/actions/{action}",
                        data={"version": version, "confirmed": "1", **fields})
    assert r.status_code == 303, (action, r.status_code, r.get_data(as_text=True)[:400])


def test_every_action_with_data_from_the_web_form(client, session):
    code = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code=CHAIN).dossier.code
    police = user(session, "t_police").agency.identifier
    desk_officer = user(session, "t_officer")
    session.commit()
    _web(client, session, code, "t_clerk", "transfer", hanoi(2026, 3, 2, 9), note="Kèm phiếu kiểm soát")
    _web(client, session, code, "t_head", "assign", hanoi(2026, 3, 2, 9, 30), officer=str(desk_officer.id))
    _web(client, session, code, "t_officer", "request_payment", hanoi(2026, 3, 2, 10),
         reason="Lệ phí 50.000 đ")
    _web(client, session, code, "t_clerk", "confirm_payment", hanoi(2026, 3, 2, 11), note="Đã nộp")
    _web(client, session, code, "t_officer", "hand_off", hanoi(2026, 3, 2, 14), to_agency=police)
    _web(client, session, code, "t_police", "acknowledge", hanoi(2026, 3, 2, 15))
    _web(client, session, code, "t_police", "hand_back", hanoi(2026, 3, 3, 9), to_agency="")
    _web(client, session, code, "t_officer", "acknowledge", hanoi(2026, 3, 3, 10))
    _web(client, session, code, "t_officer", "request_supplement", hanoi(2026, 3, 3, 11),
         missing_items="Bản sao giấy chứng sinh\nTờ khai", reason="Thiếu giấy tờ")
    _web(client, session, code, "t_clerk", "provide_supplement", hanoi(2026, 3, 4, 9))
    _web(client, session, code, "t_officer", "apologise", hanoi(2026, 3, 4, 10), reason="Chờ xác minh",
         new_due_on="2026-03-31")
    _web(client, session, code, "t_officer", "complete", hanoi(2026, 3, 5, 10), result="Giấy khai sinh",
         chain_reason="Không cần bước BHXH")
    _web(client, session, code, "t_clerk", "return_result", hanoi(2026, 3, 5, 15), method="postal",
         receiver="Nguyễn Văn An")
    events = {e.action: e for e in _events(session, code)}
    assert events["transfer"].note == "Kèm phiếu kiểm soát"
    assert events["assign"].payload["officer"] == "t_officer"
    assert events["hand_off"].payload["to_agency"] == police
    assert events["request_supplement"].payload["missing_items"] == ["Bản sao giấy chứng sinh", "Tờ khai"]
    assert events["apologise"].payload["promised_due_at"].startswith("2026-03-31T17:00")
    assert events["complete"].payload["chain_incomplete_reason"] == "Không cần bước BHXH"
    assert events["return_result"].payload == {"method": "postal", "receiver": "Nguyễn Văn An"}
    assert _get(session, code).status == "returned"


def test_stop_and_withdraw_from_the_web_form(client, session):
    codes = [receive(session, now=hanoi(2026, 3, 2, 9)).dossier.code for _ in range(2)]
    session.commit()
    for code in codes:
        _web(client, session, code, "t_clerk", "transfer", hanoi(2026, 3, 2, 9))
    _web(client, session, codes[0], "t_head", "stop", hanoi(2026, 3, 3, 9), reason="Không đủ điều kiện")
    _web(client, session, codes[1], "t_clerk", "withdraw", hanoi(2026, 3, 3, 9), reason="Công dân đề nghị")
    assert [_get(session, c).status for c in codes] == ["stopped", "withdrawn"]
    assert _events(session, codes[0])[-1].payload["reason"] == "Không đủ điều kiện"


# ---------------------------------------------------------------- API

def _token(session: Any, username: str) -> dict[str, str]:
    raw = issue_token(session, user(session, username), now=hanoi(2026, 3, 2, 8), name="test")
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def _api(client: Any, headers: dict[str, str], code: str, action: str, now: datetime, **body: Any) -> Any:
    with patch("onestop.web.api.utcnow", return_value=now):
        return client.post(f"/api/v1/dossiers/{code}/actions/{action}", headers=headers, json=body)


def test_every_action_with_data_from_the_api(client, session):
    code = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code=CHAIN).dossier.code
    police_id = user(session, "t_police").agency.identifier
    clerk, head, officer, police = (_token(session, u)
                                    for u in ("t_clerk", "t_head", "t_officer", "t_police"))
    steps: list[tuple[dict[str, str], str, datetime, dict[str, Any]]] = [
        (clerk, "transfer", hanoi(2026, 3, 2, 9), {"note": "Kèm phiếu"}),
        (head, "assign", hanoi(2026, 3, 2, 9, 30), {"officer": "t_officer"}),
        (officer, "request_payment", hanoi(2026, 3, 2, 10), {"reason": "Lệ phí"}),
        (clerk, "confirm_payment", hanoi(2026, 3, 2, 11), {}),
        (officer, "hand_off", hanoi(2026, 3, 2, 14), {"to_agency": police_id}),
        (police, "acknowledge", hanoi(2026, 3, 2, 15), {}),
        (police, "hand_back", hanoi(2026, 3, 3, 9), {}),
        (officer, "acknowledge", hanoi(2026, 3, 3, 10), {}),
        (officer, "request_supplement", hanoi(2026, 3, 3, 11),
         {"reason": "Thiếu", "missing_items": ["Bản sao"]}),
        (clerk, "provide_supplement", hanoi(2026, 3, 4, 9), {}),
        (officer, "apologise", hanoi(2026, 3, 4, 10), {"reason": "Chờ xác minh", "new_due_at": "2026-03-31"}),
        (officer, "complete", hanoi(2026, 3, 5, 10),
         {"result": "Giấy khai sinh", "reason": "Không cần bước BHXH"}),
        (clerk, "return_result", hanoi(2026, 3, 5, 15), {"method": "online", "receiver": "Nguyễn Văn An"}),
    ]
    for headers, action, now, body in steps:
        r = _api(client, headers, code, action, now, **body)
        assert r.status_code == 200, (action, r.get_json())
    assert r.get_json()["status"] == "returned"
    events = {e.action: e for e in _events(session, code)}
    assert events["hand_off"].payload["to_agency"] == police_id
    assert events["request_supplement"].payload["missing_items"] == ["Bản sao"]
    assert events["return_result"].payload["method"] == "online"


def test_api_refuses_a_wrongly_typed_field_under_its_name_and_changes_nothing(client, session):
    code = receive(session, now=hanoi(2026, 3, 2, 9)).dossier.code
    clerk = _token(session, "t_clerk")
    before = [(e.seq, e.action) for e in _events(session, code)]
    for body, field in (({"reason": 5}, "reason"), ({"missing_items": "Bản sao"}, "missing_items"),
                        ({"to_agency": "000.00.99.H99"}, "to_agency")):
        r = _api(client, clerk, code, "transfer", hanoi(2026, 3, 2, 9), **body)
        assert r.status_code == 422, (body, r.get_json())
        assert field in r.get_json()["error"]["fields"], r.get_json()
    d = _get(session, code)
    assert d.status == "received" and [(e.seq, e.action) for e in _events(session, code)] == before
    n = session.scalar(select(func.count()).select_from(DossierEvent).where(DossierEvent.dossier_id == d.id))
    assert n == len(before)
