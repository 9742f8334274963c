"""The reception form reports every error at once next to its field (first one focused), the
procedure panel shows the limit, fees, the chain and the due time the receipt will print with its
"why" — the same time the reception then records — and a same-day procedure says "trả trong ngày"."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from sqlalchemy import select

from onestop.models import Dossier
from tests.times import MONDAY

MON_1600 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 16:00, after the 15:00 cut-off


def at(now: datetime) -> Any:
    return patch("onestop.web.reception.utcnow", return_value=now)


def test_every_error_is_reported_at_once_next_to_its_field(auth, client, session):
    auth.login("t_clerk")
    before = session.scalar(select(Dossier.id).order_by(Dossier.id.desc()))
    with at(MONDAY):
        r = client.post("/reception/new", data={
            "procedure": "1.004884", "applicant_name": "", "applicant_id_number": "12345",
            "applicant_phone": "0123 456", "applicant_email": "not-an-email",
            "outcome": "request_supplement"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    for name in ("applicant_name", "applicant_id_number", "applicant_phone", "applicant_email",
                 "missing_items",
                 "reason"):
        assert f'id="{name}-error"' in page, name  # the message sits under its own field
    summary = page[page.index('id="error-summary"'):page.index("</ul>", page.index('id="error-summary"'))]
    assert summary.count("<li>") == 6
    assert 'data-first-error="applicant_name"' in page
    assert "03, 05, 07, 08 hoặc 09" in page
    assert session.scalar(select(Dossier.id).order_by(Dossier.id.desc())) == before  # nothing saved


def test_a_phone_with_the_country_code_is_accepted_and_stored_the_domestic_way(auth, client, session):
    auth.login("t_clerk")
    with at(MONDAY):
        r = client.post("/reception/new", data={
            "procedure": "1.004884", "applicant_name": "Lò Văn Páo", "applicant_id_number": "001 090 012 345",
            "applicant_phone": "+84 912 345 678"})
    assert r.status_code == 303
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert d.applicant_phone == "0912345678" and d.applicant_id_number == "001090012345"


def test_the_panel_shows_the_due_time_the_receipt_then_prints_with_its_why(auth, client, session):
    auth.login("t_clerk")
    with at(MONDAY):
        panel = client.get("/reception/preview", query_string={"procedure": "1.004884"}).get_json()
        r = client.post("/reception/new", data={
            "procedure": "1.004884", "applicant_name": "Lò Văn Páo", "applicant_id_number": "001090012345",
            "applicant_phone": "0912345678"})
    assert r.status_code == 303
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert datetime.fromisoformat(panel["due_at"]) == d.due_at
    assert panel["why"] and panel["limit_text"].endswith("ngày làm việc")
    assert panel["due_text"] == d.due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M ngày "
                                                                                           "%d/%m/%Y")
    assert "fee" in panel and 'id="panel-due"' in panel["html"] and "Vì sao ngày này?" in panel["html"]


def test_the_panel_lists_the_lien_thong_chain(auth, client, session):
    auth.login("t_clerk")
    with at(MONDAY):
        panel = client.get("/reception/preview", query_string={"procedure": "1.013978"}).get_json()
    assert len(panel["chain"]) == 4 and 'id="panel-chain"' in panel["html"]


def test_a_same_day_procedure_says_tra_trong_ngay_with_its_reason_on_panel_and_receipt(auth, client, session):
    auth.login("t_clerk")
    with at(MON_1600):
        panel = client.get("/reception/preview", query_string={"procedure": "2.000815"}).get_json()
        r = client.post("/reception/new", data={
            "procedure": "2.000815", "applicant_name": "Hà Thị Mai", "applicant_id_number": "001190012345",
            "applicant_phone": "0356123456"})
    assert panel["limit_text"] == "trả trong ngày" and panel["same_day"]
    assert "15:00" in panel["same_day_reason"]
    assert not re.search(r"(?<![\d:])0 ngày làm việc", panel["html"])
    assert panel["due_text"] == "17:00 ngày 03/03/2026"  # after the cut-off: the next working day's close
    receipt = client.get(r.headers["Location"]).get_data(as_text=True)
    limit = re.search(r'id="receipt-limit">([^<]+)<', receipt)
    assert limit and limit.group(1) == "trả trong ngày"
    assert not re.search(r"(?<![\d:])0 ngày làm việc", receipt) and "Thủ tục giải quyết trong ngày" in receipt


def test_the_form_renders_the_panel_without_script(auth, client, session):
    auth.login("t_clerk")
    with at(MONDAY):
        page = client.get("/reception/new", query_string={"procedure": "2.000815"}).get_data(as_text=True)
    assert 'id="panel-limit"' in page and "trả trong ngày" in page and 'id="panel-due"' in page
