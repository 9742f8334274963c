"""Tracker data -> the national portal's messages (docs/integration.md has the field-by-field table).

Pure: no database, no clock, no Flask. The functions read a dossier through the attributes the ORM
objects carry (``code``, ``procedure``, ``events`` …), so tests pass plain objects. A value the
tracker does not know is OMITTED from the message, never invented: the portal computes the 766
index from these fields, and a guessed "0" or "1" would move a province's score.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ...domain.status import NATIONAL_CODES, Channel, DossierAction, DossierStatus

PORTAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y%m%d%H%M%S"  # yyyyMMddHHmmss, local time of Hà Nội (docs/integration.md)
DATE_RE = re.compile(r"^\d{14}$")

# What an officer's role is called on the portal's progress row (ChucDanh).
ROLE_TITLES = {"clerk": "Công chức tiếp nhận", "officer": "Chuyên viên", "head": "Lãnh đạo",
               "admin": "Quản trị"}
# Return method of the result -> HinhThuc (0 at the desk, 1 by post). "online" has no code: omitted.
RETURN_FORMS = {"direct": 0, "postal": 1}
_ACTION_TEXT = {
    "submit_online": "Nộp hồ sơ trực tuyến", "receive": "Tiếp nhận hồ sơ",
    "request_supplement": "Yêu cầu bổ sung hồ sơ", "provide_supplement": "Công dân đã bổ sung hồ sơ",
    "refuse": "Từ chối tiếp nhận", "transfer": "Chuyển xử lý", "assign": "Phân công xử lý",
    "request_payment": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "confirm_payment": "Đã thực hiện nghĩa vụ tài chính",
    "hand_off": "Chuyển liên thông", "acknowledge": "Nhận hồ sơ liên thông",
    "hand_back": "Trả lại liên thông",
    "apologise": "Xin lỗi và hẹn lại ngày trả kết quả", "stop": "Dừng xử lý", "complete": "Đã xử lý xong",
    "return_result": "Trả kết quả", "withdraw": "Công dân rút hồ sơ", "replan": "Tính lại hạn giải quyết",
}
_AMOUNT = re.compile(r"^(\d{1,3}(?:\.\d{3})*|\d+)\s*(?:đ|đồng)(?:\s*/\s*([^;,()]+))?$")


def portal_date(moment: datetime | None) -> str | None:
    """``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh; None stays None (then the field is omitted)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the portal's dates are local times of a known zone")
    return moment.astimezone(PORTAL_TZ).strftime(DATE_FORMAT)


def parse_portal_date(value: Any) -> datetime:
    """The inverse; raises ValueError on anything but 14 digits of a real local time."""
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise ValueError(f"ngày không đúng dạng yyyyMMddHHmmss: {value!r}")
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=PORTAL_TZ)


def national_status(status: str) -> int:
    """Internal status -> the portal's code 1–10 (docs/domain.md §3; domain/status.py NATIONAL_CODES).
    Hand-offs (liên thông) do not change the status: a leg is a progress row of the SAME dossier,
    never a record of its own, so the portal counts the dossier once."""
    return NATIONAL_CODES[DossierStatus(status)]


def applicant_kind(id_number: str) -> int | None:
    """LoaiDoiTuong: 1 citizen when the applicant gave a personal ID number (only people hold a
    CCCD/CMND); otherwise the tracker does not know (business? state body?) and says nothing."""
    return 1 if re.fullmatch(r"\d{12}|\d{9}", id_number or "") else None


def identity_documents(id_number: str) -> list[dict[str, Any]]:
    """DinhDanhCHS: LoaiDinhDanh 1 CCCD (12 digits), 2 CMND (9 digits)."""
    if re.fullmatch(r"\d{12}", id_number or ""):
        return [{"LoaiDinhDanh": 1, "SoDinhDanh": id_number}]
    if re.fullmatch(r"\d{9}", id_number or ""):
        return [{"LoaiDinhDanh": 2, "SoDinhDanh": id_number}]
    return []


def fees(fee_text: str) -> list[dict[str, Any]]:
    """DanhSachLePhi from the catalogue's fee text. The catalogue holds free text (docs/data.md):
    a single plain amount ("10.000đ/trường hợp") gives a price; "0" or empty gives no fee; any other
    text (tiers, "theo NQ HĐND tỉnh") is passed by name only — its price is not known here."""
    text = " ".join((fee_text or "").split())
    if not text or text in ("0", "Miễn", "Không"):
        return []
    m = _AMOUNT.match(text)
    if m:
        amount = int(m.group(1).replace(".", ""))
        return [] if amount == 0 else [{"TenPhiLePhi": text, "Gia": amount}]
    return [{"TenPhiLePhi": text[:500]}]


def _payload_time(payload: dict[str, Any], key: str) -> datetime | None:
    value = payload.get(key)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def supplement_rounds(code: str, events: Sequence[Any]) -> list[dict[str, Any]]:
    """DanhSachHoSoBoSung: one item per supplement request made after reception (the clock pauses;
    a request at the desk before reception has no appointment to move and is not a round).
    NgayHenTraTruoc = the appointment before the round, NgayHenTraMoi = after the citizen supplied
    (the pause added, or the restart regime's new limit); an open round has no NgayHenTraMoi yet."""
    rounds: list[dict[str, Any]] = []
    due_now: datetime | None = None
    for ev in events:
        payload = ev.payload or {}
        if "due_at" in payload and ev.action in ("receive", "replan", "provide_supplement",
                                                 "confirm_payment"):
            due_now = _payload_time(payload, "due_at") or due_now
        if ev.action == DossierAction.REQUEST_SUPPLEMENT.value and ev.to_status == "awaiting_supplement":
            items = [str(i) for i in payload.get("missing_items") or []]
            content = "; ".join(x for x in [str(payload.get("reason") or ""), ", ".join(items)] if x)
            rnd: dict[str, Any] = {
                "HoSoBoSungId": f"{code}-BS{len(rounds) + 1}",
                "NoiDungBoSung": content[:2000] or None,
                "NgayBoSung": portal_date(ev.at),
                "TrangThaiBoSung": 0,
                "NgayHenTraTruoc": portal_date(due_now),
            }
            actor = getattr(ev, "actor", None)
            if actor is not None:
                rnd["NguoiYeuCauBoSung"] = actor.full_name
            rounds.append(rnd)
        elif ev.action == DossierAction.PROVIDE_SUPPLEMENT.value and rounds:
            rnd = rounds[-1]
            rnd["TrangThaiBoSung"] = 1
            rnd["NgayTiepNhanBoSung"] = portal_date(ev.at)
            before = _payload_time(payload, "old_due_at")
            if before is not None:
                rnd["NgayHenTraTruoc"] = portal_date(before)
            rnd["NgayHenTraMoi"] = portal_date(_payload_time(payload, "due_at"))
    return [_compact(r) for r in rounds]


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Drop unknown values (None, empty text, empty lists): omitted, never invented."""
    return {k: v for k, v in record.items() if v is not None and v != "" and v != []}


def _return_event(events: Iterable[Any]) -> Any | None:
    return next((ev for ev in events if ev.action == DossierAction.RETURN_RESULT.value), None)


def _file_items(files: Sequence[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """TaiLieuNop and DanhSachGiayToKetQua from the dossier's stored files (components and results).
    A digitisation an approver rejected is not a document of the dossier and is left out. No
    DuongDanTaiTepTin: the files are in the province's private storage, not at a public address."""
    parts: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for f in files:
        if getattr(f, "approval_state", 1) == 3:
            continue
        name = (getattr(f, "title", "") or getattr(f, "filename", "") or "")[:500]
        if f.kind == "result":
            results.append(_compact({"TenGiayTo": name, "GiayToId": str(f.id),
                                     "MaGiayToKetQua": getattr(f, "result_code", "") or None}))
            continue
        state = int(getattr(f, "digitisation_state", 1) or 0)
        component = getattr(f, "component_no", None)
        parts.append(_compact({
            "TepDinhKemId": str(f.id), "TenTepDinhKem": name, "IsDeleted": False,
            "MaThanhPhanHoSo": str(component) if component is not None else None,
            "DuocSoHoa": 1 if state >= 1 else 0, "DuocTaiSuDung": 1 if state in (2, 3) else 0,
            "DuocLayTuKhoDMQG": 1 if getattr(f, "from_national_store", False) else 0,
            "MaKetQuaThayThe": (getattr(f, "result_code", "") or None) if state == 3 else None,
        }))
    return parts, results


def dossier_record(d: Any, files: Sequence[Any] | None = None) -> dict[str, Any]:
    """One ``DongBoHoSoMC`` item for dossier ``d`` (its events loaded in ``seq`` order). ``files``:
    the dossier's stored files, or None where the tracker keeps no files (then the file fields are
    unknown and omitted, except files that came with a portal submission)."""
    proc = d.procedure
    status = DossierStatus(d.status)
    events = list(d.events)
    returned = _return_event(events)
    method = str((returned.payload or {}).get("method") or "") if returned is not None else ""
    id_number = d.applicant_id_number or ""
    documents = [doc for doc in (d.documents or []) if isinstance(doc, dict)]
    # Files that came in with a portal submission (their TaiLieuNop); the desk's checklist records
    # paper components, not files, and claiming a file would feed 766 indicator 4.2 with something
    # that does not exist.
    submitted = [
        _compact({"TepDinhKemId": doc.get("file_id"), "TenTepDinhKem": doc.get("name"), "IsDeleted": False,
                  "MaThanhPhanHoSo": doc.get("component_code"), "DuongDanTaiTepTin": doc.get("url")})
        for doc in documents if doc.get("url")
    ]
    stored, result_files = _file_items(files or [])
    results = result_files
    if not results and status in (DossierStatus.RESULT_READY, DossierStatus.RETURNED) and d.result_note:
        results = [{"TenGiayTo": d.result_note[:500]}]
    # 766 fields recorded on the dossier where the tracker keeps them (VNeID, payment, databases).
    vneid = getattr(d, "vneid_verified", None)
    payment = getattr(d, "payment_channel", None)
    csdl = getattr(d, "csdl_codes", None) or []
    record = {
        "MaHoSo": d.code,
        "MaTTHC": proc.code,
        "TenTTHC": proc.name,
        "TenLinhVuc": proc.field,
        "ChuHoSo": d.applicant_name,
        "LoaiDoiTuong": applicant_kind(id_number),
        "Email": d.applicant_email or None,
        "SoDienThoai": d.applicant_phone or None,
        "TrichYeuHoSo": proc.name,
        "NgayNopHoSo": portal_date(d.submitted_at),
        "NgayTiepNhan": portal_date(d.received_at),
        "NgayHenTra": portal_date(d.due_at),
        "TrangThaiHoSo": national_status(d.status),
        "NgayTra": portal_date(d.returned_at),
        "HinhThuc": RETURN_FORMS.get(method),
        "NgayKetThucXuLy": portal_date(d.finished_at),
        "NgayTuChoi": portal_date(d.finished_at) if status is DossierStatus.REFUSED else None,
        "DonViXuLy": d.current_agency.name,
        "GhiChu": d.note or None,
        "KenhThucHien": Channel(d.channel).national_code,
        "SoGiayToChuHoSo": id_number or None,
        "DinhDanhCHS": identity_documents(id_number),
        "HoSoCoThanhPhanSoHoa": (1 if stored else 0) if files is not None else None,
        "TaiKhoanDuocXacThucVoiVNeID": None if vneid is None else (1 if vneid else 0),
        "DuocThanhToanTrucTuyen": payment if payment in (1, 2) else None,
        "DSKetNoiCSDL": [{"MaCSDL": str(c)} for c in csdl if c],
        "TaiLieuNop": submitted + stored,
        "DanhSachLePhi": fees(proc.fee),
        "DanhSachHoSoBoSung": supplement_rounds(d.code, events),
        "DanhSachGiayToKetQua": results,
    }
    return _compact(record)


def progress_row(d: Any, ev: Any) -> dict[str, Any]:
    """One ``CapNhatTienDoHoSoMC`` item: the event ``ev`` of dossier ``d`` (a liên thông hand-off is
    a row here, with the receiving agency, never a dossier record of its own)."""
    payload = ev.payload or {}
    actor = getattr(ev, "actor", None)
    agency = getattr(ev, "agency", None)
    text = _ACTION_TEXT.get(ev.action, ev.action)
    if payload.get("to_agency_name"):
        text = f"{text}: {payload['to_agency_name']}"
    if ev.note:
        text = f"{text} — {ev.note}"
    # The statutory end of this step: the liên thông leg's own deadline, else the dossier's.
    due = _payload_time(payload, "leg_due_at") or _payload_time(payload, "due_at")
    return _compact({
        "MaHoSo": d.code,
        "NguoiXuLy": actor.full_name if actor is not None else None,
        "ChucDanh": ROLE_TITLES.get(actor.role) if actor is not None else None,
        "ThoiDiemXuLy": portal_date(ev.at),
        "PhongBanXuLy": agency.name if agency is not None else None,
        "NoiDungXuLy": text[:2000],
        "TrangThai": national_status(ev.to_status),
        "NgayBatDau": portal_date(ev.at),
        "NgayKetThucTheoQuyDinh": portal_date(due),
    })


def rating_record(d: Any, rating: Any) -> dict[str, Any]:
    """One ``DongBoDanhGia`` item. The portal's payload for ratings is not published; this one is
    designed from SIPAS' five factors (docs/domain.md §6), scores 1–5, plus the dossier-level verdict
    the 766 indicator 5.4 counts (docs/integration.md)."""
    return _compact({
        "MaHoSo": d.code,
        "NgayDanhGia": portal_date(rating.created_at),
        "DiemTiepCan": rating.score_access,
        "DiemThuTuc": rating.score_procedure,
        "DiemCongChuc": rating.score_officer,
        "DiemKetQua": rating.score_result,
        "DiemPhanHoi": rating.score_feedback,
        "HaiLong": 1 if rating.satisfied else 0,
        "YKien": (rating.comment or "")[:2000] or None,
    })
