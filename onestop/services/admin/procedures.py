"""Admin: create a procedure and edit what identifies it (name, field, level, fees), its time limit,
documents and liên thông chain (``update_procedure``: shares sum to 100%), each audited.
The chain's steps are agency kinds (or ``department:<short name>``) resolved from the receiving
desk at reception (docs/guide-admin.md), offered as a list built from the agencies that exist."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.deadlines import LimitUnit
from ...models import AGENCY_KINDS, Agency, Procedure, ProcedureStep, User
from ...models.procedure import PROCEDURE_LEVELS, SUPPLEMENT_REGIMES
from ..dossiers.applicant import fold, normalize_text
from ..errors import N_, ValidationFailed
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
        errors["name"] = N_("Nhập tên thủ tục.")
    if not field:
        errors["field"] = N_("Nhập lĩnh vực.")
    elif len(field) > 120:
        errors["field"] = N_("Lĩnh vực tối đa 120 ký tự.")
    if level not in PROCEDURE_LEVELS:
        errors["level"] = N_("Chọn cấp thực hiện.")
    if len(fee) > 4000:
        errors["fee"] = N_("Phí, lệ phí tối đa 4000 ký tự.")
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
                     limit_value: Decimal, limit_unit: str, actor: User, now: datetime,
                     ip: str = "") -> Procedure:
    """A new procedure (active); limit, documents and chain are then set by ``update_procedure``."""
    code = (code or "").strip()
    name, field, fee = normalize_text(name), normalize_text(field), (fee or "").strip()
    errors = _identity_errors(name, field, level, fee)
    if not CODE_RE.match(code):
        errors["code"] = N_("Mã thủ tục theo CSDL quốc gia, ví dụ 1.004884.")
    elif session.scalar(select(Procedure.id).where(Procedure.code == code)) is not None:
        errors["code"] = N_("Đã có thủ tục mã %(code)s.", code=code)
    if errors:
        raise ValidationFailed(errors)
    p = Procedure(code=code, name=name, name_search=fold(name), field=field, level=level, fee=fee,
                  limit_value=limit_value, limit_unit=limit_unit, documents=[], supplement_regime="pause")
    session.add(p)
    session.flush()
    audit(session, actor, "procedure.create", f"procedure:{code}", {"name": name, "field": field}, now, ip)
    return p


__all__ = ["CODE_RE", "chain_choices", "create_procedure", "update_identity"]


@dataclass
class StepInput:
    agency_kind: str
    share_percent: Decimal
    name: str = ""


def _kind_ok(kind: str) -> bool:
    if kind.startswith("department:"):
        return bool(kind.split(":", 1)[1].strip())
    return kind in AGENCY_KINDS


def update_procedure(
    session: Session, procedure: Procedure, *, limit_value: Decimal, limit_unit: str, cutoff: time | None,
    supplement_regime: str, documents: list[str], steps: list[StepInput], actor: User, now: datetime,
    ip: str = "",
) -> Procedure:
    """Edit the time limit and the liên thông chain. The shares are the internal
    process approved by the province (docs/domain.md §2) and must sum to 100%.
    Dossiers already received keep their snapshot (limit at receipt)."""
    errors: dict[str, str] = {}
    if limit_value < 0 or limit_value > 1000:
        errors["limit_value"] = N_("Thời hạn từ 0 đến 1000.")
    if limit_unit not in {u.value for u in LimitUnit}:
        errors["limit_unit"] = N_("Đơn vị thời hạn không hợp lệ.")
    if supplement_regime not in SUPPLEMENT_REGIMES:
        errors["supplement_regime"] = N_("Chế độ bổ sung: tạm dừng hoặc tính lại.")
    for i, s in enumerate(steps, start=1):
        if not _kind_ok(s.agency_kind):
            errors[f"steps-{i}"] = N_("Bước %(n)s: loại cơ quan không hợp lệ.", n=i)
        elif not Decimal(0) < s.share_percent <= Decimal(100):
            errors[f"steps-{i}"] = N_("Bước %(n)s: tỷ lệ thời gian từ 0 đến 100%%.", n=i)
    if steps and sum((s.share_percent for s in steps), Decimal(0)) != Decimal(100):
        errors["steps"] = N_("Tổng tỷ lệ thời gian các bước liên thông phải bằng 100%.")
    if errors:
        raise ValidationFailed(errors)
    before = {"limit": str(procedure.limit_value), "unit": procedure.limit_unit,
              "cutoff": procedure.cutoff.strftime("%H:%M") if procedure.cutoff else None,
              "regime": procedure.supplement_regime, "documents": list(procedure.documents or []),
              "steps": [[s.agency_kind, str(s.share_percent)] for s in procedure.steps]}
    procedure.limit_value = limit_value
    procedure.limit_unit = limit_unit
    procedure.cutoff = cutoff
    procedure.supplement_regime = supplement_regime
    procedure.documents = [d.strip() for d in documents if d.strip()]
    new_steps = [[s.agency_kind, str(s.share_percent)] for s in steps]
    if new_steps != before["steps"]:
        procedure.steps.clear()
        session.flush()  # old (procedure_id, seq) rows go before the new ones arrive
        procedure.steps = [ProcedureStep(seq=i, agency_kind=s.agency_kind, share_percent=s.share_percent,
                                         name=s.name.strip()[:200]) for i, s in enumerate(steps, start=1)]
    session.flush()
    after = {"limit": str(procedure.limit_value), "unit": procedure.limit_unit,
             "cutoff": cutoff.strftime("%H:%M") if cutoff else None, "regime": supplement_regime,
             "documents": list(procedure.documents), "steps": new_steps}
    diff: dict[str, object] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if diff:
        audit(session, actor, "procedure.update", f"procedure:{procedure.code}", diff, now, ip)
    return procedure


def parse_documents(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\r\n]+", text or "") if line.strip()]
