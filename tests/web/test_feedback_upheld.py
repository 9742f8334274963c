"""The staff PAKN inbox asks for a complaint's conclusion (upheld yes/no; docs/rules.md F5): without
it the answer is refused with a clear message and the complaint stays open; with it the decision is
stored and shown."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onestop.models import Feedback
from onestop.services.public.feedback import register_feedback
from tests.factories import receive

MON = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("public.page", "public.api", "public.transparency", "feedback"):
        monkeypatch.setattr(f"onestop.web.{module}.utcnow", lambda: LATER)


def test_a_complaint_is_answered_only_with_its_conclusion(session, client, clock):
    d = receive(session, now=MON).dossier
    fb = register_feedback(session, d, content="Chậm", kind="complaint", now=MON)
    sug = register_feedback(session, d, content="Nên có ghế chờ", kind="suggestion", now=MON)
    session.commit()
    client.post("/login", data={"username": "t_head", "password": "test-pass-123"})
    inbox = client.get("/feedback").get_data(as_text=True)
    assert f'id="upheld-yes-{fb.id}"' in inbox and f'id="upheld-yes-{sug.id}"' not in inbox
    r = client.post("/feedback", data={"feedback_id": str(fb.id), "answer": "Đã xem xét"}, follow_redirects=True)
    assert r.status_code == 200 and "Chọn kết luận" in r.get_data(as_text=True)
    session.expire_all()
    assert session.get(Feedback, fb.id).status == "open"
    assert client.post("/feedback", data={"feedback_id": str(fb.id), "answer": "x", "upheld": "maybe"}
                       ).status_code == 303
    session.expire_all()
    assert session.get(Feedback, fb.id).status == "open"
    client.post("/feedback", data={"feedback_id": str(fb.id), "answer": "Đúng, xin lỗi", "upheld": "yes"})
    client.post("/feedback", data={"feedback_id": str(sug.id), "answer": "Cảm ơn"})
    session.expire_all()
    got, got_sug = session.get(Feedback, fb.id), session.get(Feedback, sug.id)
    assert (got.status, got.upheld) == ("answered", True)
    assert (got_sug.status, got_sug.upheld) == ("answered", None)
    assert "Phản ánh đúng (có cơ sở)" in client.get("/feedback").get_data(as_text=True)
