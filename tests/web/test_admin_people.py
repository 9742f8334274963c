"""Admin: edit a user's name, role and agency (sessions end on a role/agency change), find users
without accents, and read the audit log with filters, paging and readable labels."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from onestop.models import AuditLog
from onestop.services.admin.accounts import audit
from tests.factories import user

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_admin_edits_name_role_and_agency_and_the_users_sessions_end(auth, client, session):
    auth.login("t_admin")
    u = user(session, "t_officer2")
    generation = u.session_generation
    page = client.get(f"/admin/users/{u.id}").get_data(as_text=True)
    assert "Sửa tài khoản" in page and 'name="agency"' in page and "<select" in page
    r = client.post(f"/admin/users/{u.id}/edit", data={"full_name": "  Trần   Thị Hoa ", "role": "head",
                                                         "agency": "000.00.32.H25"})
    assert r.status_code == 303
    session.expire_all()
    u = user(session, "t_officer2")
    assert (u.full_name, u.role, u.agency.identifier) == ("Trần Thị Hoa", "head", "000.00.32.H25")
    row = session.scalar(select(AuditLog).where(AuditLog.action == "user.update"))
    assert row.details["role"] == ["officer", "head"] and row.target == "user:t_officer2"
    # The officer's open sessions end with the change of rights (the session generation moved on).
    assert u.session_generation > generation


def test_user_edit_refuses_bad_input_with_messages_and_changes_nothing(auth, client, session):
    auth.login("t_admin")
    u = user(session, "t_officer")
    r = client.post(f"/admin/users/{u.id}/edit", data={"full_name": "", "role": "king", "agency": "nope"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Trường này là bắt buộc." in html or "Nhập họ và tên" in html
    r = client.post(f"/admin/users/{u.id}/edit", data={"full_name": "T Officer", "role": "officer",
                                                         "agency": "000.99.99.H99"})
    assert r.status_code == 422 and "Chọn một cơ quan trong danh sách." in r.get_data(as_text=True)
    session.expire_all()
    assert user(session, "t_officer").role == "officer"
    me = user(session, "t_admin")
    r = client.post(f"/admin/users/{me.id}/edit", data={"full_name": "T Admin", "role": "clerk",
                                                          "agency": me.agency.identifier})
    assert r.status_code == 422 and "Không thể tự đổi vai trò" in r.get_data(as_text=True)


def test_user_search_ignores_accents(auth, client, session):
    user(session, "t_officer").full_name = "Nguyễn Đức Thắng"
    session.commit()
    auth.login("t_admin")
    html = client.get("/admin/users?q=nguyen duc thang").get_data(as_text=True)
    assert "Nguyễn Đức Thắng" in html and "t_clerk_other" not in html
    assert "Nguyễn Đức Thắng" in client.get("/admin/users?q=THẮNG").get_data(as_text=True)


def test_audit_log_filters_pages_and_labels(auth, client, session):
    admin, clerk = user(session, "t_admin"), user(session, "t_clerk")
    for i in range(60):
        audit(session, admin, "procedure.update", f"procedure:1.{i:06d}", {"limit": ["3", "5"]},
              NOW - timedelta(days=1), "10.0.0.1")
    audit(session, clerk, "dossier.reissue_secret", "dossier:000.01.31.H25-260301-0007", {},
          datetime(2026, 2, 27, 17, 30, tzinfo=UTC), "10.0.0.2")  # 28/02 00:30 in Hà Nội
    session.commit()
    auth.login("t_admin")
    html = client.get("/admin/audit?action=procedure.update").get_data(as_text=True)
    assert "Sửa thủ tục" in html and "60 dòng · trang 1/2" in html and "Trang sau" in html
    page2 = client.get("/admin/audit?action=procedure.update&page=2").get_data(as_text=True)
    assert "trang 2/2" in page2 and page2.count("procedure:1.") == 10
    by_code = client.get("/admin/audit?dossier=000.01.31.H25-260301-0007").get_data(as_text=True)
    assert "Cấp lại mã tra cứu" in by_code and "1 dòng" in by_code and "t_clerk" in by_code
    # Local days, dd/mm/yyyy: the 00:30 entry of 28/02 belongs to 28/02, not 27/02.
    assert "1 dòng" in client.get(
        "/admin/audit?date_from=28/02/2026&date_to=28/02/2026&actor=t_clerk").get_data(
        as_text=True)
    assert "0 dòng" in client.get(
        "/admin/audit?date_from=27/02/2026&date_to=27/02/2026&actor=t_clerk").get_data(
        as_text=True)
    r = client.get("/admin/audit?date_from=05/03/2026&date_to=01/03/2026")
    assert r.status_code == 422 and "Ngày kết thúc phải sau ngày bắt đầu." in r.get_data(as_text=True)
    r = client.get("/admin/audit?date_from=31/02/2026")
    assert r.status_code == 422 and "dd/mm/yyyy" in r.get_data(as_text=True)


def _procedure_post(**over: str) -> dict[str, str]:
    data = {"code": "1.999001", "name": "Đăng ký   hoạt động tín ngưỡng", "field": "Tín ngưỡng, tôn giáo",
            "level": "xa", "fee": "Không", "limit_value": "5", "limit_unit": "working_days", "cutoff": "",
            "supplement_regime": "pause", "documents": "Văn bản đăng ký\nDanh sách người tham gia"}
    for i in range(6):
        data.update({f"steps-{i}-agency_kind": "", f"steps-{i}-share_percent": "", f"steps-{i}-name": ""})
    data.update(over)
    return data


def test_admin_creates_a_procedure_with_a_chain_chosen_from_agencies(auth, client, session):
    from onestop.models import Procedure

    auth.login("t_admin")
    page = client.get("/admin/procedures/new").get_data(as_text=True)
    # The chain is chosen from lists (agency kinds and the departments that exist), not typed.
    assert '<select class="form-select" id="steps-0-agency_kind"' in page
    assert 'value="commune_police"' in page and 'value="department:' in page
    r = client.post("/admin/procedures/new", data=_procedure_post(**{
        "steps-0-agency_kind": "people_committee", "steps-0-share_percent": "60",
        "steps-1-agency_kind": "commune_police", "steps-1-share_percent": "40"}))
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    p = session.scalar(select(Procedure).where(Procedure.code == "1.999001"))
    assert (p.name, p.field, p.fee, p.limit_value) == ("Đăng ký hoạt động tín ngưỡng", "Tín ngưỡng, tôn giáo",
                                                       "Không", 5)
    assert p.name_search == "dang ky hoat dong tin nguong"
    assert [(s.agency_kind, int(s.share_percent)) for s in p.steps] == [("people_committee", 60),
                                                                        ("commune_police", 40)]
    assert p.documents == ["Văn bản đăng ký", "Danh sách người tham gia"]
    assert session.scalar(select(AuditLog).where(AuditLog.action == "procedure.create")) is not None
    # Edit its name, field and fees.
    r = client.post("/admin/procedures/1.999001", data=_procedure_post(name="Thông báo hoạt động tín ngưỡng",
                                                                          fee="10.000 đồng"))
    assert r.status_code == 303
    session.expire_all()
    p = session.scalar(select(Procedure).where(Procedure.code == "1.999001"))
    assert (p.name, p.fee, p.steps) == ("Thông báo hoạt động tín ngưỡng", "10.000 đồng", [])


def test_procedure_creation_refuses_bad_input_and_creates_nothing(auth, client, session):
    from onestop.models import Procedure

    auth.login("t_admin")
    r = client.post("/admin/procedures/new", data=_procedure_post(code="1.004884", name="", field=""))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Trường này là bắt buộc." in html
    r = client.post("/admin/procedures/new", data=_procedure_post(code="abc"))
    assert r.status_code == 422 and "Mã thủ tục theo CSDL quốc gia" in r.get_data(as_text=True)
    r = client.post("/admin/procedures/new", data=_procedure_post(**{
        "steps-0-agency_kind": "people_committee", "steps-0-share_percent": "60"}))
    assert r.status_code == 422 and "phải bằng 100%" in r.get_data(as_text=True)
    assert session.scalar(select(Procedure).where(Procedure.code == "1.999001")) is None


def test_calendar_shows_the_years_national_holidays_beside_local_exceptions(auth, client, session):
    auth.login("t_admin")
    r = client.post("/admin/calendar", data={"on_date": "15/09/2026", "working": "0", "note": "Bão số 5",
                                             "agency": "000.00.31.H25"})
    if r.status_code != 303:  # the form may still take yyyy-mm-dd (native date input)
        r = client.post("/admin/calendar", data={"on_date": "2026-09-15", "working": "0", "note": "Bão số 5",
                                                 "agency": "000.00.31.H25"})
    assert r.status_code == 303
    html = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    table = html[html.index('id="year-days"'):]
    assert "02/09/2026" in table and "Quốc khánh" in table and "Nghỉ lễ (Bộ luật Lao động)" in table
    assert "22/08/2026" in table and "Làm việc bù (Chính phủ)" in table  # a working Saturday
    assert "15/09/2026" in table and "Bão số 5" in table and "Ngoại lệ: nghỉ" in table
    assert table.index("02/09/2026") < table.index("15/09/2026")  # one list, by date
    assert "01/01/2027" in client.get("/admin/calendar?year=2027").get_data(as_text=True)
