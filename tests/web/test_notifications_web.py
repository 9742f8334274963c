"""The web side of notifications and the head's desk: the menu's unread count, the citizen's
messages and their delivery status on the dossier page, bulk assignment all or nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from onestop.models import Dossier, OutboxMessage
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import SupplementRequestInput
from tests.factories import receive, user
from tests.times import MONDAY

NOW = MONDAY


def _transferred(session, **kw):
    d = receive(session, now=NOW, **kw).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=NOW + timedelta(minutes=1))
    return d


def test_dossier_page_shows_consent_and_each_messages_delivery_status(auth, client, session):
    d = _transferred(session, notify_consent=True, notify_channel="zalo")
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu", missing_items=("Bản sao CCCD",)),
                 actor=user(session, "t_head"), now=NOW + timedelta(minutes=2))
    msg = session.scalar(select(OutboxMessage))
    msg.attempts, msg.last_error = 2, "HTTP 503"
    session.commit()
    auth.login("t_head")
    html = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    section = html[html.index('id="citizen-messages"'):]
    assert "Đồng ý nhận thông báo qua Zalo." in section
    assert f"Hồ sơ {d.code}: yêu cầu bổ sung" in section and "Đang chờ gửi" in section
    other = _transferred(session)
    session.commit()
    page = client.get(f"/dossiers/{other.code}").get_data(as_text=True)
    assert "Công dân không đăng ký nhận thông báo." in page


def test_menu_shows_the_unread_count(auth, client, session):
    _transferred(session)  # the transfer tells UBND's head
    session.commit()
    auth.login("t_head")
    html = client.get("/").get_data(as_text=True)
    assert 'id="nav-unread" data-count="1"' in html and "chưa đọc" in html
    client.post("/notifications/read", data={})
    assert 'data-count="0"' in client.get("/").get_data(as_text=True)


def test_bulk_assignment_through_the_inbox_is_all_or_nothing(auth, client, session):
    a, b = _transferred(session), _transferred(session)
    officer = user(session, "t_officer")
    session.commit()
    versions = {f"version-{d.id}": str(d.version) for d in (a, b)}
    auth.login("t_head")
    # b's version is stale (changed meanwhile): neither is assigned, the message names b.
    stale = dict(versions, **{f"version-{b.id}": str(b.version - 1)})
    r = client.post("/inbox/assign",
                    data={"dossier": [str(a.id), str(b.id)], "officer": str(officer.id), **stale})
    assert r.status_code == 303
    page = client.get("/inbox").get_data(as_text=True)
    assert f"Chưa giao hồ sơ nào: {b.code}" in page
    session.expire_all()
    assert [session.get(Dossier, x.id).assignee_id for x in (a, b)] == [None, None]
    r = client.post("/inbox/assign", data={"dossier": [str(a.id), str(b.id)], "officer": str(officer.id),
                                           **versions})
    assert "Đã giao 2 hồ sơ cho T Officer." in client.get("/inbox").get_data(as_text=True)
    session.expire_all()
    assert [session.get(Dossier, x.id).assignee_id for x in (a, b)] == [officer.id, officer.id]
    r = client.post("/inbox/assign", data={"officer": str(officer.id)})
    assert "Chọn ít nhất một hồ sơ để giao." in client.get("/inbox").get_data(as_text=True)
