"""Component scans attached in the reception form: the same checks as an upload (type sniffed from
the content, size limit, SHA-256), stored only once the form has no error, and nothing left behind —
no dossier, no row, no stored object — when the reception fails."""
from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from onestop.integrations.storage import LocalStorage
from onestop.models import Dossier
from onestop.models.files import DossierFile
from onestop.services.errors import ValidationFailed
from tests.times import MONDAY

NOW = MONDAY
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BASE = {"procedure": "1.004884", "applicant_name": "Nguyễn Văn Bình", "applicant_id_number": "001090011111",
        "applicant_phone": "0912345678", "channel": "direct", "outcome": "receive"}


@pytest.fixture
def store(app: Any, tmp_path: Any, monkeypatch: Any) -> LocalStorage:
    s = LocalStorage(tmp_path / "files")
    monkeypatch.setitem(app.extensions, "onestop_storage", s)
    monkeypatch.setattr("onestop.web.reception.utcnow", lambda: NOW)
    return s


def post(client: Any, scans: dict[int, tuple[bytes, str]], **fields: Any) -> Any:
    data: dict[str, Any] = {**BASE, **fields}
    for no, (content, name) in scans.items():
        data[f"scan_{no}"] = (io.BytesIO(content), name)
    return client.post("/reception/new", data=data, content_type="multipart/form-data")


def dossiers(session: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(Dossier)) or 0)


def files(session: Any) -> list[DossierFile]:
    return list(session.scalars(select(DossierFile).order_by(DossierFile.component_no)))


def test_two_scans_in_the_reception_form_are_stored_with_the_dossier(auth, session, client, store):
    auth.login("t_clerk")
    r = post(client, {1: (PDF, "to-khai.pdf"), 3: (PNG, "uy-quyen.html")})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    rows = files(session)
    assert [(f.dossier_id, f.component_no, f.content_type) for f in rows] == [
        (d.id, 1, "application/pdf"), (d.id, 3, "image/png")]
    assert rows[0].sha256 == hashlib.sha256(PDF).hexdigest() and rows[1].filename == "uy-quyen.png"
    assert all(f.digitisation_state == 1 and f.approval_state == 1 and f.uploaded_at == NOW for f in rows)
    assert sorted(o.key for o in store.list("files")) == sorted(f.storage_key for f in rows)
    assert store.get(rows[0].storage_key) == PDF


def test_a_reception_with_errors_stores_nothing_and_asks_for_the_scans_again(auth, session, client, store):
    auth.login("t_clerk")
    before = dossiers(session)
    r = post(client, {1: (PDF, "to-khai.pdf"), 2: (PNG, "a.png")}, applicant_name="")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="scans-dropped"' in html and "2 bản quét" in html
    assert dossiers(session) == before and files(session) == [] and list(store.list("files")) == []


def test_a_scan_that_is_not_pdf_jpeg_or_png_is_refused_beside_its_component(auth, session, client, store):
    auth.login("t_clerk")
    before = dossiers(session)
    r = post(client, {1: (PDF, "ok.pdf"), 2: (b"<html><script>alert(1)</script>", "x.pdf")})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'href="#scan_2"' in html and "PDF, JPEG hoặc PNG" in html
    assert dossiers(session) == before and list(store.list("files")) == []


def test_a_scan_over_the_size_limit_is_refused(auth, session, client, store, app, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_MAX_BYTES", 1000)
    auth.login("t_clerk")
    r = post(client, {1: (PDF + b"0" * 2000, "big.pdf")})
    assert r.status_code in (413, 422)
    assert files(session) == [] and list(store.list("files")) == []


def test_a_scan_larger_than_the_general_body_limit_is_accepted(auth, session, client, store, app):
    big = PDF + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    assert len(big) < app.config["FILE_MAX_BYTES"]
    auth.login("t_clerk")
    assert post(client, {1: (big, "big.pdf")}).status_code == 303
    assert [f.size_bytes for f in files(session)] == [len(big)]


def test_a_reception_refused_after_the_scans_were_stored_deletes_them(auth, session, client, store,
                                                                      monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValidationFailed({"applicant_name": "Trùng hồ sơ đang xử lý."})

    monkeypatch.setattr("onestop.web.reception.receive_dossier", refuse)
    auth.login("t_clerk")
    before = dossiers(session)
    r = post(client, {1: (PDF, "a.pdf"), 2: (PNG, "b.png")})
    assert r.status_code == 422 and "Trùng hồ sơ đang xử lý." in r.get_data(as_text=True)
    assert dossiers(session) == before and files(session) == [] and list(store.list("files")) == []


def test_a_failed_commit_deletes_the_stored_scans(auth, session, client, store, monkeypatch, app):
    from onestop.extensions import db

    def broken() -> None:
        raise RuntimeError("database went away")

    auth.login("t_clerk")
    before = dossiers(session)
    monkeypatch.setattr(db.session, "commit", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        r = post(client, {1: (PDF, "a.pdf")})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert r.status_code == 500
    monkeypatch.undo()
    session.rollback()
    assert dossiers(session) == before and files(session) == [] and list(store.list("files")) == []


def test_a_refused_dossier_keeps_no_scan(auth, session, client, store):
    auth.login("t_clerk")
    r = post(client, {1: (PDF, "a.pdf")}, outcome="refuse", reason="Không thuộc thẩm quyền")
    assert r.status_code == 303
    assert files(session) == [] and list(store.list("files")) == []


def test_the_form_offers_a_scan_input_per_component(auth, session, client, store):
    auth.login("t_clerk")
    html = client.get("/reception/new?procedure=1.004884").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'name="scan_1"' in html and 'accept="application/pdf,image/jpeg,image/png"' in html
