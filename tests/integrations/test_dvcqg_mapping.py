"""The mapper from tracker data to the national portal's messages: pure, plain objects in."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace as NS

import pytest
from jsonschema import Draft202012Validator

from onestop.domain.status import DossierStatus
from onestop.integrations.dvcqg import mapping
from onestop.integrations.dvcqg.fake import SCHEMA_DIR
from tests.times import hanoi


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")))


def ev(seq: int, action: str, at: datetime, to: str, payload: dict | None = None, actor=None, agency=None,
       note: str = "") -> NS:
    return NS(seq=seq, action=action, at=at, to_status=to, payload=payload or {}, actor=actor, agency=agency,
              note=note)


OFFICER = NS(full_name="Lê Văn Cán", role="officer")
UBND = NS(name="UBND xã Tân Lạc", identifier="000.00.31.H25")


def dossier(**kw) -> NS:
    base = {
        "code": "000.01.31.H25-260302-0001",
        "procedure": NS(code="1.004884", name="Đăng ký thường trú", field="Đăng ký, quản lý cư trú",
                     fee="15.000đ/lần (trực tiếp); 7.000đ/lần (trực tuyến)"),
        "applicant_name": "Nguyễn Văn An", "applicant_id_number": "001090012345",
        "applicant_phone": "0912345678",
        "applicant_email": "", "channel": "direct", "submitted_at": hanoi(2026, 3, 2, 9),
        "received_at": hanoi(2026, 3, 2, 9),
        "due_at": hanoi(2026, 3, 5, 17), "promised_due_at": None, "status": "processing", "finished_at": None,
        "returned_at": None,
        "result_note": "", "note": "", "documents": [{"name": "Tờ khai", "provided": True}],
        "current_agency": UBND,
        "events": [ev(1, "receive", hanoi(2026, 3, 2, 9), "received",
                      {"due_at": hanoi(2026, 3, 5, 17).isoformat()})],
    }
    base.update(kw)
    return NS(**base)


@pytest.mark.parametrize(("status", "code"), [
    ("new_online", 1), ("received", 2), ("refused", 3), ("processing", 4), ("awaiting_supplement", 5),
    ("incomplete", 5), ("awaiting_payment", 6), ("withdrawn", 7), ("stopped", 8), ("result_ready", 9),
    ("returned", 10)])
def test_every_internal_status_maps_to_one_national_code(status, code):
    assert mapping.national_status(status) == code


def test_every_status_is_mapped():
    assert {mapping.national_status(s.value) for s in DossierStatus} == set(range(1, 11))


def test_dates_are_local_hanoi_time_in_portal_format():
    assert mapping.portal_date(datetime(2026, 3, 2, 17, 30, tzinfo=UTC)) == "20260303003000"
    assert mapping.parse_portal_date("20260303003000") == datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    for bad in ("2026-03-03", "20261303003000", "2026030300300", None, 20260303003000):
        with pytest.raises(ValueError):
            mapping.parse_portal_date(bad)
    with pytest.raises(ValueError):
        mapping.portal_date(datetime(2026, 3, 2, 17, 30))


def test_record_fills_what_the_tracker_knows_and_omits_the_rest():
    rec = mapping.dossier_record(dossier())
    assert rec["MaHoSo"] == "000.01.31.H25-260302-0001"
    assert rec["TrangThaiHoSo"] == 4 and rec["KenhThucHien"] == 1
    assert rec["NgayTiepNhan"] == "20260302090000" and rec["NgayHenTra"] == "20260305170000"
    assert rec["LoaiDoiTuong"] == 1 and rec["DinhDanhCHS"] == [{"LoaiDinhDanh": 1,
                                                                "SoDinhDanh": "001090012345"}]
    assert rec["DanhSachLePhi"] == [{"TenPhiLePhi": "15.000đ/lần (trực tiếp); 7.000đ/lần (trực tuyến)"}]
    # Unknown, so absent — never a made-up 0: payment, VNeID, digitised components, files, result.
    for absent in ("DuocThanhToanTrucTuyen", "TaiKhoanDuocXacThucVoiVNeID", "HoSoCoThanhPhanSoHoa",
                   "TaiLieuNop",
                   "NgayTra", "HinhThuc", "NgayKetThucXuLy", "Email", "MaLinhVuc", "DSKetNoiCSDL",
                   "DanhSachGiayToKetQua", "NgayTuChoi"):
        assert absent not in rec, absent
    assert not list(schema("hoso").iter_errors(rec))


def test_applicant_without_personal_id_has_no_subject_kind():
    rec = mapping.dossier_record(dossier(applicant_id_number=""))
    assert "LoaiDoiTuong" not in rec and "DinhDanhCHS" not in rec and "SoGiayToChuHoSo" not in rec
    assert mapping.identity_documents("123456789") == [{"LoaiDinhDanh": 2, "SoDinhDanh": "123456789"}]


def test_fees_plain_amount_priced_free_text_named_zero_none():
    assert mapping.fees("10.000đ/trường hợp") == [{"TenPhiLePhi": "10.000đ/trường hợp", "Gia": 10000}]
    assert mapping.fees("0") == [] and mapping.fees("") == []
    assert mapping.fees("Theo NQ HĐND tỉnh") == [{"TenPhiLePhi": "Theo NQ HĐND tỉnh"}]


def test_returned_dossier_has_end_return_form_and_result():
    events = [
        ev(1, "receive", hanoi(2026, 3, 2, 9), "received", {"due_at": hanoi(2026, 3, 5, 17).isoformat()}),
              ev(2, "complete", hanoi(2026, 3, 4, 10), "result_ready"),
              ev(3, "return_result", hanoi(2026, 3, 4, 15), "returned", {"method": "postal"})]
    rec = mapping.dossier_record(
        dossier(status="returned", finished_at=hanoi(2026, 3, 4, 10), returned_at=hanoi(2026, 3, 4, 15),
                                         result_note="Giấy xác nhận thường trú", events=events))
    assert rec["TrangThaiHoSo"] == 10
    assert rec["NgayKetThucXuLy"] == "20260304100000" and rec["NgayTra"] == "20260304150000"
    assert rec["HinhThuc"] == 1
    assert rec["DanhSachGiayToKetQua"] == [{"TenGiayTo": "Giấy xác nhận thường trú"}]


def test_refusal_has_its_date():
    rec = mapping.dossier_record(
        dossier(status="refused", finished_at=hanoi(2026, 3, 2, 9), received_at=None, due_at=None))
    assert rec["TrangThaiHoSo"] == 3 and rec["NgayTuChoi"] == "20260302090000"


def test_supplement_rounds_carry_the_appointment_before_and_after():
    events = [
        ev(1, "receive", hanoi(2026, 3, 2, 9), "received", {"due_at": hanoi(2026, 3, 5, 17).isoformat()}),
        ev(2, "transfer", hanoi(2026, 3, 2, 9), "processing"),
        ev(3, "request_supplement", hanoi(2026, 3, 3, 9), "awaiting_supplement",
           {"missing_items": ["Sổ hộ khẩu"], "reason": "Thiếu giấy tờ"}, actor=OFFICER),
        ev(4, "provide_supplement", hanoi(2026, 3, 4, 9), "processing",
           {"old_due_at": hanoi(2026, 3, 5, 17).isoformat(), "due_at": hanoi(2026, 3, 6, 17).isoformat()}),
        ev(5, "request_supplement", hanoi(2026, 3, 5, 9), "awaiting_supplement",
           {"missing_items": ["Ảnh"], "reason": "Mờ"}),
    ]
    rounds = mapping.dossier_record(dossier(status="awaiting_supplement", due_at=hanoi(2026, 3, 6, 17),
                                            events=events))["DanhSachHoSoBoSung"]
    assert rounds[0] == {"HoSoBoSungId": "000.01.31.H25-260302-0001-BS1",
                         "NoiDungBoSung": "Thiếu giấy tờ; Sổ hộ khẩu",
                         "NgayBoSung": "20260303090000", "TrangThaiBoSung": 1,
                         "NgayHenTraTruoc": "20260305170000",
                         "NguoiYeuCauBoSung": "Lê Văn Cán", "NgayTiepNhanBoSung": "20260304090000",
                         "NgayHenTraMoi": "20260306170000"}
    assert rounds[1]["TrangThaiBoSung"] == 0 and rounds[1]["NgayHenTraTruoc"] == "20260306170000"
    assert "NgayHenTraMoi" not in rounds[1]


def test_desk_supplement_before_reception_is_not_a_round():
    events = [ev(1, "request_supplement", hanoi(2026, 3, 2, 9), "incomplete",
                 {"missing_items": ["x"], "reason": "y"})]
    rec = mapping.dossier_record(dossier(status="incomplete", received_at=None, due_at=None, events=events))
    assert rec["TrangThaiHoSo"] == 5 and "DanhSachHoSoBoSung" not in rec


def test_lien_thong_hand_off_is_a_progress_row_of_the_same_dossier():
    d = dossier()
    leg = {"to_agency_name": "Công an xã Tân Lạc", "leg_due_at": hanoi(2026, 3, 3, 11, 15).isoformat()}
    hand_off = ev(3, "hand_off", hanoi(2026, 3, 2, 10), "processing", leg, actor=OFFICER, agency=UBND)
    row = mapping.progress_row(d, hand_off)
    assert row["MaHoSo"] == d.code and row["TrangThai"] == 4
    assert row["NoiDungXuLy"] == "Chuyển liên thông: Công an xã Tân Lạc"
    assert row["NgayKetThucTheoQuyDinh"] == "20260303111500"
    assert row["NguoiXuLy"] == "Lê Văn Cán" and row["ChucDanh"] == "Chuyên viên"
    assert not list(schema("tiendo").iter_errors(row))


def test_rating_payload_from_sipas_factors():
    rating = NS(created_at=hanoi(2026, 3, 6, 9), score_access=5, score_procedure=4, score_officer=5,
                score_result=5, score_feedback=3, satisfied=True, comment="")
    item = mapping.rating_record(dossier(), rating)
    assert item == {"MaHoSo": "000.01.31.H25-260302-0001", "NgayDanhGia": "20260306090000", "DiemTiepCan": 5,
                    "DiemThuTuc": 4, "DiemCongChuc": 5, "DiemKetQua": 5, "DiemPhanHoi": 3, "HaiLong": 1}
    assert not list(schema("danhgia").iter_errors(item))


def test_stored_files_fill_documents_digitisation_and_results():
    files = [
        NS(id=7, kind="component", title="Tờ khai", filename="to-khai.pdf", component_no=1,
           digitisation_state=1,
           from_national_store=False, result_code="", approval_state=2),
        NS(id=8, kind="component", title="", filename="cccd.png", component_no=2, digitisation_state=3,
           from_national_store=True, result_code="KQ.01", approval_state=2),
        NS(id=9, kind="component", title="Bị từ chối", filename="x.pdf", component_no=3, digitisation_state=1,
           from_national_store=False, result_code="", approval_state=3),
        NS(id=10, kind="result", title="Giấy xác nhận", filename="kq.pdf", component_no=None,
           digitisation_state=1, from_national_store=False, result_code="GXN", approval_state=2),
    ]
    rec = mapping.dossier_record(
        dossier(status="result_ready", finished_at=hanoi(2026, 3, 4, 10), result_note="KQ"), files)
    assert rec["TaiLieuNop"] == [
        {"TepDinhKemId": "7", "TenTepDinhKem": "Tờ khai", "IsDeleted": False, "MaThanhPhanHoSo": "1",
         "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 0},
        {"TepDinhKemId": "8", "TenTepDinhKem": "cccd.png", "IsDeleted": False, "MaThanhPhanHoSo": "2",
         "DuocSoHoa": 1, "DuocTaiSuDung": 1, "DuocLayTuKhoDMQG": 1, "MaKetQuaThayThe": "KQ.01"}]
    assert rec["HoSoCoThanhPhanSoHoa"] == 1
    assert rec["DanhSachGiayToKetQua"] == [{"TenGiayTo": "Giấy xác nhận", "GiayToId": "10",
                                            "MaGiayToKetQua": "GXN"}]
    assert not list(schema("hoso").iter_errors(rec))
    # A tracker that keeps files but none on this dossier: known to have none.
    assert mapping.dossier_record(dossier(), [])["HoSoCoThanhPhanSoHoa"] == 0
    assert "HoSoCoThanhPhanSoHoa" not in mapping.dossier_record(dossier())  # no files kept: unknown


def test_vneid_payment_and_national_databases_where_recorded():
    rec = mapping.dossier_record(dossier(vneid_verified=True, payment_channel=2, csdl_codes=["CSDLQGDC"]))
    assert rec["TaiKhoanDuocXacThucVoiVNeID"] == 1 and rec["DuocThanhToanTrucTuyen"] == 2
    assert rec["DSKetNoiCSDL"] == [{"MaCSDL": "CSDLQGDC"}]
    rec = mapping.dossier_record(dossier(vneid_verified=False, payment_channel=None, csdl_codes=[]))
    assert rec["TaiKhoanDuocXacThucVoiVNeID"] == 0
    assert "DuocThanhToanTrucTuyen" not in rec and "DSKetNoiCSDL" not in rec
    assert not list(schema("hoso").iter_errors(rec))
