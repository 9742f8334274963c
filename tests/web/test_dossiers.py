"""Every transition of the lifecycle through the web, with the guards: stale
versions (409, nothing changes), wrong role / other agency (403/404, nothing
changes), field validation, CSRF, and the pause/restart arithmetic."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from sqlalchemy import func, select

from onestop.models import Dossier, DossierEvent
from tests.factories import receive
from tests.times import MONDAY, TUESDAY

WED = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)   # Wednesday 09:00
THU = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)   # Thursday 09:00


def at(now: datetime) -> Any:
    return patch("onestop.web.dossiers.utcnow", return_value=now)


def get(session: Any, code: str) -> Dossier:
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None
    return d


def snapshot(session: Any, code: str) -> tuple[str, int, int, str | None]:
    session.expire_all()
    d = get(session, code)
    n = session.scalar(select(func.count()).select_from(DossierEvent).where(DossierEvent.dossier_id == d.id))
    return d.status, d.version, int(n or 0), d.assignee_id


def act(client: Any, session: Any, code: str, action: str, now: datetime = MONDAY, **data: Any) -> Any:
    session.expire_all()
    version = data.pop("version", None) or get(session, code).version
    with at(now):
        return client.post(f"/dossiers/{code}/actions/{action}",
                           data={"version": version, "confirmed": "1", **data})


def received(session: Any, **kw: Any) -> str:
    code = receive(session, now=kw.pop("now", MONDAY), **kw).dossier.code
    session.commit()
    return code


def in_processing(auth, client: Any, session: Any, **kw: Any) -> str:
    code = received(session, **kw)
    auth.login("t_clerk")
    assert act(client, session, code, "transfer").status_code == 303
    return code


# ---------------------------------------------------------------- transitions

def test_supplement_at_reception_then_receive(auth, client, session):
    auth.login("t_clerk")
    with patch("onestop.web.reception.utcnow", return_value=MONDAY):
        r = client.post("/reception/new", data={
            "procedure": "1.004884", "applicant_name": "Trần Văn Cường",
            "applicant_id_number": "001190012345",
            "applicant_phone": "0987654321", "outcome": "request_supplement",
            "missing_items": "Bản sao giấy khai sinh\nẢnh 4x6", "reason": "Thiếu giấy tờ theo danh mục"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/print/02")
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert d.status == "incomplete" and d.due_at is None
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    for text in (d.code, "Bản sao giấy khai sinh", "Ảnh 4x6", "Thiếu giấy tờ theo danh mục",
                 "Người nộp hồ sơ", "Người tiếp nhận", "02/03/2026"):
        assert text in form
    assert act(client, session, d.code, "receive", now=TUESDAY).status_code == 303
    d = get(session, d.code)
    assert d.status == "received" and d.received_at == TUESDAY and d.due_at is not None


def test_refuse_at_reception_prints_form_03_with_reason(auth, client, session):
    auth.login("t_clerk")
    with patch("onestop.web.reception.utcnow", return_value=MONDAY):
        r = client.post("/reception/new", data={
            "procedure": "1.004884", "applicant_name": "Lê Thị Dung", "applicant_id_number": "001190012345",
            "applicant_phone": "0987654321", "outcome": "refuse", "reason": "Không thuộc thẩm quyền của xã"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/print/03")
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert d.status == "refused" and d.finished_at == MONDAY
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Không thuộc thẩm quyền của xã" in html and "Thủ trưởng cơ quan" in html and d.code in html


def test_transfer_assign_complete_return(auth, client, session):
    code = in_processing(auth, client, session)
    d = get(session, code)
    assert d.status == "processing" and d.current_agency.identifier == "000.00.31.H25"
    auth.login("t_head")
    from tests.factories import user

    r = act(client, session, code, "assign", officer=str(user(session, "t_officer").id))
    assert r.status_code == 303
    assert get(session, code).assignee.username == "t_officer"
    auth.login("t_officer")
    assert act(client, session, code, "complete", now=TUESDAY, result="Đã cấp bản sao").status_code == 303
    d = get(session, code)
    assert d.status == "result_ready" and d.finished_at == TUESDAY
    auth.login("t_clerk")
    assert act(client, session, code, "return_result", now=WED, method="postal").status_code == 303
    d = get(session, code)
    assert d.status == "returned" and d.returned_at == WED
    assert [e.action for e in d.events] == ["receive", "transfer", "assign", "complete", "return_result"]


def test_supplement_in_processing_pauses_and_moves_due_by_paused_working_time(auth, client, session):
    code = in_processing(auth, client, session)  # 1.004884: 5 working days, regime "pause"
    due0 = get(session, code).due_at
    assert due0 == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Mon 09/03 17:00 +07
    auth.login("t_officer")
    r = act(client, session, code, "request_supplement", now=TUESDAY, missing_items="Sổ hộ khẩu",
            reason="Thiếu")
    assert r.status_code == 303
    d = get(session, code)
    assert d.status == "awaiting_supplement" and d.supplement_count == 1
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Tạm dừng" in page
    auth.login("t_clerk")
    assert act(client, session, code, "provide_supplement", now=WED).status_code == 303
    d = get(session, code)
    assert d.status == "processing"
    # One working day paused (Tue 09:00 → Wed 09:00) → due one working day later.
    assert d.due_at == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def test_supplement_restart_regime_counts_the_limit_afresh(auth, client, session):
    # 1.013992: 7 working days, regime "restart"; received at the provincial centre.
    code = received(session, procedure_code="1.013992", clerk="t_pclerk")
    assert get(session, code).due_at == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    auth.login("t_pclerk")
    assert act(client, session, code, "request_supplement", now=TUESDAY, missing_items="Trích đo",
               reason="Thiếu").status_code == 303
    assert act(client, session, code, "provide_supplement", now=THU).status_code == 303
    d = get(session, code)
    assert d.status == "processing"  # the workflow table: a provided supplement resumes processing
    assert d.due_at == datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # 7 working days after Thu 05/03


def test_request_and_confirm_payment(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    assert act(client, session, code, "request_payment", now=TUESDAY,
               reason="Lệ phí 50.000đ").status_code == 303
    assert get(session, code).status == "awaiting_payment"
    assert act(client, session, code, "confirm_payment", now=WED).status_code == 303
    assert get(session, code).status == "processing"


def test_apology_once_with_new_date_and_second_refused(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    late = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Mon 09/03 09:00: due at 17:00 the same day
    with at(late):
        page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'id="apology-prompt"' in page and "Sắp đến hạn" in page
    r = act(client, session, code, "apologise", now=late, reason="Chờ xác minh", new_due_on="2026-03-12")
    assert r.status_code == 303 and r.headers["Location"].endswith("/print/04")
    d = get(session, code)
    assert d.promised_due_at == datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
    assert d.due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # statutory unchanged
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    for text in (code, "Chờ xác minh", "09/03/2026", "12/03/2026", "Thủ trưởng cơ quan"):
        assert text in form
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "action-apologise" not in page  # button gone
    before = snapshot(session, code)
    r = act(client, session, code, "apologise", now=late, reason="Lần hai", new_due_on="2026-03-20")
    assert r.status_code == 409
    assert "một lần" in r.get_data(as_text=True)
    assert snapshot(session, code) == before


def test_stop_prints_notice(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    r = act(client, session, code, "stop", now=TUESDAY, reason="Đối tượng không đủ điều kiện")
    assert r.status_code == 303 and r.headers["Location"].endswith("/print/05")
    assert get(session, code).status == "stopped"
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Đối tượng không đủ điều kiện" in html and "Thủ trưởng cơ quan" in html and code in html


def test_withdraw_at_the_citizens_request(auth, client, session):
    code = in_processing(auth, client, session)
    r = act(client, session, code, "withdraw", now=TUESDAY, reason="Công dân có đơn rút hồ sơ")
    assert r.status_code == 303
    assert get(session, code).status == "withdrawn"


# ---------------------------------------------------------------- guards

def test_stale_version_gives_conflict_and_changes_nothing(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    stale = get(session, code).version - 1
    before = snapshot(session, code)
    r = act(client, session, code, "complete", version=stale, result="x")
    assert r.status_code == 409
    assert "Hồ sơ đã thay đổi trong lúc bạn thao tác — vui lòng tải lại" in r.get_data(as_text=True)
    assert snapshot(session, code) == before


def test_wrong_role_is_403_and_changes_nothing(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    before = snapshot(session, code)
    # Assigning is legal in this status but a head's action, not an officer's. (A wrong
    # status is answered 409 first, whoever asks: see test_wrong_status_is_409.)
    r = act(client, session, code, "assign", officer="1")
    assert r.status_code == 403
    assert snapshot(session, code) == before


def test_officer_cannot_act_on_a_colleagues_dossier(auth, client, session):
    from tests.factories import user

    code = in_processing(auth, client, session)
    auth.login("t_head")
    act(client, session, code, "assign", officer=str(user(session, "t_officer").id))
    auth.login("t_officer2")
    before = snapshot(session, code)
    r = act(client, session, code, "complete", result="x")
    assert r.status_code == 403
    assert snapshot(session, code) == before
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "/actions/complete" not in page


def test_other_agency_cannot_see_or_act_404(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_head_other")
    assert client.get(f"/dossiers/{code}").status_code == 404
    before = snapshot(session, code)
    assert act(client, session, code, "stop", reason="x").status_code == 404
    assert client.get(f"/dossiers/{code}/print/01").status_code == 404
    assert snapshot(session, code) == before


def test_only_allowed_action_buttons_are_shown(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    for a in ("request_supplement", "request_payment", "stop", "complete", "apologise"):
        assert f"/actions/{a}" in page
    for a in ("assign", "transfer", "return_result", "receive", "hand_off", "acknowledge"):
        assert f"/actions/{a}\"" not in page
    auth.login("t_head")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "/actions/assign" in page


def test_action_field_errors_are_shown_next_to_fields(auth, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    before = snapshot(session, code)
    r = act(client, session, code, "request_supplement", missing_items="", reason="")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "invalid-feedback" in html and ("Nhập lý do" in html or "Liệt kê" in html)
    assert snapshot(session, code) == before


def test_post_without_csrf_token_is_refused(auth, app, client, session):
    code = in_processing(auth, client, session)
    auth.login("t_officer")
    before = snapshot(session, code)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = act(client, session, code, "complete", result="x")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert r.status_code == 400
    assert snapshot(session, code) == before
