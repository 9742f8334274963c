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

from onestop.models import Dossier, DossierEvent
from tests.factories import PASSWORD, receive

# Monday 02/03/2026 09:00 in Hà Nội.
MON = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def login(client: Any, username: str) -> None:
    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]


def at(now: datetime) -> Any:
    return patch("onestop.web.reception.utcnow", return_value=now)


REQUIRED = {
    "procedure": "1.004884",
    "applicant_name": "Nguyễn Thị Bình",
    "applicant_id_number": "001190012345",
    "applicant_phone": "0987654321",
}


def test_clerk_receives_with_only_required_fields_and_gets_receipt_with_secret_once(client, session):
    login(client, "t_clerk")
    with at(MON):
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


def test_reception_form_renders_with_autofocus_accesskeys_and_labels(client):
    login(client, "t_clerk")
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
