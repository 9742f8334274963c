"""The staff JSON API (docs/architecture.md §3): bearer tokens, JSON errors,
every state change through the one writer."""
from __future__ import annotations

from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from onestop.models import ApiToken, Dossier, DossierEvent
from onestop.services.admin.accounts import issue_token, revoke_token
from tests.factories import receive, user
from tests.times import MONDAY, TUESDAY


def token(session, username: str) -> dict[str, str]:
    raw = issue_token(session, user(session, username), now=MONDAY, name="test")
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def at_monday():
    with patch("onestop.web.api.utcnow", return_value=MONDAY):
        yield


APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001090012345", "phone": "0912345678",
             "address": "Xóm Mới, xã Tân Lạc"}


def test_create_dossier_returns_201_with_code_due_time_and_the_secret_once(client, session, at_monday):
    h = token(session, "t_clerk")
    r = client.post("/api/v1/dossiers", headers=h, json={
        "procedure_code": "1.004884", "applicant": APPLICANT, "channel": "direct", "outcome": "receive",
        "documents": [{"name": "Tờ khai", "provided": True}]})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["code"] == "000.01.31.H25-260302-0001"
    assert body["status"] == "received" and body["national_status_code"] == 2
    # 5 working days from Monday 09:00 → Monday 09/03/2026 at 17:00 local (docs/domain.md §5).
    assert body["due_at"].endswith("+07:00")
    assert body["due_at"] == "2026-03-09T17:00:00+07:00"
    assert len(body["secret"]) >= 8
    assert r.headers["Location"].endswith("/api/v1/dossiers/000.01.31.H25-260302-0001")
    again = client.get(r.headers["Location"], headers=h).get_json()
    assert "secret" not in again
    assert [e["action"] for e in again["events"]] == ["receive"]
    assert again["events"][0]["actor"] == "t_clerk"


def test_create_with_supplement_outcome_needs_items_and_reason(client, session, at_monday):
    h = token(session, "t_clerk")
    r = client.post("/api/v1/dossiers", headers=h, json={
        "procedure_code": "1.004884", "applicant": APPLICANT, "outcome": "request_supplement"})
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"missing_items", "reason"}
    r = client.post("/api/v1/dossiers", headers=h, json={
        "procedure_code": "1.004884", "applicant": APPLICANT, "outcome": "request_supplement",
        "missing_items": ["Giấy chứng sinh"], "reason": "Thiếu giấy chứng sinh"})
    assert r.status_code == 201 and r.get_json()["status"] == "incomplete"
    assert r.get_json()["due_at"] is None


def test_bad_fields_answer_422_with_a_message_per_field_and_write_nothing(client, session, at_monday):
    h = token(session, "t_clerk")
    r = client.post("/api/v1/dossiers", headers=h, json={
        "procedure_code": "9.999999", "channel": "fax",
        "applicant": {"name": "", "id_number": "123", "phone": "12", "extra": 1}})
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "validation_failed"
    assert {"channel", "applicant.name", "applicant.extra"} <= set(err["fields"])
    r = client.post("/api/v1/dossiers", headers=h, json={
        "procedure_code": "9.999999", "applicant": {"name": "An", "id_number": "123", "phone": "12"}})
    assert set(r.get_json()["error"]["fields"]) >= {"procedure_code", "applicant.id_number",
                                                    "applicant.phone"}
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_malformed_json_is_a_422_not_a_crash(client, session):
    h = token(session, "t_clerk")
    r = client.post("/api/v1/dossiers", headers={**h, "Content-Type": "application/json"}, data=b"{nope")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_failed"
    r = client.post("/api/v1/dossiers", headers=h, json=[1, 2])
    assert r.status_code == 422


def test_missing_invalid_or_revoked_token_is_401_with_bearer_challenge(client, session, at_monday):
    r = client.get("/api/v1/agencies")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.get_json()["error"]["code"] == "unauthorized"
    r = client.get("/api/v1/agencies", headers={"Authorization": "Bearer os_not-a-token"})
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    h = token(session, "t_clerk")
    assert client.get("/api/v1/agencies", headers=h).status_code == 200
    tok = session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    revoke_token(session, tok.id, now=TUESDAY, actor=user(session, "t_admin"))
    session.commit()
    assert client.get("/api/v1/agencies", headers=h).status_code == 401


def test_a_signed_in_session_cookie_does_not_authenticate_the_api(client, session, at_monday):
    """CSRF: a cookie rides along on cross-site requests; only a bearer token counts."""
    r = client.post("/login", data={"username": "t_clerk", "password": "test-pass-123"})
    assert r.status_code == 303
    assert client.get("/api/v1/agencies").status_code == 401
    r = client.post("/api/v1/dossiers", json={"procedure_code": "1.004884", "applicant": APPLICANT})
    assert r.status_code == 401
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_unknown_code_and_other_agencys_dossier_are_both_404_on_read(client, session, at_monday):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    other = token(session, "t_clerk_other")
    r1 = client.get(f"/api/v1/dossiers/{d.code}", headers=other)
    r2 = client.get("/api/v1/dossiers/000.01.32.H25-260302-9999", headers=other)
    assert r1.status_code == r2.status_code == 404
    assert r1.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/dossiers/{d.code}", headers=token(session, "t_admin")).status_code == 200


def test_full_lifecycle_through_the_api(client, session, at_monday):
    clerk, head, officer = token(session, "t_clerk"), token(session, "t_head"), token(session, "t_officer")
    code = client.post("/api/v1/dossiers", headers=clerk, json={
        "procedure_code": "1.004884", "applicant": APPLICANT}).get_json()["code"]

    def act(h, action, **body):
        r = client.post(f"/api/v1/dossiers/{code}/actions/{action}", headers=h, json=body)
        assert r.status_code == 200, (action, r.get_json())
        return r.get_json()

    assert act(clerk, "transfer")["current_agency"] == "000.00.31.H25"
    got = act(head, "assign", officer="t_officer")
    assert got["assignee"] == "t_officer"
    assert "complete" in got["allowed_actions"] or got["allowed_actions"] == ["assign"]
    got = act(officer, "request_supplement", reason="Thiếu bản sao", missing_items=["Bản sao CCCD"])
    assert got["status"] == "awaiting_supplement" and got["timing"] == "paused"
    act(clerk, "provide_supplement")
    act(officer, "apologise", reason="Chờ xác minh", new_due_at="2026-03-20")
    done = act(officer, "complete", result="Đã cấp")
    assert done["status"] == "result_ready" and done["national_status_code"] == 9
    assert done["promised_due_at"] == "2026-03-20T17:00:00+07:00"
    final = act(clerk, "return_result", method="postal")
    assert final["status"] == "returned"
    assert [e["action"] for e in final["events"]] == [
        "receive", "transfer", "assign", "request_supplement", "provide_supplement", "apologise",
        "complete", "return_result"]


def test_stale_version_is_409_conflict_and_changes_nothing(client, session, at_monday):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    clerk = token(session, "t_clerk")
    r = client.post(f"/api/v1/dossiers/{d.code}/actions/transfer", headers=clerk,
                    json={"version": d.version + 5})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    session.expire_all()
    assert d.status == "received"
    r = client.post(f"/api/v1/dossiers/{d.code}/actions/transfer", headers=clerk, json={"version": d.version})
    assert r.status_code == 200


def test_action_field_errors(client, session, at_monday):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    clerk, head = token(session, "t_clerk"), token(session, "t_head")
    url = f"/api/v1/dossiers/{d.code}/actions"
    assert client.post(f"{url}/fly", headers=clerk, json={}).status_code == 404
    assert client.post(f"{url}/transfer", headers=clerk, json={"bogus": 1}).status_code == 422
    assert client.post(f"{url}/transfer", headers=clerk, json={"to_agency": "nope"}).status_code == 422
    assert client.post(f"{url}/transfer", headers=clerk).status_code == 200
    r = client.post(f"{url}/assign", headers=head, json={"officer": "ghost"})
    assert r.status_code == 422 and "officer" in r.get_json()["error"]["fields"]
    r = client.post(f"{url}/apologise", headers=head, json={"reason": "x", "new_due_at": "31/12/2026"})
    assert r.status_code == 422 and "new_due_at" in r.get_json()["error"]["fields"]
    # Wrong status is 409 with the transition message.
    r = client.post(f"{url}/return_result", headers=clerk, json={})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "illegal_transition"


def test_catalogue_lists_agencies_and_procedures_with_chain_steps(client, session):
    h = token(session, "t_officer")
    ag = client.get("/api/v1/agencies", headers=h).get_json()["agencies"]
    by = {a["identifier"]: a for a in ag}
    assert by["000.01.31.H25"]["parent"] == "000.00.31.H25"
    procs = {p["code"]: p for p in client.get("/api/v1/procedures", headers=h).get_json()["procedures"]}
    chain = procs["3.000722"]
    assert chain["limit"] == 3 and chain["unit"] == "working_days"
    assert [(s["agency_kind"], s["share_percent"]) for s in chain["steps"]] == [
        ("people_committee", 40), ("commune_police", 30), ("social_insurance", 30)]
    assert procs["2.000815"]["cutoff"] == "15:00"
    assert isinstance(procs["1.004884"]["documents"], list)


def test_api_errors_are_json_even_for_unknown_routes(client, session):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = client.delete("/api/v1/agencies")
    assert r.status_code == 405 and "error" in r.get_json()


def test_event_count_matches_actions(client, session, at_monday):
    clerk = token(session, "t_clerk")
    code = client.post("/api/v1/dossiers", headers=clerk, json={
        "procedure_code": "1.004884", "applicant": APPLICANT}).get_json()["code"]
    client.post(f"/api/v1/dossiers/{code}/actions/transfer", headers=clerk, json={})
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    n = session.scalar(select(func.count()).select_from(DossierEvent).where(DossierEvent.dossier_id == d.id))
    assert n == 2
