"""The score page, GET /api/v1/scores and the admin's rule editing (CSRF on in one test)."""
from __future__ import annotations

from decimal import Decimal
from unittest.mock import patch

import pytest
from sqlalchemy import select

from onestop.models import ScoringRuleRow
from onestop.services.admin.accounts import issue_token
from tests.factories import user
from tests.services.test_scores_rules import AS_OF, build_march


@pytest.fixture(autouse=True)
def frozen():
    with patch("onestop.web.scores.utcnow", return_value=AS_OF):
        yield


def test_head_sees_the_criteria_table_and_the_what_if(auth, client, session):
    build_march(session)
    session.commit()
    auth.login("t_head")
    r = client.get("/scores?agency=000.00.31.H25&from=2026-03-01&to=2026-03-31&days=3")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Chỉ số 2.1" in html and "766.2.1" not in html and "13.33" in html and "66,67%" in html
    assert "Có 1 hồ sơ đến hạn trong 3 ngày làm việc tới" in html and "50,00%" in html
    assert "style=" not in html and "<script>" not in html


def test_head_cannot_score_another_commune_and_officers_are_refused(auth, client, session):
    auth.login("t_head")
    r = client.get("/scores?agency=000.00.32.H25")
    assert r.status_code == 422 and "Không có cơ quan" in r.get_data(as_text=True)
    auth.logout()
    auth.login("t_officer")
    assert client.get("/scores").status_code == 403


def test_api_scores_json_with_bearer_token_and_json_errors(app, client, session):
    build_march(session)
    raw = issue_token(session, user(session, "t_head"), now=AS_OF, name="t")
    session.commit()
    h = {"Authorization": f"Bearer {raw}"}
    r = client.get("/api/v1/scores?agency=000.00.31.H25&from=2026-03-01&to=2026-03-31&days=3", headers=h)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    crit = {c["criterion"]: c for c in body["criteria"]}
    assert crit["766.2.1"]["measured"] == "0.6667" and crit["766.2.1"]["points"] == "13.33"
    assert body["what_if"]["due_next"] == 1 and body["what_if"]["points_if_late"]["766.2.1"] == "10.00"
    bad = client.get("/api/v1/scores?agency=000.00.31.H25&from=2026-13-01", headers=h)
    assert bad.status_code == 400 and "error" in bad.get_json()
    other = client.get("/api/v1/scores?agency=000.00.32.H25", headers=h)
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"
    from flask import g

    g.pop("_login_user", None)  # the test's app context (and g) outlives each request
    anonymous = app.test_client().get("/api/v1/scores")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"


def test_admin_edits_a_rule_and_the_score_follows(auth, client, session):
    auth.login("t_admin")
    assert client.get("/scores/rules").status_code == 200
    row = session.scalar(select(ScoringRuleRow).where(ScoringRuleRow.criterion == "766.3.3"))
    page = client.get(f"/scores/rules?edit={row.id}").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'for="max_points"' in page
    r = client.post("/scores/rules", data={"rule_id": row.id, "title": row.title, "max_points": "10",
                                           "kind": "proportional", "threshold": "50%", "tiers": "",
                                           "effective_from": "2022-06-23", "effective_to": "",
                                           "note": "QĐ tỉnh"})
    assert r.status_code == 303
    session.expire_all()
    row = session.get(ScoringRuleRow, row.id)
    assert row.max_points == Decimal(10) and row.threshold == Decimal("0.5")
    bad = client.post("/scores/rules", data={"rule_id": row.id, "max_points": "2", "kind": "tiers",
                                             "tiers": "1:5", "effective_from": "2022-06-23"})
    assert bad.status_code == 422
    session.expire_all()
    assert session.get(ScoringRuleRow, row.id).max_points == Decimal(10)


def test_rules_page_is_admin_only_and_needs_csrf(auth, app, client, session):
    auth.login("t_head")
    assert client.get("/scores/rules").status_code == 403
    auth.logout()
    auth.login("t_admin")
    client.get("/scores/rules")
    row = session.scalar(select(ScoringRuleRow).where(ScoringRuleRow.criterion == "766.3.3"))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = client.post("/scores/rules", data={"rule_id": row.id, "max_points": "1", "kind": "proportional",
                                               "effective_from": "2022-06-23"})
        assert r.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
