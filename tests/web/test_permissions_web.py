"""A representative subset of the permission matrix through the web form
(POST /dossiers/<code>/actions/<action>, the dossiers area's view): allowed
actions redirect, forbidden ones answer 403 (role), 404 (another agency's
dossier: the web never reveals that it exists) or 409 (wrong status), and
change nothing. The full matrix runs through the API (test_permissions_matrix)."""
from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest

from onestop.domain.status import DossierAction as A
from tests.factories import user
from tests.times import MONDAY
from tests.web.test_permissions_matrix import make, snapshot

LATER = MONDAY + timedelta(hours=1)

# (action, state, username, form fields, expected status)
CASES = [
    (A.TRANSFER, "received", "t_clerk", {}, 303),
    (A.TRANSFER, "received", "t_clerk_other", {}, 404),
    (A.TRANSFER, "received", "t_head", {}, 403),
    (A.ASSIGN, "processing", "t_head", {"officer": "@t_officer"}, 303),
    (A.ASSIGN, "processing", "t_officer", {"officer": "@t_officer"}, 403),
    (A.COMPLETE, "processing", "t_officer", {"result": "Đã cấp"}, 303),
    (A.COMPLETE, "processing", "t_officer_other", {"result": "Đã cấp"}, 404),
    (A.COMPLETE, "processing", "t_clerk", {"result": "Đã cấp"}, 403),
    (A.COMPLETE, "awaiting_supplement", "t_head", {"result": "Đã cấp"}, 409),
    (A.REQUEST_SUPPLEMENT, "processing", "t_head", {"reason": "Thiếu", "missing_items": "Bản sao CCCD"}, 303),
    (A.REQUEST_SUPPLEMENT, "result_ready", "t_clerk", {"reason": "Thiếu", "missing_items": "Bản sao"}, 409),
    (A.RETURN_RESULT, "result_ready", "t_clerk", {"method": "direct"}, 303),
    (A.RETURN_RESULT, "result_ready", "t_officer", {"method": "direct"}, 403),
    (A.STOP, "processing", "t_admin", {"reason": "x"}, 403),
    (A.WITHDRAW, "processing", "t_clerk_other", {"reason": "x"}, 404),
    # Liên thông legs: only the holder (Công an xã) acknowledges and hands back; the sender
    # (UBND xã, its parent in the agency tree) sees the leg waiting.
    (A.ACKNOWLEDGE, "handed_off", "t_officer", {}, 403),
    (A.ACKNOWLEDGE, "handed_off", "t_head", {}, 403),
    (A.ACKNOWLEDGE, "handed_off", "t_police", {}, 303),
    (A.HAND_BACK, "acknowledged", "t_head", {}, 403),
    (A.HAND_BACK, "acknowledged", "t_police", {}, 303),
    (A.COMPLETE, "acknowledged", "t_officer", {"result": "Đã cấp", "chain_reason": "x"}, 403),
]


@pytest.mark.parametrize(("action", "state", "username", "fields", "expected"), CASES,
                         ids=[f"{c[0].value}-{c[1]}-{c[2]}" for c in CASES])
def test_web_action_permissions(auth, app, session, action, state, username, fields, expected):
    from onestop.extensions import limiter

    limiter.reset()
    d = make(session, state)
    session.commit()
    before = snapshot(session, d)
    client = app.test_client()
    auth.login(username)
    data = {k: (str(user(session, v[1:]).id) if v.startswith("@") else v) for k, v in fields.items()}
    data["version"] = str(before[1])
    # irreversible actions: the confirmation step is tested in test_sec_accountability
    data["confirmed"] = "1"
    with patch("onestop.web.dossiers.utcnow", return_value=LATER):
        r = client.post(f"/dossiers/{d.code}/actions/{action.value}", data=data)
    assert r.status_code == expected
    after = snapshot(session, d)
    if expected == 303:
        assert after[9] == before[9] + 1
    else:
        assert after == before
