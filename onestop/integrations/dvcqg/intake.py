"""Online dossiers filed on the national portal come in (docs/integration.md §Intake; the pull
choice is justified in docs/operations.md).

Each submission lands in the receiving desk's inbox as a new online registration (status 1,
``new_online``) through the same ``receive_dossier`` every desk uses, so the clerk then receives
it like any other: the receipt, and the due time under the online rules (docs/domain.md §5 and §8).
Idempotent by the portal's code (``MaHoSoQG``, UNIQUE among accepted intakes). Bad input — unknown
procedure or desk, malformed dates, a code already used for other content, an applicant the desk
would refuse — is refused with a logged reason inside a savepoint, so no half-dossier is left.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...models import Agency, Dossier
from ...models.dvcqg import DvcqgIntake
from ...services.dossiers.applicant import Applicant
from ...services.dossiers.reception import ReceptionInput, receive_dossier
from ...services.errors import ValidationFailed
from .fake import load_schema, province_segment
from .mapping import parse_portal_date

log = logging.getLogger(__name__)
CLOCK_SKEW = timedelta(minutes=5)  # a submission time this far ahead of our clock is still accepted


@lru_cache(maxsize=1)
def _schema() -> Draft202012Validator:
    return load_schema("online_submission")


def content_hash(item: Any) -> str:
    text = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class IntakeResult:
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (portal code, dossier code)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (portal code, reason)
    repeated: int = 0  # already taken in (same content): acknowledged again, nothing created
    acknowledgements: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": len(self.accepted), "refused": len(self.refused), "repeated": self.repeated}


class Refused(Exception):
    pass


def _check(session: Session, item: Any, unit_code: str, now: datetime) -> tuple[Agency, datetime]:
    if not isinstance(item, dict):
        raise Refused("bản ghi không phải đối tượng JSON")
    err = next(iter(_schema().iter_errors(item)), None)
    if err is not None:
        where = "/".join(str(p) for p in err.absolute_path) or "(gốc)"
        raise Refused(f"sai cấu trúc tại {where}: {err.message}"[:500])
    try:
        submitted = parse_portal_date(item["NgayNopHoSo"])
    except ValueError as exc:
        raise Refused(f"NgayNopHoSo: {exc}") from None
    if submitted > now + CLOCK_SKEW:
        raise Refused(f"NgayNopHoSo {item['NgayNopHoSo']} ở tương lai")
    agency = session.scalar(select(Agency).where(Agency.identifier == str(item["MaDonVi"]).strip()))
    if agency is None:
        raise Refused(f"không có đơn vị tiếp nhận mã {item['MaDonVi']}")
    if province_segment(agency.identifier) != province_segment(unit_code):
        raise Refused(f"đơn vị {item['MaDonVi']} không thuộc tỉnh của mã đơn vị {unit_code}")
    return agency, submitted


def _refuse(session: Session, result: IntakeResult, code: str, digest: str, reason: str, item: Any,
            now: datetime) -> None:
    result.acknowledgements.append({"MaHoSoQG": code, "KetQua": 0, "LyDo": reason[:500]})
    seen = session.scalar(select(DvcqgIntake.id).where(
        DvcqgIntake.portal_code == code, DvcqgIntake.outcome == "refused",
        DvcqgIntake.content_hash == digest))
    if seen is not None:  # refused before (the acknowledgement was lost): refuse again, log once
        return
    log.warning("DVCQG intake refused %s: %s", code, reason)
    result.refused.append((code, reason))
    session.add(DvcqgIntake(portal_code=code[:60], outcome="refused", reason=reason[:2000],
                            content_hash=digest, at=now,
                            payload=item if isinstance(item, dict) else {"raw": str(item)[:2000]}))


def take_in(session: Session, submissions: list[Any], *, unit_code: str, now: datetime,
            lookup_key: bytes) -> IntakeResult:
    """Create the desk's new online registrations; flushes, never commits. ``lookup_key`` seals
    their look-up secrets (``domain.codes.lookup_key``)."""
    result = IntakeResult()
    for item in submissions:
        code = str(item.get("MaHoSoQG") or "").strip() if isinstance(item, dict) else ""
        digest = content_hash(item)
        if not code:
            _refuse(session, result, "", digest, "thiếu MaHoSoQG (mã hồ sơ của Cổng)", item, now)
            continue
        prior = session.execute(select(DvcqgIntake.content_hash, DvcqgIntake.dossier_id).where(
            DvcqgIntake.portal_code == code, DvcqgIntake.outcome == "accepted")).first()
        if prior is not None:
            if prior.content_hash == digest:
                result.repeated += 1

                dossier_code = session.scalar(select(Dossier.code).where(Dossier.id == prior.dossier_id))
                result.acknowledgements.append({"MaHoSoQG": code, "KetQua": 1, "MaHoSo": dossier_code})
            else:
                _refuse(session, result, code, digest,
                        f"mã {code} đã được dùng cho một hồ sơ khác đã tiếp nhận", item, now)
            continue
        try:
            agency, submitted = _check(session, item, unit_code, now)
            documents = [{"name": f["TenTepDinhKem"], "provided": True, "url": f.get("DuongDanTaiTepTin"),
                          "file_id": f.get("TepDinhKemId"), "component_code": f.get("MaThanhPhanHoSo")}
                         for f in item.get("TaiLieuNop") or []]
            data = ReceptionInput(
                procedure_code=str(item["MaTTHC"]),
                applicant=Applicant(name=str(item["ChuHoSo"]), id_number=str(item.get("SoDinhDanh") or ""),
                                    phone=str(item.get("SoDienThoai") or ""),
                                    email=str(item.get("Email") or ""),
                                    address=str(item.get("DiaChi") or "")),
                channel="online", outcome="submit_online", documents=documents,
                note=f"Nộp trên Cổng DVCQG, mã {code}",
            )
            with session.begin_nested():
                rec = receive_dossier(session, data, agency=agency, actor=None, now=submitted,
                                      lookup_key=lookup_key)
                session.add(DvcqgIntake(portal_code=code, outcome="accepted", content_hash=digest,
                                        dossier_id=rec.dossier.id, at=now, payload=item, reason=""))
                session.flush()
        except Refused as exc:
            _refuse(session, result, code, digest, str(exc), item, now)
            continue
        except ValidationFailed as exc:
            _refuse(session, result, code, digest, "; ".join(f"{k}: {v}" for k, v in exc.errors.items()),
                    item, now)
            continue
        except DomainError as exc:
            _refuse(session, result, code, digest, str(exc), item, now)
            continue
        result.accepted.append((code, rec.dossier.code))
        result.acknowledgements.append({"MaHoSoQG": code, "KetQua": 1, "MaHoSo": rec.dossier.code})
    session.flush()
    return result
