"""Worklist (sorted by working time left, paused last), department inbox with
inline assignment, notifications, and the dossier page's header pieces."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from sqlalchemy import select

from onestop.models import Dossier, Notification
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import AssignInput, SupplementRequestInput
from tests.factories import receive, user
from tests.times import MONDAY


def processing(session: Any, now: datetime, procedure_code: str = "1.004884") -> Dossier:
    d = receive(session, now=now, procedure_code=procedure_code).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=now)
    return d


def test_worklist_sorted_by_time_left_paused_last_with_labels(auth, client, session):
    paused = processing(session, MONDAY)  # due Mon 09/03 17:00
    apply_action(session, paused, "request_supplement",
                 SupplementRequestInput(missing_items=("X",), reason="Thiếu"),
                 actor=user(session, "t_officer"), now=MONDAY)
    later = processing(session, datetime(2026, 3, 4, 2, 0, tzinfo=UTC))  # due Wed 11/03
    sooner = processing(session, MONDAY)  # due Mon 09/03
    session.commit()
    auth.login("t_officer")
    with patch("onestop.web.dossiers.utcnow", return_value=datetime(2026, 3, 6, 2, 0, tzinfo=UTC)):
        html = client.get("/worklist").get_data(as_text=True)
    pos = [html.index(d.code) for d in (sooner, later, paused)]
    assert pos == sorted(pos)
    assert "Còn 1 ngày 6 giờ" in html  # Fri 09:00 → Mon 17:00: 6 h + one 7.5 h working day
    assert "Tạm dừng" in html


def test_worklist_shows_overdue_and_apology_prompt(auth, client, session):
    d = processing(session, MONDAY)
    session.commit()
    auth.login("t_officer")
    with patch("onestop.web.dossiers.utcnow", return_value=datetime(2026, 3, 12, 3, 0, tzinfo=UTC)):
        html = client.get("/worklist").get_data(as_text=True)
    assert d.code in html and "Quá hạn" in html and "Quá 2 ngày" in html and "Cần xin lỗi" in html


def test_inbox_lists_unassigned_first_and_head_assigns_inline(auth, client, session):
    a = processing(session, MONDAY)
    b = processing(session, MONDAY)
    apply_action(session, a, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=MONDAY)
    session.commit()
    auth.login("t_head")
    html = client.get("/inbox").get_data(as_text=True)
    assert html.index(b.code) < html.index(a.code)
    assert f'/dossiers/{b.code}/actions/assign' in html
    officer2 = user(session, "t_officer2")
    r = client.post(f"/dossiers/{b.code}/actions/assign",
                    data={"version": b.version, "officer": str(officer2.id), "next": "/inbox"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/inbox")
    session.expire_all()
    assert session.scalar(select(Dossier).where(Dossier.code == b.code)).assignee_id == officer2.id


def test_officer_inbox_has_no_assign_controls(auth, client, session):
    d = processing(session, MONDAY)
    session.commit()
    auth.login("t_officer")
    html = client.get("/inbox").get_data(as_text=True)
    assert d.code in html and "/actions/assign" not in html


def test_notifications_listed_and_marked_read(auth, client, session):
    d = processing(session, MONDAY)
    me = user(session, "t_officer")
    session.add(Notification(user_id=me.id, dossier_id=d.id, kind="due_soon", message="Hồ sơ sắp đến hạn",
                             dedupe_key=f"t-{d.id}", created_at=MONDAY))
    session.commit()
    auth.login("t_officer")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Hồ sơ sắp đến hạn" in html and d.code in html and "1 chưa đọc" in html
    n = session.scalar(select(Notification).where(Notification.user_id == me.id))
    assert client.post("/notifications/read", data={"id": n.id}).status_code == 303
    session.expire_all()
    assert session.get(Notification, n.id).read_at is not None


def test_dossier_page_header_trace_and_forms(auth, client, session):
    d = processing(session, MONDAY)
    session.commit()
    auth.login("t_officer")
    with patch("onestop.web.dossiers.utcnow", return_value=MONDAY):
        html = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    for text in (d.code, "Đang xử lý", "Trong hạn", "Còn 5 ngày", "09/03/2026", "Vì sao là ngày này?",
                 "Quá trình xử lý", "Mẫu 01", "Mẫu 06", "Tiếp nhận", "Chuyển xử lý"):
        assert text in html, text
    assert 'style="' not in html and "<script>" not in html  # CSP: no inline style/script
    receipt = client.get(f"/dossiers/{d.code}/print/01").get_data(as_text=True)
    for text in ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "02/03/2026", "09/03/2026", "Người nộp hồ sơ",
                 "Người tiếp nhận", "sheet-a5", "Nguyễn Văn An"):
        assert text in receipt, text
    assert client.get(f"/dossiers/{d.code}/print/04").status_code == 404  # no apology yet


def test_admin_sees_the_dossier_but_no_action_buttons(auth, client, session):
    d = processing(session, MONDAY)
    session.commit()
    auth.login("t_admin")
    html = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    assert d.code in html and "/actions/" not in html
