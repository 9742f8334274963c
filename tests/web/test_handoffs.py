"""The liên thông chain end to end through the web: hand-off, the receiver's
acknowledgement from its /handoffs page, onward, complete, return; senders see
unacknowledged hand-offs; form 06 prints one row per leg with its result."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest.mock import patch

from sqlalchemy import select

from onestop.models import Dossier
from tests.factories import receive
from tests.times import hanoi


def act(client: Any, session: Any, code: str, action: str, now: datetime, **data: Any) -> Any:
    session.expire_all()
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    with patch("onestop.web.dossiers.utcnow", return_value=now):
        return client.post(f"/dossiers/{code}/actions/{action}",
                           data={"version": d.version, "confirmed": "1", **data})


def get(session: Any, code: str) -> Dossier:
    session.expire_all()
    return session.scalar(select(Dossier).where(Dossier.code == code))


def test_three_agency_chain_through_the_web(auth, client, session):
    code = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code="3.000722").dossier.code
    session.commit()
    auth.login("t_clerk")
    assert act(client, session, code, "transfer", hanoi(2026, 3, 2, 9)).status_code == 303

    auth.login("t_officer")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "/actions/hand_off" in page and "Công an xã Tân Lạc" in page  # default: next step
    assert act(client, session, code, "hand_off", hanoi(2026, 3, 2, 10)).status_code == 303
    sent = client.get("/handoffs").get_data(as_text=True)  # the sender sees it unacknowledged
    assert code in sent and "bên nhận chưa xác nhận" in sent

    auth.login("t_police")
    waiting = client.get("/handoffs").get_data(as_text=True)
    assert code in waiting and "Xác nhận đã nhận" in waiting
    r = act(client, session, code, "acknowledge", hanoi(2026, 3, 2, 14), next="/handoffs")
    assert r.status_code == 303 and r.headers["Location"].endswith("/handoffs")
    client.get("/handoffs")  # shows (and consumes) the success flash
    assert code not in client.get("/handoffs").get_data(as_text=True)
    assert act(client, session, code, "hand_off", hanoi(2026, 3, 3, 11)).status_code == 303

    auth.login("t_bhxh")
    assert act(client, session, code, "acknowledge", hanoi(2026, 3, 3, 13, 30)).status_code == 303
    assert act(client, session, code, "complete", hanoi(2026, 3, 5, 9),
               result="Đã cấp thẻ BHYT").status_code == 303

    auth.login("t_clerk")
    assert act(client, session, code, "return_result", hanoi(2026, 3, 5, 10),
               method="direct").status_code == 303
    d = get(session, code)
    assert d.status == "returned" and d.code == code
    assert [lg.result for lg in d.legs] == ["early", "on_time", "late"]
    assert session.scalar(select(Dossier).where(Dossier.code == code)) is d  # one dossier, one code

    html = client.get(f"/dossiers/{code}/print/06").get_data(as_text=True)
    for text in (code, "Trước hạn", "Đúng hạn", "Trễ hạn", "Công an xã Tân Lạc",
                 "Bảo hiểm xã hội tỉnh Phú Thọ",
                 "14:00 02/03/2026", "10:45 04/03/2026", "Người tiếp nhận", "Thủ trưởng cơ quan"):
        assert text in html, text


def test_receiver_of_another_agency_cannot_acknowledge(auth, client, session):
    code = receive(session, now=hanoi(2026, 3, 2, 9), procedure_code="3.000722").dossier.code
    session.commit()
    auth.login("t_clerk")
    act(client, session, code, "transfer", hanoi(2026, 3, 2, 9))
    auth.login("t_officer")
    act(client, session, code, "hand_off", hanoi(2026, 3, 2, 10))
    auth.login("t_bhxh")  # BHXH is the third leg, not this one
    before = get(session, code).version
    r = act(client, session, code, "acknowledge", hanoi(2026, 3, 2, 11))
    assert r.status_code in (403, 404)
    assert get(session, code).version == before and get(session, code).legs[-1].acknowledged_at is None
