"""Admin: create a procedure and edit what identifies it (name, field, level, fees); its time limit,
documents and liên thông chain go through ``services.admin.changes.update_procedure`` (shares sum to 100%).
The chain's steps are agency kinds (or ``department:<short name>``) resolved from the receiving
desk at reception (docs/guide-admin.md), offered as a list built from the agencies that exist."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import AGENCY_KINDS, Agency, Procedure, User
from ...models.procedure import PROCEDURE_LEVELS
from ..dossiers.applicant import fold, normalize_text
from ..errors import ValidationFailed
from .accounts import audit

CODE_RE = re.compile(r"^\d\.\d{6}(\.\d+)?$")  # national TTHC code, e.g. 1.004884


def chain_choices(session: Session, kind_labels: dict[str, str]) -> list[tuple[str, str]]:
    """The values a chain step may take: every agency kind, and each department by short name."""
    out = [(k, kind_labels.get(k, k)) for k in AGENCY_KINDS if k != "department"]
    deps = session.scalars(select(Agency).where(Agency.kind == "department", Agency.valid_to.is_(None),
                                                Agency.short_name != "").order_by(Agency.name)).all()
    seen: set[str] = set()
    for a in deps:
        if a.short_name not in seen:
            seen.add(a.short_name)
            out.append((f"department:{a.short_name}", f"{kind_labels.get('department', 'Sở')}: {a.name}"))
    return out


def _identity_errors(name: str, field: str, level: str, fee: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Nhập tên thủ tục."
    if not field:
        errors["field"] = "Nhập lĩnh vực."
    elif len(field) > 120:
        errors["field"] = "Lĩnh vực tối đa 120 ký tự."
    if level not in PROCEDURE_LEVELS:
        errors["level"] = "Chọn cấp thực hiện."
    if len(fee) > 4000:
        errors["fee"] = "Phí, lệ phí tối đa 4000 ký tự."
    return errors


def update_identity(session: Session, p: Procedure, *, name: str, field: str, level: str, fee: str,
                    actor: User, now: datetime, ip: str = "") -> None:
    name, field, fee = normalize_text(name), normalize_text(field), (fee or "").strip()
    errors = _identity_errors(name, field, level, fee)
    if errors:
        raise ValidationFailed(errors)
    before = {"name": p.name, "field": p.field, "level": p.level, "fee": p.fee}
    p.name, p.name_search, p.field, p.level, p.fee = name, fold(name), field, level, fee
    session.flush()
    diff: dict[str, object] = {k: [before[k], getattr(p, k)] for k in before if before[k] != getattr(p, k)}
    if diff:
        audit(session, actor, "procedure.update", f"procedure:{p.code}", diff, now, ip)


def create_procedure(session: Session, *, code: str, name: str, field: str, level: str, fee: str,
                     limit_value: Decimal, limit_unit: str, actor: User, now: datetime, ip: str = "") -> Procedure:
    """A new procedure (active); limit, documents and chain are then set by ``update_procedure``."""
    code = (code or "").strip()
    name, field, fee = normalize_text(name), normalize_text(field), (fee or "").strip()
    errors = _identity_errors(name, field, level, fee)
    if not CODE_RE.match(code):
        errors["code"] = "Mã thủ tục theo CSDL quốc gia, ví dụ 1.004884."
    elif session.scalar(select(Procedure.id).where(Procedure.code == code)) is not None:
        errors["code"] = f"Đã có thủ tục mã {code}."
    if errors:
        raise ValidationFailed(errors)
    p = Procedure(code=code, name=name, name_search=fold(name), field=field, level=level, fee=fee,
                  limit_value=limit_value, limit_unit=limit_unit, documents=[], supplement_regime="pause")
    session.add(p)
    session.flush()
    audit(session, actor, "procedure.create", f"procedure:{code}", {"name": name, "field": field}, now, ip)
    return p


__all__ = ["CODE_RE", "chain_choices", "create_procedure", "update_identity"]
