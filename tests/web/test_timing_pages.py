"""Over HTTP: the staff page, the staff API and the citizen's look-up (page and JSON) show the same
timing for the same dossier at the same moment (docs/rules.md, "Timing")."""
from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from typing import Any
from unittest.mock import patch

import pytest

from onestop.services.admin.accounts import issue_token
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import SupplementRequestInput
from tests.factories import receive, user
from tests.times import hanoi


def _clock(now: datetime) -> ExitStack:
    stack = ExitStack()
    for where in ("onestop.web.dossiers.utcnow", "onestop.web.api.utcnow", "onestop.web.public.page.utcnow",
                  "onestop.web.public.api.utcnow"):
        stack.enter_context(patch(where, return_value=now))
    return stack


def _shown(auth, client: Any, session: Any, code: str, secret: str, now: datetime) -> dict[str, Any]:
    token = issue_token(session, user(session, "t_head"), now=now, name="test")
    session.commit()
    auth.login("t_head")
    with _clock(now):
        page = client.get(f"/dossiers/{code}").get_data(as_text=True)
        api = client.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {token}"}).get_json()
        auth.logout()
        public = client.post("/lookup", data={"code": code, "secret": secret}).get_data(as_text=True)
        summary = client.get(f"/api/v1/lookup/{code}?secret={secret}").get_json()
    return {"page": page, "api": api["timing"], "public": public, "summary": summary["timing"]}


@pytest.mark.parametrize(("asked", "expected"), [
    (hanoi(2026, 3, 10, 9), "overdue"),  # asked after the due time (Mon 09/03 17:00): lateness goes on
    (hanoi(2026, 3, 5, 9), "paused"),  # asked in time: the clock is stopped
])
def test_page_api_and_look_up_agree_on_a_supplement_request(auth, client, session, asked, expected):
    res = receive(session, now=hanoi(2026, 3, 2, 9))
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9, 5))
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu giấy tờ", missing_items=("Bản sao giấy chứng sinh",)),
                 actor=user(session, "t_officer"), now=asked)
    session.commit()
    got = _shown(auth, client, session, d.code, res.secret, hanoi(2026, 3, 11, 10))
    assert got["api"] == got["summary"] == expected
    assert f"badge-timing-{expected}" in got["page"]
    assert f"badge-timing-{expected}" in got["public"]
