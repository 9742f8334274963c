"""Dossier files: component scans and results, digitisation metadata, reuse of a citizen's earlier
approved documents, and the clean-up of stored objects that never got a row
(docs/integration.md, "Files and digitisation"; docs/security.md, "Dossier files").

Order of work, so that a failure never leaves a half-written dossier behind: the web layer checks
the upload (``check_upload``), writes the object under a fresh key (``store_upload``) and only then
adds the row (``attach``) and commits. A failed commit leaves an object with no row, which
``purge_orphans`` deletes after a grace period; a row never points at a missing object."""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain import files as f
from ...domain.status import Role
from ...integrations.storage import Storage
from ...models import Dossier, User
from ...models.files import DossierFile
from .. import policy
from ..admin.agencies import in_subtree
from ..errors import N_, Forbidden, NotFound, ValidationFailed

KEY_PREFIX = "files"


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    content_type: str
    filename: str
    sha256: str


def check_upload(data: bytes, filename: str, *, max_bytes: int) -> CheckedUpload:
    """The upload's sniffed type, safe display name and hash; ValidationFailed (field ``file``) when
    it is empty, too large, or not a PDF, JPEG or PNG by its content."""
    if not data:
        raise ValidationFailed({"file": N_("Chưa chọn tệp hoặc tệp rỗng.")})
    if len(data) > max_bytes:
        raise ValidationFailed({"file": N_("Tệp quá lớn: tối đa %(mb)s MB.", mb=max_bytes // (1024 * 1024))})
    mime = f.sniff(data[:16])
    if mime is None:
        raise ValidationFailed({"file": N_("Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).")})
    return CheckedUpload(data, mime, f.safe_filename(filename, mime), f.sha256_hex(data))


def new_key(now: datetime) -> str:
    return f"{KEY_PREFIX}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


def store_upload(storage: Storage, upload: CheckedUpload, now: datetime) -> str:
    """Write the object first (its key is new, so nothing else can see it yet)."""
    key = new_key(now)
    storage.put(key, upload.data, upload.content_type)
    return key


def may_attach(user: User, dossier: Dossier) -> bool:
    """The receiving desk (components at reception and later) and the staff holding the dossier
    (results); not the administrator, who administers accounts, not dossiers."""
    if not user.active or user.role == Role.ADMIN or not policy.can_view(user, dossier):
        return False
    return in_subtree(user.agency, dossier.receiving_agency) or policy.holds(user, dossier)


def _component_title(dossier: Dossier, component_no: int | None) -> str:
    docs = list(dossier.procedure.documents or [])
    if component_no is None:
        return ""
    if not 1 <= component_no <= len(docs):
        raise ValidationFailed({"component_no": N_("Thành phần hồ sơ không có trong danh mục của thủ tục.")})
    return str(docs[component_no - 1])


@dataclass(frozen=True)
class DocMeta:
    doc_number: str = ""
    issuer: str = ""
    issued_on: date | None = None
    valid_until: date | None = None
    result_code: str = ""

    def errors(self) -> dict[str, str]:
        e: dict[str, str] = {}
        if len(self.doc_number) > 100:
            e["doc_number"] = N_("Số, ký hiệu tối đa 100 ký tự.")
        if len(self.issuer) > 200:
            e["issuer"] = N_("Cơ quan cấp tối đa 200 ký tự.")
        if self.issued_on and self.valid_until and self.valid_until < self.issued_on:
            e["valid_until"] = N_("Ngày hết hiệu lực phải sau ngày cấp.")
        if len(self.result_code) > 60:
            e["result_code"] = N_("Mã kết quả tối đa 60 ký tự.")
        return e


def attach(session: Session, dossier: Dossier, *, actor: User, kind: str, component_no: int | None,
           key: str, upload: CheckedUpload, meta: DocMeta, now: datetime) -> DossierFile:
    """Add the row for an object already stored under ``key`` (digitised here, state 1, pending
    approval). Raises before adding anything when a rule is broken."""
    if not may_attach(actor, dossier):
        raise Forbidden("Bạn không có quyền đính kèm tệp vào hồ sơ này.")
    if kind not in f.KINDS:
        raise ValidationFailed({"kind": N_("Loại tệp phải là thành phần hồ sơ hoặc kết quả.")})
    errors = meta.errors()
    if errors:
        raise ValidationFailed(errors)
    title = _component_title(dossier, component_no) if kind == "component" else (
        dossier.procedure.name if dossier.procedure else "")
    row = DossierFile(
        dossier_id=dossier.id, kind=kind, component_no=component_no if kind == "component" else None,
        title=title, storage_key=key, filename=upload.filename, content_type=upload.content_type,
        size_bytes=len(upload.data), sha256=upload.sha256, digitisation_state=f.DIGITISED_HERE,
        from_national_store=False, result_code=meta.result_code.strip(), doc_number=meta.doc_number.strip(),
        issuer=meta.issuer.strip(), issued_on=meta.issued_on, valid_until=meta.valid_until,
        owner_id_number=dossier.applicant_id_number or "", uploaded_by_id=actor.id, uploaded_at=now,
        approval_state=f.PENDING,
    )
    session.add(row)
    session.flush()
    return row


def files_of(session: Session, dossier: Dossier) -> list[DossierFile]:
    return list(session.scalars(select(DossierFile).where(DossierFile.dossier_id == dossier.id)
                                .order_by(DossierFile.kind, DossierFile.component_no, DossierFile.id)))


def component_states(session: Session, dossier: Dossier) -> list[tuple[int, str, DossierFile | None]]:
    """Each component of the procedure with its newest file (None: state 0, not digitised)."""
    by_no: dict[int, DossierFile] = {}
    for row in files_of(session, dossier):
        if row.kind == "component" and row.component_no is not None:
            by_no[row.component_no] = row
    docs = list(dossier.procedure.documents or [])
    return [(i, str(name), by_no.get(i)) for i, name in enumerate(docs, start=1)]


def reuse_candidates(session: Session, dossier: Dossier) -> list[DossierFile]:
    """The citizen's APPROVED documents and results on their other dossiers (same ID number), one
    per distinct content, newest first."""
    if not dossier.applicant_id_number:
        return []
    rows = session.scalars(
        select(DossierFile).where(DossierFile.owner_id_number == dossier.applicant_id_number,
                                  DossierFile.approval_state == f.APPROVED,
                                  DossierFile.dossier_id != dossier.id)
        .order_by(DossierFile.uploaded_at.desc(), DossierFile.id.desc()).limit(200))
    seen: set[str] = set()
    out: list[DossierFile] = []
    for row in rows:
        if row.sha256 not in seen:
            seen.add(row.sha256)
            out.append(row)
    return out


def reuse(session: Session, dossier: Dossier, *, actor: User, source_id: int, component_no: int,
          now: datetime) -> DossierFile:
    """Attach an earlier approved document of the same citizen as this dossier's component: state 2
    (it was a component) or 3 (it was a result); the stored object is shared, not copied."""
    if not may_attach(actor, dossier):
        raise Forbidden("Bạn không có quyền đính kèm tệp vào hồ sơ này.")
    source = session.get(DossierFile, source_id)
    if source is None or source.id not in {c.id for c in reuse_candidates(session, dossier)}:
        raise NotFound("Không có giấy tờ đã số hóa, đã duyệt của công dân này với mã đó.")
    title = _component_title(dossier, component_no)
    row = DossierFile(
        dossier_id=dossier.id, kind="component", component_no=component_no, title=title,
        storage_key=source.storage_key, filename=source.filename, content_type=source.content_type,
        size_bytes=source.size_bytes, sha256=source.sha256,
        digitisation_state=f.REUSED_COMPONENT if source.kind == "component" else f.REUSED_RESULT,
        reused_from_id=source.id, from_national_store=source.from_national_store,
        result_code=source.result_code, doc_number=source.doc_number, issuer=source.issuer,
        issued_on=source.issued_on, valid_until=source.valid_until, owner_id_number=source.owner_id_number,
        uploaded_by_id=actor.id, uploaded_at=now, approval_state=f.APPROVED,
        approved_by_id=source.approved_by_id, approved_at=source.approved_at,
    )
    session.add(row)
    session.flush()
    return row


def set_approval(session: Session, row: DossierFile, *, actor: User, state: int, now: datetime) -> None:
    """Approve (2) or reject (3) a digitised document: the dossier's holder or its receiving desk."""
    dossier = session.get(Dossier, row.dossier_id)
    assert dossier is not None
    if not may_attach(actor, dossier):
        raise Forbidden("Bạn không có quyền duyệt giấy tờ của hồ sơ này.")
    if state not in (f.APPROVED, f.REJECTED):
        raise ValidationFailed({"approval_state": N_("Trạng thái duyệt phải là 'đã duyệt' hoặc 'từ chối'.")})
    row.approval_state = state
    row.approved_by_id = actor.id
    row.approved_at = now
    session.flush()


def get_visible(session: Session, user: User, file_id: int) -> DossierFile:
    """A file the staff member may open (view rights on its dossier), else NotFound (no leak)."""
    row = session.get(DossierFile, file_id)
    if row is None:
        raise NotFound("Không tìm thấy tệp.")
    dossier = session.get(Dossier, row.dossier_id)
    if dossier is None or not policy.can_view(user, dossier):
        raise NotFound("Không tìm thấy tệp.")
    return row


def result_for_citizen(session: Session, dossier: Dossier, file_id: int) -> DossierFile:
    """A RESULT of this dossier (the citizen proved the look-up already); components never."""
    row = session.get(DossierFile, file_id)
    if row is None or row.dossier_id != dossier.id or row.kind != "result":
        raise NotFound("Không tìm thấy tệp.")
    return row


def results_of(session: Session, dossier_id: int) -> list[DossierFile]:
    return list(session.scalars(select(DossierFile).where(DossierFile.dossier_id == dossier_id,
                                                          DossierFile.kind == "result")
                                .order_by(DossierFile.id)))


def purge_orphans(session: Session, storage: Storage, *, now: datetime, grace: timedelta,
                  batch: int = 500) -> dict[str, int]:
    """Delete stored objects older than ``grace`` that no row references (an upload whose commit
    failed). Younger objects may belong to an upload in progress and stay."""
    cutoff = now - grace
    scanned = deleted = 0
    chunk: list[str] = []

    def flush_chunk() -> int:
        known = set(session.scalars(select(DossierFile.storage_key)
                                    .where(DossierFile.storage_key.in_(chunk))))
        gone = 0
        for key in chunk:
            if key not in known:
                storage.delete(key)
                gone += 1
        chunk.clear()
        return gone

    for obj in storage.list(KEY_PREFIX):
        scanned += 1
        if obj.modified_at > cutoff:
            continue
        chunk.append(obj.key)
        if len(chunk) >= batch:
            deleted += flush_chunk()
    if chunk:
        deleted += flush_chunk()
    return {"objects_scanned": scanned, "orphans_deleted": deleted}


CSDL_CODE = r"^[A-Z0-9_.-]{2,30}$"


def set_dossier_facts(session: Session, dossier: Dossier, *, actor: User, vneid_verified: bool,
                      payment_channel: int | None, fee_paid: int | None, csdl_codes: list[str],
                      now: datetime) -> None:
    """Record what the 766 index reads about the dossier itself: identity verified through VNeID, how
    the fee was paid (1 national payment platform, 2 provincial gateway, None not online), the amount,
    and the national databases consulted. The receiving desk or the holder; all or nothing."""

    if not may_attach(actor, dossier):
        raise Forbidden("Bạn không có quyền cập nhật hồ sơ này.")
    errors: dict[str, str] = {}
    if payment_channel not in (None, 1, 2):
        errors["payment_channel"] = N_("Hình thức thanh toán: 1 (Nền tảng thanh toán quốc gia), 2 (cổng của "
                                       "tỉnh) hoặc không.")
    if fee_paid is not None and not 0 <= fee_paid <= 10**12:
        errors["fee_paid"] = N_("Số tiền phí, lệ phí không hợp lệ.")
    codes = [c.strip().upper() for c in csdl_codes if c.strip()]
    if len(codes) > 20 or any(not re.match(CSDL_CODE, c) for c in codes):
        errors["csdl_codes"] = N_("Mã CSDL: chữ in hoa, số, dấu gạch; tối đa 20 mã.")
    if errors:
        raise ValidationFailed(errors)
    dossier.vneid_verified = vneid_verified
    dossier.payment_channel = payment_channel
    dossier.fee_paid = Decimal(fee_paid) if fee_paid is not None else None
    dossier.csdl_codes = list(dict.fromkeys(codes))
    dossier.updated_at = now
    session.flush()


def _portal_date(value: Any) -> date | None:
    text = str(value or "").strip()[:8]
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None


def import_national(session: Session, storage: Storage, dossier: Dossier, *, actor: User, doc: dict[str, Any],
                    component_no: int, max_bytes: int, now: datetime) -> DossierFile:
    """Attach a document from the citizen's national store (DuocLayTuKhoDMQG) as a component: the file
    is checked like an upload (content sniffed, size, hash), stored first, then the row is added —
    state 3 (an earlier result reused), already approved by its issuer. The caller commits, and
    deletes the object again if the commit fails."""

    if not may_attach(actor, dossier):
        raise Forbidden("Bạn không có quyền đính kèm tệp vào hồ sơ này.")
    _component_title(dossier, component_no)
    try:
        data = base64.b64decode(str(doc.get("NoiDungTep") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({"file": N_("Giấy tờ từ kho dữ liệu không kèm tệp hợp lệ.")}) from None
    upload = check_upload(data, str(doc.get("TenGiayTo") or "giay-to"), max_bytes=max_bytes)
    meta = DocMeta(doc_number=str(doc.get("SoKyHieu") or "")[:100],
                   issuer=str(doc.get("CoQuanCap") or "")[:200],
                   issued_on=_portal_date(doc.get("NgayCap")),
                   valid_until=_portal_date(doc.get("NgayHetHieuLuc")),
                   result_code=str(doc.get("MaKetQua") or "")[:60])
    key = store_upload(storage, upload, now)
    try:
        row = attach(session, dossier, actor=actor, kind="component", component_no=component_no, key=key,
                     upload=upload, meta=meta, now=now)
    except Exception:
        storage.delete(key)
        raise
    row.digitisation_state = f.REUSED_RESULT
    row.from_national_store = True
    row.approval_state = f.APPROVED
    row.approved_at = now
    session.flush()
    return row
