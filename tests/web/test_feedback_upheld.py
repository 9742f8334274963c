"""The staff PAKN inbox asks for a complaint's conclusion (upheld yes/no; docs/rules.md F5): without
it the answer is refused with a clear message and the complaint stays open; with it the decision is
stored and shown."""
from __future__ import annotations

from onestop.models import Feedback
from onestop.services.public.feedback import register_feedback
from tests.factories import receive
from tests.times import MONDAY


def test_a_complaint_is_answered_only_with_its_conclusion(auth, session, client, clock):
    d = receive(session, now=MONDAY).dossier
    fb = register_feedback(session, d, content="Chậm", kind="complaint", now=MONDAY)
    sug = register_feedback(session, d, content="Nên có ghế chờ", kind="suggestion", now=MONDAY)
    session.commit()
    auth.login("t_head")
    inbox = client.get("/feedback").get_data(as_text=True)
    assert f'id="upheld-yes-{fb.id}"' in inbox and f'id="upheld-yes-{sug.id}"' not in inbox
    r = client.post("/feedback", data={"feedback_id": str(fb.id), "answer": "Đã xem xét"},
                    follow_redirects=True)
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
