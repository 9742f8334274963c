"""Admin screens: agencies, users and tokens, procedures,
calendar exceptions — admins only, every change audited."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from onestop.domain.status import DossierAction as A
from onestop.models import (
    Agency,
    AgencyName,
    ApiToken,
    AuditLog,
    CalendarExceptionRow,
    DossierEvent,
    Procedure,
    User,
)
from onestop.services.admin.accounts import check_password, token_digest
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import WithdrawInput
from tests.factories import PASSWORD, agency, receive, user
from tests.times import MONDAY

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with patch("onestop.web.admin.utcnow", return_value=NOW), patch("onestop.web.api.utcnow",
                                                                    return_value=NOW):
        yield


def audits(session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)).all())


PAGES = ["/admin", "/admin/agencies", "/admin/users", "/admin/procedures", "/admin/calendar",
         "/admin/procedures/1.004884"]


@pytest.mark.parametrize("username", ["t_clerk", "t_officer", "t_head", "t_dept_head"])
def test_admin_screens_are_forbidden_to_other_roles(auth, client, session, username):
    auth.login(username)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/calendar",
                       data={"on_date": "2026-03-04", "working": "0", "note": "x"}).status_code == 403
    assert session.scalar(select(func.count()).select_from(CalendarExceptionRow)) == 0


def test_anonymous_is_sent_to_login(client, session):
    r = client.get("/admin")
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]


def test_every_admin_page_renders_for_the_admin(auth, client, session):
    auth.login("t_admin")
    a = agency(session, "000.00.31.H25")
    u = user(session, "t_clerk")
    for url in PAGES + [f"/admin/agencies/{a.id}", f"/admin/users/{u.id}", "/admin/users?q=clerk"]:
        r = client.get(url)
        assert r.status_code == 200, url
        assert "<script>" not in r.get_data(as_text=True)


def test_create_agency_places_it_in_the_tree_and_is_audited(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/agencies", data={
        "identifier": "000.03.31.H25", "name": "Trạm Y tế xã Tân Lạc", "short_name": "TYT Tân Lạc",
        "level": "unit", "kind": "other", "parent": "000.00.31.H25",
        "office_hours": "07:30-11:30,13:30-17:00", "valid_from": "2026-03-01"})
    assert r.status_code == 303
    a = agency(session, "000.03.31.H25")
    parent = agency(session, "000.00.31.H25")
    assert a.path == f"{parent.path}{a.id}/"
    assert audits(session, "agency.create")[0].target == "agency:000.03.31.H25"
    assert "Trạm Y tế xã Tân Lạc" in client.get("/admin/agencies").get_data(as_text=True)


def test_create_agency_with_bad_fields_shows_vietnamese_messages(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/agencies",
                    data={"identifier": "abc", "name": "", "level": "unit", "kind": "other",
                                             "parent": "", "office_hours": "sáng", "valid_from": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Trường này là bắt buộc." in html and "Giờ làm việc dạng" in html
    assert session.scalar(select(func.count()).select_from(Agency).where(Agency.identifier == "abc")) == 0


def test_rename_keeps_the_old_name_and_reparenting_moves_the_subtree(auth, client, session):
    auth.login("t_admin")
    commune = agency(session, "000.00.31.H25")
    desk = agency(session, "000.01.31.H25")
    other = agency(session, "000.00.32.H25")
    r = client.post(f"/admin/agencies/{commune.id}", data={
        "name": "Ủy ban nhân dân xã Tân Lạc Mới", "short_name": commune.short_name, "parent": "000.00.32.H25",
        "office_hours": commune.office_hours, "valid_to": "", "successor": ""})
    assert r.status_code == 303
    session.expire_all()
    names = session.scalars(select(AgencyName).where(AgencyName.agency_id == commune.id)).all()
    assert [n.name for n in names] == ["Ủy ban nhân dân xã Tân Lạc"]
    commune, desk = agency(session, "000.00.31.H25"), agency(session, "000.01.31.H25")
    assert commune.path == f"{other.path}{commune.id}/"
    assert desk.path == f"{commune.path}{desk.id}/"  # the child moved with one UPDATE
    details = audits(session, "agency.update")[0].details
    assert set(details) == {"name", "path"}


def test_an_agency_cannot_be_moved_under_its_own_child(auth, client, session):
    auth.login("t_admin")
    commune = agency(session, "000.00.31.H25")
    r = client.post(f"/admin/agencies/{commune.id}", data={
        "name": commune.name, "short_name": commune.short_name, "parent": "000.01.31.H25",
        "office_hours": commune.office_hours, "valid_to": "", "successor": ""})
    assert r.status_code == 422
    assert "Không thể đặt cơ quan cấp dưới" in r.get_data(as_text=True)
    session.expire_all()
    assert agency(session, "000.00.31.H25").parent.identifier == "000.00.00.H25"


def test_merger_sets_the_end_date_and_the_successor(auth, client, session):
    auth.login("t_admin")
    a = agency(session, "000.00.33.H25")
    r = client.post(f"/admin/agencies/{a.id}", data={
        "name": a.name, "short_name": a.short_name, "parent": "000.00.00.H25", "office_hours": a.office_hours,
        "valid_to": "2026-06-30", "successor": "000.00.31.H25"})
    assert r.status_code == 303
    session.expire_all()
    a = agency(session, "000.00.33.H25")
    assert a.valid_to == date(2026, 6, 30) and a.successor_id == agency(session, "000.00.31.H25").id


def _secret(html: str) -> str:
    m = re.search(r'<code[^>]*id="secret">([^<]+)</code>', html)
    assert m, html[:2000]
    return m.group(1)


def test_create_user_shows_a_temporary_password_once(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/users", data={"username": "nv_moi", "full_name": "Lê Văn Mới", "email": "",
                                          "role": "officer", "agency": "000.00.31.H25"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    password = _secret(r.get_data(as_text=True))
    u = user(session, "nv_moi")
    assert u.must_change_password and check_password(u, password) and password not in u.password_hash
    created = [a for a in audits(session, "user.create") if a.target == "user:nv_moi"]
    assert len(created) == 1 and created[0].actor_id == user(session, "t_admin").id
    # Not shown again anywhere.
    assert password not in client.get(f"/admin/users/{u.id}").get_data(as_text=True)


def test_create_user_refuses_a_duplicate_name(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/users", data={"username": "t_clerk", "full_name": "X", "role": "clerk",
                                          "agency": "000.01.31.H25"})
    assert r.status_code == 422 and "đã tồn tại" in r.get_data(as_text=True)


def test_reset_password_and_deactivate(auth, client, session):
    auth.login("t_admin")
    u = user(session, "t_officer2")
    r = client.post(f"/admin/users/{u.id}/password")
    password = _secret(r.get_data(as_text=True))
    session.expire_all()
    u = user(session, "t_officer2")
    assert check_password(u, password) and not check_password(u, PASSWORD) and u.must_change_password
    assert client.post(f"/admin/users/{u.id}/active", data={"active": "0"}).status_code == 303
    session.expire_all()
    assert not user(session, "t_officer2").active
    assert {a.action for a in session.scalars(select(AuditLog)).all()} >= {"user.reset_password",
                                                                           "user.deactivate"}


def test_admin_cannot_lock_themself_out(auth, client, session):
    auth.login("t_admin")
    me = user(session, "t_admin")
    client.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    session.expire_all()
    assert user(session, "t_admin").active


def test_api_token_is_shown_once_stored_hashed_scoped_and_revocable(auth, client, session):
    auth.login("t_admin")
    clerk = user(session, "t_clerk")
    r = client.post(f"/admin/users/{clerk.id}/tokens", data={"name": "Cổng DVC tỉnh"})
    raw = _secret(r.get_data(as_text=True))
    tok = session.scalar(select(ApiToken).where(ApiToken.user_id == clerk.id))
    assert tok.token_hash == token_digest(raw) and raw not in (tok.token_hash, tok.prefix)
    h = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/agencies", headers=h).status_code == 200
    client.post(f"/admin/users/{clerk.id}/tokens/{tok.id}/revoke")
    assert client.get("/api/v1/agencies", headers=h).status_code == 401
    assert [a.action for a in session.scalars(select(AuditLog).where(AuditLog.action.like("token.%"))
                                              .order_by(AuditLog.id))] == ["token.issue", "token.revoke"]


def test_deactivated_users_tokens_stop_working(auth, client, session):
    auth.login("t_admin")
    clerk = user(session, "t_clerk")
    raw = _secret(client.post(f"/admin/users/{clerk.id}/tokens", data={"name": "x"}).get_data(as_text=True))
    client.post(f"/admin/users/{clerk.id}/active", data={"active": "0"})
    assert client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def _proc_form(**over):
    data = {"limit_value": "3", "limit_unit": "working_days", "cutoff": "", "supplement_regime": "pause",
            "documents": "Tờ khai\nBản sao CCCD"}
    for i in range(6):
        data[f"steps-{i}-agency_kind"] = ""
        data[f"steps-{i}-share_percent"] = ""
        data[f"steps-{i}-name"] = ""
    data.update(over)
    return data


def test_procedure_chain_shares_must_sum_to_100_and_nothing_changes_otherwise(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/procedures/3.000722", data=_proc_form(**{
        "steps-0-agency_kind": "people_committee", "steps-0-share_percent": "50",
        "steps-1-agency_kind": "commune_police", "steps-1-share_percent": "30"}))
    assert r.status_code == 422 and "phải bằng 100%" in r.get_data(as_text=True)
    session.expire_all()
    p = session.scalar(select(Procedure).where(Procedure.code == "3.000722"))
    assert [s.agency_kind for s in p.steps] == ["people_committee", "commune_police", "social_insurance"]


def test_procedure_edit_replaces_limit_documents_and_steps_and_is_audited(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/procedures/3.000722", data=_proc_form(**{
        "limit_value": "4", "cutoff": "15:30", "supplement_regime": "restart",
        "steps-0-agency_kind": "people_committee", "steps-0-share_percent": "60",
        "steps-1-agency_kind": "social_insurance", "steps-1-share_percent": "40"}))
    assert r.status_code == 303
    session.expire_all()
    p = session.scalar(select(Procedure).where(Procedure.code == "3.000722"))
    assert p.limit_value == 4 and p.cutoff.strftime("%H:%M") == "15:30" and p.supplement_regime == "restart"
    assert p.documents == ["Tờ khai", "Bản sao CCCD"]
    assert [(s.seq, s.agency_kind, int(s.share_percent)) for s in p.steps] == [
        (1, "people_committee", 60), (2, "social_insurance", 40)]
    assert set(audits(session, "procedure.update")[0].details) >= {"limit", "cutoff", "regime", "steps"}


def test_procedure_form_rejects_bad_time_and_unit(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/procedures/1.004884", data=_proc_form(cutoff="25:00", limit_unit="weeks"))
    assert r.status_code == 422
    assert "Giờ dạng HH:MM" in r.get_data(as_text=True)


def _events(session, d, action):
    return session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id,
                                                      DossierEvent.action == action)).all()


def test_closure_replans_the_running_dossiers_it_affects_as_recorded_events(auth, client, session):
    auth.login("t_admin")
    inside = receive(session, now=MONDAY).dossier  # 5 working days: due Mon 09/03 17:00
    apply_action(session, inside, A.TRANSFER, actor=user(session, "t_clerk"), now=MONDAY)
    other_commune = receive(session, now=MONDAY, clerk="t_clerk_other").dossier
    finished = receive(session, now=MONDAY).dossier
    apply_action(session, finished, A.WITHDRAW,
                 WithdrawInput(reason="Rút"), actor=user(session, "t_clerk"), now=MONDAY)
    session.commit()
    due_before = inside.due_at
    other_due = other_commune.due_at
    # Wednesday 04/03/2026 closed at the Tân Lạc commune (and its desk) only.
    r = client.post("/admin/calendar", data={"on_date": "2026-03-04", "working": "0",
                                             "note": "Bão số 3", "agency": "000.00.31.H25"})
    assert r.status_code == 303
    session.expire_all()
    assert inside.due_at == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # one working day later, 17:00 +07
    assert inside.due_at > due_before
    ev = _events(session, inside, "replan")
    assert len(ev) == 1 and ev[0].payload["old_due_at"].startswith("2026-03-09")
    assert "Bão số 3" in ev[0].note
    assert other_commune.due_at == other_due and not _events(session, other_commune, "replan")
    assert not _events(session, finished, "replan")
    assert audits(session, "calendar.add")[0].details["agency"] == "000.00.31.H25"
    # Deleting the closure moves the due time back, again as an event.
    row = session.scalar(select(CalendarExceptionRow))
    assert client.post(f"/admin/calendar/{row.id}/delete").status_code == 303
    session.expire_all()
    assert inside.due_at == due_before and len(_events(session, inside, "replan")) == 2
    assert audits(session, "calendar.delete")


def test_a_closure_outside_every_clock_range_replans_nothing(auth, client, session):
    auth.login("t_admin")
    d = receive(session, now=MONDAY).dossier
    session.commit()
    before = (d.due_at, d.version)
    r = client.post("/admin/calendar", data={"on_date": "2026-04-15", "working": "0", "note": "Nghỉ",
                                             "agency": ""})
    assert r.status_code == 303
    session.expire_all()
    assert (d.due_at, d.version) == before and not _events(session, d, "replan")


def test_duplicate_calendar_exception_is_refused_with_a_message(auth, client, session):
    auth.login("t_admin")
    data = {"on_date": "2026-04-15", "working": "0", "note": "Nghỉ", "agency": ""}
    client.post("/admin/calendar", data=data)
    r = client.post("/admin/calendar", data=data, follow_redirects=True)
    assert "đã có ngoại lệ" in r.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CalendarExceptionRow)) == 1


def test_users_list_has_no_n_plus_one(auth, client, session):
    from sqlalchemy import event

    from onestop.extensions import db

    auth.login("t_admin")
    count = {"n": 0}

    def on_exec(*_a, **_k):
        count["n"] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_exec)
    try:
        assert client.get("/admin/users").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", on_exec)
    n_users = session.scalar(select(func.count()).select_from(User))
    assert n_users > 10 and count["n"] < 10


def test_calendar_page_flags_unconfirmed_tet_and_an_admin_confirms_it(auth, client, session):
    auth.login("t_admin")
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert "Chưa xác nhận" in page and "04/02/2027" in page and "10/02/2027" in page
    r = client.post("/admin/calendar/tet/2027/confirm")
    assert r.status_code == 303
    page = client.get("/admin/calendar").get_data(as_text=True)
    row_2027 = page[page.index('id="tet-2027"'):page.index('id="tet-2028"')]
    assert "Đã xác nhận" in row_2027 and "t_admin" in row_2027
    assert "Chưa xác nhận" in page[page.index('id="tet-2028"'):]
    assert audits(session, "calendar.confirm_tet")[0].target == "calendar:tet:2027"
    # A year outside the future calendar is refused with a message, nothing stored.
    r = client.post("/admin/calendar/tet/2026/confirm", follow_redirects=True)
    assert "Chỉ xác nhận Tết các năm" in r.get_data(as_text=True)


def test_only_admins_confirm_tet(auth, client, session):
    auth.login("t_head")
    assert client.post("/admin/calendar/tet/2027/confirm").status_code == 403
