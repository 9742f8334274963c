"""Dossier files on the web: upload (type sniffed, size limit, hash kept), download as an attachment
with nosniff, view rights, the citizen's result after the look-up, reuse of approved documents, and
no half-written dossier when the commit fails."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from onestop.integrations.storage import LocalStorage
from onestop.models.files import DossierFile
from onestop.services.dossiers import files as files_svc
from onestop.services.dossiers.actions import apply_action
from tests.factories import receive, user
from tests.times import MONDAY, TUESDAY_10

LATER = TUESDAY_10
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    s = LocalStorage(tmp_path / "files")
    for either in (app, app.extensions["onestop.public"]):  # the citizen app downloads results
        monkeypatch.setitem(either.extensions, "onestop_storage", s)
    monkeypatch.setattr("onestop.web.files.utcnow", lambda: LATER)
    for module in ("public.page", "public.api", "public.transparency", "feedback"):
        monkeypatch.setattr(f"onestop.web.{module}.utcnow", lambda: LATER)
    return s


def post_file(client, code: str, data: bytes, name: str = "scan.pdf", **form):
    import io

    fields = {"kind": "component", "component_no": "1", **form, "file": (io.BytesIO(data), name)}
    return client.post(f"/dossiers/{code}/files", data=fields, content_type="multipart/form-data")


def rows(session, dossier_id: int) -> list[DossierFile]:
    return list(session.scalars(select(DossierFile).where(DossierFile.dossier_id == dossier_id)
                                .order_by(DossierFile.id)))


def test_clerk_uploads_a_component_kept_with_its_hash_and_served_as_attachment(auth, session, client, store):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    r = post_file(client, d.code, PDF, "Giấy khai sinh.html", doc_number="123/KS", issuer="UBND xã",
                  issued_on="01/02/2020")
    assert r.status_code == 303
    (row,) = rows(session, d.id)
    assert row.content_type == "application/pdf" and row.filename == "Giấy khai sinh.pdf"
    assert row.sha256 == hashlib.sha256(PDF).hexdigest() and row.size_bytes == len(PDF)
    assert row.digitisation_state == 1 and row.approval_state == 1
    assert row.owner_id_number == d.applicant_id_number and row.doc_number == "123/KS"
    assert row.issued_on.isoformat() == "2020-02-01" and row.uploaded_by_id == user(session, "t_clerk").id
    assert store.get(row.storage_key) == PDF
    got = client.get(f"/files/{row.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    page = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    assert "Giấy khai sinh.pdf" in page and "Số hóa tại đây" in page


@pytest.mark.parametrize("data,name", [
    (b"<html><script>alert(1)</script></html>", "scan.pdf"),
    (b"MZ\x90\x00executable", "scan.jpg"),
    (b"", "empty.pdf"),
])
def test_content_that_is_not_pdf_jpeg_png_is_refused_and_nothing_is_kept(auth, session, client, store, data,
                                                                         name):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    r = post_file(client, d.code, data, name)
    assert r.status_code == 303
    assert rows(session, d.id) == []
    assert list(store.list("files")) == []
    assert "PDF, JPEG" in client.get(f"/dossiers/{d.code}").get_data(as_text=True) or data == b""


def test_a_file_over_the_limit_is_refused(auth, session, client, store, app, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_MAX_BYTES", 1000)
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    r = post_file(client, d.code, PDF + b"0" * 2000)
    assert r.status_code in (303, 413)
    assert rows(session, d.id) == [] and list(store.list("files")) == []


def test_a_file_larger_than_the_general_body_limit_but_within_the_file_limit_is_accepted(
        auth, session, client, store, app):
    big = PDF + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    assert len(big) < app.config["FILE_MAX_BYTES"]
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    assert post_file(client, d.code, big).status_code == 303
    assert len(rows(session, d.id)) == 1


def test_staff_without_view_rights_get_404_for_the_file(auth, session, client, store):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    post_file(client, d.code, PDF)
    (row,) = rows(session, d.id)
    auth.logout()
    auth.login("t_clerk_other")
    assert client.get(f"/files/{row.id}").status_code == 404
    assert post_file(client, d.code, PDF).status_code == 404
    assert len(rows(session, d.id)) == 1


def test_failed_commit_leaves_neither_row_nor_object(auth, session, client, store, monkeypatch):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")

    def boom(*a, **k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(files_svc, "attach", boom)
    with pytest.raises(RuntimeError):
        post_file(client, d.code, PDF)
    assert rows(session, d.id) == []
    assert list(store.list("files")) == []


def test_citizen_downloads_a_result_only_after_verifying_and_never_a_component(auth, session, client, store):
    res = receive(session, now=MONDAY)
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    session.commit()
    auth.login("t_head")
    assert post_file(client, d.code, PNG, "kq.png", kind="result", component_no="").status_code == 303
    auth.logout()
    auth.login("t_clerk")
    post_file(client, d.code, PDF)
    auth.logout()
    result, component = sorted(rows(session, d.id), key=lambda r: r.kind != "result")
    assert result.kind == "result" and component.kind == "component"
    anon = client
    assert anon.get(f"/lookup/{d.code}/files/{result.id}").status_code == 404
    page = anon.post("/lookup", data={"code": d.code, "secret": res.secret}).get_data(as_text=True)
    assert f"/lookup/{d.code}/files/{result.id}" in page
    got = anon.get(f"/lookup/{d.code}/files/{result.id}")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert anon.get(f"/lookup/{d.code}/files/{component.id}").status_code == 404


def test_second_dossier_of_the_same_citizen_reuses_an_approved_document(auth, session, client, store):
    first = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    post_file(client, first.code, PDF, doc_number="KS-01")
    (src,) = rows(session, first.id)
    second = receive(session, now=LATER).dossier
    session.commit()
    # Not approved yet: not offered.
    assert files_svc.reuse_candidates(session, second) == []
    assert client.post(f"/dossiers/{second.code}/files/reuse",
                       data={"source_id": src.id, "component_no": "2"}).status_code == 303
    assert rows(session, second.id) == []
    client.post(f"/dossiers/{first.code}/files/{src.id}/approval", data={"state": "2"})
    session.refresh(src)
    assert src.approval_state == 2
    assert [c.id for c in files_svc.reuse_candidates(session, second)] == [src.id]
    page = client.get(f"/dossiers/{second.code}").get_data(as_text=True)
    assert 'id="file-reuse"' in page and "KS-01" in page
    r = client.post(f"/dossiers/{second.code}/files/reuse", data={"source_id": src.id, "component_no": "2"})
    assert r.status_code == 303
    (copy,) = rows(session, second.id)
    assert copy.digitisation_state == 2 and copy.reused_from_id == src.id and copy.component_no == 2
    assert copy.storage_key == src.storage_key and copy.sha256 == src.sha256
    # A citizen with another ID number is offered nothing.
    other = receive(session, now=LATER, id_number="001090099999").dossier
    assert files_svc.reuse_candidates(session, other) == []


def test_orphan_clean_up_deletes_only_old_objects_without_a_row(auth, session, client, store):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    post_file(client, d.code, PDF)
    (row,) = rows(session, d.id)
    store.put("files/2026/03/" + "0" * 32, PDF, "application/pdf")  # a crashed upload
    far = datetime.now(UTC) + timedelta(days=2)
    young = files_svc.purge_orphans(session, store, now=datetime.now(UTC), grace=timedelta(hours=24))
    assert young["orphans_deleted"] == 0
    result = files_svc.purge_orphans(session, store, now=far, grace=timedelta(hours=24))
    assert result == {"objects_scanned": 2, "orphans_deleted": 1}
    assert [o.key for o in store.list("files")] == [row.storage_key]
    assert session.scalar(select(func.count()).select_from(DossierFile)) >= 1


def test_desk_records_vneid_payment_and_databases_and_bad_input_changes_nothing(auth, session, client, store):
    d = receive(session, now=MONDAY).dossier
    session.commit()
    auth.login("t_clerk")
    r = client.post(f"/dossiers/{d.code}/facts", data={"vneid_verified": "1", "payment_channel": "1",
                                                        "fee_paid": "50.000",
                                                        "csdl_codes": "CSDLQGDC; csdlqgdd"})
    assert r.status_code == 303
    session.refresh(d)
    assert d.vneid_verified is True and d.payment_channel == 1 and d.fee_paid == 50000
    assert d.csdl_codes == ["CSDLQGDC", "CSDLQGDD"]
    r = client.post(f"/dossiers/{d.code}/facts", data={"payment_channel": "7", "csdl_codes": "<script>"})
    assert r.status_code == 303
    session.refresh(d)
    assert d.payment_channel == 1 and d.csdl_codes == ["CSDLQGDC", "CSDLQGDD"]
    r = client.post(f"/dossiers/{d.code}/facts", data={"csdl_codes": "<script>"})
    session.refresh(d)
    assert d.vneid_verified is True and d.csdl_codes == ["CSDLQGDC", "CSDLQGDD"]


def test_reception_records_vneid_and_payment_and_refuses_an_unknown_payment_way(auth, session, client, store):
    from onestop.models import Dossier

    auth.login("t_clerk")
    base = {"procedure": "1.004884", "applicant_name": "Nguyễn Văn Bình",
            "applicant_id_number": "001090011111",
            "applicant_phone": "0912345678", "channel": "direct", "outcome": "receive"}
    before = session.scalar(select(func.count()).select_from(Dossier))
    bad = client.post("/reception/new", data={**base, "payment_channel": "9"})
    assert bad.status_code in (200, 422) and "Hình thức thanh toán" in bad.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Dossier)) == before
    ok = client.post("/reception/new", data={**base, "vneid_verified": "1", "payment_channel": "2"})
    assert ok.status_code in (302, 303), ok.status_code
    d = session.scalar(select(Dossier).order_by(Dossier.id.desc()))
    assert d.vneid_verified is True and d.payment_channel == 2


def test_the_files_job_is_listed_and_deletes_an_old_orphan(session, app, tmp_path, monkeypatch):
    from jobs import BY_NAME
    from jobs.files import run

    assert "files" in BY_NAME
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path}")
    s = LocalStorage(tmp_path)
    s.put("files/2026/01/" + "f" * 32, PDF, "application/pdf")
    result = run(session, datetime.now(UTC) + timedelta(days=3), app.config)
    assert result == {"objects_scanned": 1, "orphans_deleted": 1}
    assert list(s.list("files")) == []


def test_api_reception_records_vneid_and_payment_and_refuses_a_third_way(session, client, store):
    from onestop.models import Dossier
    from onestop.services.admin.accounts import issue_token

    raw = issue_token(session, user(session, "t_clerk"), now=MONDAY, name="test")
    session.commit()
    h = {"Authorization": f"Bearer {raw}"}
    body = {"procedure_code": "1.004884", "applicant": {"name": "Nguyễn Văn An", "id_number": "001090012345",
                                                         "phone": "0912345678"}}
    assert client.post("/api/v1/dossiers", headers=h, json={**body, "payment_channel": 3}).status_code == 422
    r = client.post("/api/v1/dossiers", headers=h,
                    json={**body, "vneid_verified": True, "payment_channel": 1})
    assert r.status_code == 201, r.get_json()
    d = session.scalar(select(Dossier).where(Dossier.code == r.get_json()["code"]))
    assert d.vneid_verified is True and d.payment_channel == 1
