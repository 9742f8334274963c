"""Web and API: a pause ended after an apology whose promise the pause overtakes is not a 500 —
the promise moves with the due time (docs/rules.md, "Timing" T14)."""
from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import patch

from tests.times import MONDAY, TUESDAY, TUESDAY_10
from tests.web.test_api import APPLICANT, token
from tests.web.test_dossiers import act, get, in_processing

NEXT_TUE_10 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def test_web_supplement_after_an_apology(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    assert act(client, session, code, "apologise", now=TUESDAY, reason="Chờ xác minh",
               new_due_on="2026-03-12").status_code == 303
    assert act(client, session, code, "request_supplement", now=TUESDAY_10, missing_items="Tờ khai",
               reason="Thiếu").status_code == 303
    auth.login("t_clerk")
    assert act(client, session, code, "provide_supplement", now=NEXT_TUE_10).status_code == 303
    d = get(session, code)
    assert d.status == "processing"
    assert d.due_at == datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    assert d.promised_due_at == datetime(2026, 3, 19, 10, 0, tzinfo=UTC)


def test_api_payment_after_an_apology(client, session):
    clerk, officer = token(session, "t_clerk"), token(session, "t_officer")
    with patch("onestop.web.api.utcnow", return_value=MONDAY):
        code = client.post("/api/v1/dossiers", headers=clerk, json={
            "procedure_code": "1.004884", "applicant": APPLICANT}).get_json()["code"]
        assert client.post(f"/api/v1/dossiers/{code}/actions/transfer", headers=clerk,
                           json={}).status_code == 200
    steps = [(TUESDAY, officer, "apologise", {"reason": "Chờ xác minh", "new_due_at": "2026-03-12"}),
             (TUESDAY_10, officer, "request_payment", {"reason": "Lệ phí"}),
             (NEXT_TUE_10, officer, "confirm_payment", {})]
    for when, h, action, body in steps:
        with patch("onestop.web.api.utcnow", return_value=when):
            r = client.post(f"/api/v1/dossiers/{code}/actions/{action}", headers=h, json=body)
        assert r.status_code == 200, (action, r.get_json())
    got = r.get_json()
    assert got["status"] == "processing" and got["promised_due_at"] == "2026-03-19T17:00:00+07:00"
