"""The citizen's national document store through the (fake) portal: the request's shape is checked
by the fake's JSON Schema, the clerk picks a document and it becomes a component taken from the
store (state 3, DuocLayTuKhoDMQG = 1), which 4.4 and 4.5 count."""
from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from onestop.integrations.dvcqg.client import PortalClient, PortalRejected
from onestop.integrations.dvcqg.fake import FakePortalServer, create_fake_app
from onestop.integrations.dvcqg.outbox import current_record
from onestop.integrations.storage import LocalStorage
from onestop.models.files import DossierFile
from tests.factories import receive
from tests.times import MONDAY

UNIT = "000.00.00.H25"
PDF = b"%PDF-1.7\nkhai sinh\n%%EOF\n"
DOC = {"MaGiayTo": "GT-1", "TenGiayTo": "Giấy khai sinh", "MaKetQua": "KQ.KS", "SoKyHieu": "12/KS",
       "CoQuanCap": "UBND xã Tân Lạc", "NgayCap": "20200101", "NoiDungTep": base64.b64encode(PDF).decode()}


@pytest.fixture
def portal() -> Iterator[FakePortalServer]:
    with FakePortalServer(create_fake_app(UNIT, "u", "p")) as server:
        yield server


def test_client_asks_in_the_published_shape_and_the_fake_refuses_others(portal):
    requests.post(f"{portal.root_url}/_control/documents",
                  json={"SoDinhDanhChuSoHuu": "001090012345", "DanhSachGiayToKetQua": [DOC]}, timeout=5)
    client = PortalClient(portal.base_url, "u", "p", UNIT, timeout=2)
    assert client.national_documents("001090012345", 1, "1.004884")[0]["MaGiayTo"] == "GT-1"
    assert client.national_documents("001090012345", 1, "1.004884", [{"MaKetQua": "OTHER"}]) == []
    assert client.national_documents("001090099999", 1, "1.004884") == []
    with pytest.raises(PortalRejected):
        client.national_documents("12", 1, "1.004884")  # not a 9/12-digit ID number: schema refuses


def test_clerk_takes_a_document_from_the_store(auth, session, client, app, portal, tmp_path, monkeypatch):
    for key, value in {"DVCQG_URL": portal.base_url, "DVCQG_USERNAME": "u", "DVCQG_PASSWORD": "p",
                       "DVCQG_UNIT_CODE": UNIT, "DVCQG_TIMEOUT_SECONDS": 2}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.extensions, "onestop_storage", LocalStorage(tmp_path))
    requests.post(f"{portal.root_url}/_control/documents",
                  json={"SoDinhDanhChuSoHuu": "001090012345", "DanhSachGiayToKetQua": [DOC]}, timeout=5)
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    page = client.post(f"/dossiers/{d.code}/files/national")
    assert page.status_code == 200 and "12/KS" in page.get_data(as_text=True)
    r = client.post(f"/dossiers/{d.code}/files/national", data={"pick": "GT-1", "component_no": "2"})
    assert r.status_code == 303
    (row,) = session.scalars(select(DossierFile).where(DossierFile.dossier_id == d.id))
    assert row.from_national_store and row.digitisation_state == 3 and row.approval_state == 2
    assert row.doc_number == "12/KS" and row.issued_on.isoformat() == "2020-01-01"
    assert row.result_code == "KQ.KS"
    assert client.get(f"/files/{row.id}").data == PDF
    rec = current_record(session, d)
    submitted = rec["TaiLieuNop"][0]
    assert submitted["DuocLayTuKhoDMQG"] == 1 and submitted["MaKetQuaThayThe"] == "KQ.KS"
    # A document whose file is not a PDF/JPEG/PNG is refused, nothing kept.
    bad = {**DOC, "MaGiayTo": "GT-2", "NoiDungTep": base64.b64encode(b"<html>").decode()}
    requests.post(f"{portal.root_url}/_control/documents",
                  json={"SoDinhDanhChuSoHuu": "001090012345", "DanhSachGiayToKetQua": [bad]}, timeout=5)
    client.post(f"/dossiers/{d.code}/files/national", data={"pick": "GT-2", "component_no": "1"})
    assert len(list(session.scalars(select(DossierFile).where(DossierFile.dossier_id == d.id)))) == 1
    assert len(list(LocalStorage(tmp_path).list("files"))) == 1
