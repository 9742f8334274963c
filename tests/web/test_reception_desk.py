"""The desk through the web: reception (three outcomes), the receipt with its
one-time secret and QR code, the procedure search, the register (form 07)."""
from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from onestop.models import Dossier
from tests.factories import receive
from tests.times import MONDAY

# Monday 02/03/2026 09:00 in Hà Nội.


def at(now: datetime) -> Any:
    return patch("onestop.web.reception.utcnow", return_value=now)


REQUIRED = {
    "procedure": "1.004884",
    "applicant_name": "Nguyễn Thị Bình",
    "applicant_id_number": "001190012345",
    "applicant_phone": "0987654321",
}


def test_clerk_receives_with_only_required_fields_and_gets_receipt_with_secret_once(auth, client, session):
    auth.login("t_clerk")
    with at(MONDAY):
        r = client.post("/reception/new", data=REQUIRED)  # what Enter submits: no outcome button value
    assert r.status_code == 303
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert d is not None and d.status == "received"
    assert r.headers["Location"].endswith(f"/dossiers/{d.code}/print/01")
    assert "secret" not in r.headers["Location"].lower()
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert d.code in page
    assert "data:image/png;base64," in page
    assert "http://localhost/lookup?code=" + d.code in page
    m = re.search(r'class="secret">([^<]+)<', page)
    assert m, "secret printed on the first display"
    # Second display: the secret is gone; a reissue is offered instead.
    again = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'class="secret"' not in again
    assert "Cấp lại mã tra cứu" in again


def test_reception_form_renders_with_autofocus_accesskeys_and_labels(auth, client):
    auth.login("t_clerk")
    html = client.get("/reception/new").get_data(as_text=True)
    assert "autofocus" in html
    assert 'accesskey="t"' in html and 'accesskey="b"' in html and 'accesskey="x"' in html
    # The receive button is the first submit button (Enter submits it).
    first = re.search(r'<button type="submit" name="outcome" value="(\w+)"', html)
    assert first and first.group(1) == "receive"
    for name in ("procedure", "applicant_name", "applicant_id_number", "applicant_phone", "applicant_email",
                 "applicant_address", "channel"):
        assert f'for="{name}"' in html
    assert 'src="/static/js/reception.js"' in html


def test_field_errors_are_shown_next_to_fields_and_input_is_preserved(auth, client, session):
    auth.login("t_clerk")
    before = session.scalar(select(func.count()).select_from(Dossier))
    with at(MONDAY):
        r = client.post("/reception/new", data={**REQUIRED, "applicant_id_number": "12345",
                                                 "applicant_phone": "12345", "applicant_email": "x@",
                                                 "applicant_address": "Xóm Mới"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "12 chữ số" in html and "03, 05, 07, 08 hoặc 09" in html and "e-mail không hợp lệ" in html
    assert 'value="Nguyễn Thị Bình"' in html and 'value="Xóm Mới"' in html and 'value="12345"' in html
    assert session.scalar(select(func.count()).select_from(Dossier)) == before


def test_missing_required_fields_and_unknown_procedure(auth, client):
    auth.login("t_clerk")
    r = client.post("/reception/new", data={"procedure": "9.999999"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Nhập họ và tên" in html and "Không tìm thấy thủ tục" in html


def test_supplement_outcome_needs_items_and_reason(auth, client, session):
    auth.login("t_clerk")
    r = client.post("/reception/new", data={**REQUIRED, "outcome": "request_supplement"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Liệt kê đầy đủ" in html and "Nhập lý do" in html


def test_procedure_search_by_code_and_accent_free_name(auth, client):
    auth.login("t_clerk")
    by_code = client.get("/reception/procedures?q=1.004884").get_json()
    assert by_code[0]["code"] == "1.004884" and isinstance(by_code[0]["documents"], list)
    by_name = client.get("/reception/procedures?q=dang ky khai sinh").get_json()
    assert "1.001193" in [p["code"] for p in by_name]
    nfd = unicodedata.normalize("NFD", "đăng ký khai sinh")
    assert "1.001193" in [p["code"] for p in client.get(f"/reception/procedures?q={nfd}").get_json()]


def test_procedure_typed_by_name_is_resolved_and_checklist_rendered(auth, client):
    auth.login("t_clerk")
    html = client.get("/reception/new?procedure=1.001193").get_data(as_text=True)
    assert 'name="documents"' in html and "Giấy chứng sinh" in html


def test_documents_checklist_is_stored(auth, client, session):
    auth.login("t_clerk")
    with at(MONDAY):
        client.post("/reception/new", data={**REQUIRED, "procedure": "1.001193", "documents": ["0", "1"]})
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert [doc["provided"] for doc in d.documents][:2] == [True, True]
    assert not all(doc["provided"] for doc in d.documents)


def test_reprint_receipt_reissues_a_new_secret_shown_once(auth, client, session):
    code = receive(session, now=MONDAY).dossier.code
    session.commit()
    old_hash = session.scalar(select(Dossier.lookup_secret_hash).where(Dossier.code == code))
    auth.login("t_clerk")
    r = client.post(f"/dossiers/{code}/reissue-secret")
    # The receipt with the new secret is the POST's own answer (never kept in the session).
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert 'class="secret">' in r.get_data(as_text=True)
    assert 'class="secret">' not in client.get(f"/dossiers/{code}/print/01").get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Dossier.lookup_secret_hash).where(Dossier.code == code)) != old_hash


def test_register_filters_by_name_accent_insensitive_status_channel_and_pages(auth, client, session):
    for _ in range(3):
        receive(session, now=MONDAY, name="Nguyễn Văn An")
    receive(session, now=MONDAY, name="Phạm Thị Hoa", channel="postal")
    receive(session, now=datetime(2026, 3, 5, 2, 0, tzinfo=UTC), name="Đỗ Minh Đức")
    session.commit()
    auth.login("t_clerk")
    html = client.get("/reception/register?name=nguyen van an").get_data(as_text=True)
    assert html.count("Nguyễn Văn An") == 3 and "Phạm Thị Hoa" not in html
    nfd = unicodedata.normalize("NFD", "Đỗ Minh")
    assert "Đỗ Minh Đức" in client.get(f"/reception/register?name={nfd}").get_data(as_text=True)
    html = client.get("/reception/register?channel=postal").get_data(as_text=True)
    assert "Phạm Thị Hoa" in html and "Nguyễn Văn An" not in html
    html = client.get("/reception/register?date_from=2026-03-04&date_to=2026-03-06").get_data(as_text=True)
    assert "Đỗ Minh Đức" in html and "Nguyễn Văn An" not in html
    # Keyset paging: 2 per page through the query layer.
    from onestop.services.dossiers.queries import RegisterFilter, register_page
    from onestop.web.i18n import local_tz
    from tests.factories import user

    with client.application.test_request_context():
        clerk = user(session, "t_clerk")
        p1 = register_page(session, clerk, RegisterFilter(), tz=local_tz(), limit=2)
        p2 = register_page(session, clerk, RegisterFilter(), tz=local_tz(), cursor=p1.next_cursor, limit=2)
        p3 = register_page(session, clerk, RegisterFilter(), tz=local_tz(), cursor=p2.next_cursor, limit=2)
    codes = [d.code for d in p1.rows + p2.rows + p3.rows]
    assert len(codes) == 5 == len(set(codes)) and p3.next_cursor is None


def test_register_of_another_commune_is_not_visible(auth, client, session):
    code = receive(session, now=MONDAY).dossier.code
    session.commit()
    auth.login("t_clerk_other")
    assert code not in client.get("/reception/register").get_data(as_text=True)


def test_register_print_is_a4_landscape_with_signatures(auth, client, session):
    code = receive(session, now=MONDAY).dossier.code
    session.commit()
    auth.login("t_clerk")
    html = client.get("/reception/register?print=1").get_data(as_text=True)
    assert "sheet-a4l" in html and code in html
    assert "Sổ theo dõi hồ sơ" in html and "Thủ trưởng cơ quan" in html


@pytest.mark.parametrize("username", ["t_officer", "t_head"])
def test_only_clerks_receive(auth, client, username):
    auth.login(username)
    assert client.get("/reception/new").status_code == 403
