"""What the portal sync sends from the tracker's real file rows and 766 fields (a dossier with two
scanned components, one reused, one result; VNeID, online payment, national databases)."""
from __future__ import annotations

from onestop.integrations.dvcqg.outbox import current_record
from onestop.integrations.storage import LocalStorage
from onestop.services.dossiers import files as files_svc
from onestop.services.dossiers.actions import apply_action
from tests.factories import receive, user
from tests.times import MONDAY, TUESDAY_10

LATER = TUESDAY_10
PDF = b"%PDF-1.7\n%%EOF\n"


def _attach(session, store, d, actor, kind, no, meta=None):  # type: ignore[no-untyped-def]
    up = files_svc.check_upload(PDF + kind.encode() + str(no).encode(), "a.pdf", max_bytes=10**6)
    key = files_svc.store_upload(store, up, MONDAY)
    return files_svc.attach(session, d, actor=actor, kind=kind, component_no=no, key=key, upload=up,
                            meta=meta or files_svc.DocMeta(), now=MONDAY)


def test_sync_record_carries_files_digitisation_reuse_and_766_fields(session, tmp_path):
    store = LocalStorage(tmp_path)
    clerk = user(session, "t_clerk")
    earlier = receive(session, now=MONDAY).dossier
    old = _attach(session, store, earlier, clerk, "component", 2)
    files_svc.set_approval(session, old, actor=clerk, state=2, now=MONDAY)
    d = receive(session, now=LATER).dossier
    d.vneid_verified = True
    d.payment_channel = 1
    d.csdl_codes = ["CSDLQGDC"]
    a = _attach(session, store, d, clerk, "component", 1)
    reused = files_svc.reuse(session, d, actor=clerk, source_id=old.id, component_no=2, now=LATER)
    rejected = _attach(session, store, d, clerk, "component", 3)
    files_svc.set_approval(session, rejected, actor=clerk, state=3, now=LATER)
    apply_action(session, d, "transfer", actor=clerk, now=LATER)
    head = user(session, "t_head")
    _attach(session, store, d, head, "result", None, files_svc.DocMeta(result_code="KQ-1.004884"))
    session.flush()

    rec = current_record(session, d)
    parts = {p["TepDinhKemId"]: p for p in rec["TaiLieuNop"]}
    assert set(parts) == {str(a.id), str(reused.id)}  # the rejected scan is not a document
    assert parts[str(a.id)]["DuocSoHoa"] == 1 and parts[str(a.id)]["DuocTaiSuDung"] == 0
    assert parts[str(a.id)]["MaThanhPhanHoSo"] == "1"
    assert parts[str(reused.id)]["DuocTaiSuDung"] == 1 and parts[str(reused.id)]["DuocLayTuKhoDMQG"] == 0
    assert rec["HoSoCoThanhPhanSoHoa"] == 1
    assert rec["DanhSachGiayToKetQua"][0]["MaGiayToKetQua"] == "KQ-1.004884"
    assert rec["TaiKhoanDuocXacThucVoiVNeID"] == 1
    assert rec["DuocThanhToanTrucTuyen"] == 1
    assert rec["DSKetNoiCSDL"] == [{"MaCSDL": "CSDLQGDC"}]
    assert rec["DinhDanhCHS"] == [{"LoaiDinhDanh": 1, "SoDinhDanh": d.applicant_id_number}]


def test_sync_record_of_a_dossier_without_files_says_none_digitised(session):
    d = receive(session, now=MONDAY).dossier
    rec = current_record(session, d)
    assert rec["HoSoCoThanhPhanSoHoa"] == 0
    assert rec["TaiKhoanDuocXacThucVoiVNeID"] == 0
    assert "DuocThanhToanTrucTuyen" not in rec
