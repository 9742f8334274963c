"""The reception form's procedure panel: what the receipt will say before the clerk submits.

The legal limit (a same-day procedure reads "trả trong ngày" with its reason, never "0 ngày làm
việc"), the fees, the liên thông chain as it resolves from this desk, the due time the receipt will
print if the dossier is received now with its "why" (``domain.deadlines.compute_due``, the same code
``receive_dossier`` runs), and the honest estimate (services/dossiers/estimates.py) when there is one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ...domain.deadlines import compute_due
from ...domain.errors import DomainError
from ...models import Agency, Procedure
from ..admin.agencies import resolve_kind
from ..admin.calendars import calendar_for
from .estimates import estimate_for, resolving_agency_at

UNIT_VI = {"working_days": "ngày làm việc", "working_hours": "giờ làm việc", "calendar_days": "ngày"}
UNIT_EN = {"working_days": "working day(s)", "working_hours": "working hour(s)", "calendar_days": "day(s)"}


def is_same_day(limit: Decimal | None, unit: str | None) -> bool:
    return limit is not None and Decimal(limit) == 0 and unit == "working_days"


def limit_text(limit: Decimal | None, unit: str | None, locale: str = "vi") -> str:
    """"5 ngày làm việc", "4 giờ làm việc", "trả trong ngày" (a 0-day limit, docs/domain.md §5)."""
    en = locale.lower().startswith("en")
    if limit is None or unit is None:
        return ""
    if is_same_day(limit, unit):
        return "same day" if en else "trả trong ngày"
    n = f"{Decimal(limit).normalize():f}"
    return f"{n} {(UNIT_EN if en else UNIT_VI).get(unit, unit)}"


def same_day_reason(cutoff: time | None, locale: str = "vi") -> str:
    """Why "trả trong ngày" (Decree 61/2018 art. 18; the procedure's published limit): the result is
    due at the close of the day of receipt, or of the next working day after the cut-off."""
    en = locale.lower().startswith("en")
    if cutoff is not None:
        hm = cutoff.strftime("%H:%M")
        if en:
            return (f"Same-day procedure: received by {hm} on a working day, the result is due by closing "
                    f"time that day; received after {hm}, by closing time the next working day.")
        return (f"Thủ tục giải quyết trong ngày: nhận trước {hm} ngày làm việc thì trả trước giờ kết thúc "
                f"ngày đó; nhận sau {hm} thì trả trong ngày làm việc tiếp theo.")
    if en:
        return "Same-day procedure: the result is due by closing time on the working day of receipt."
    return "Thủ tục giải quyết trong ngày: trả kết quả trước giờ kết thúc ngày làm việc nhận hồ sơ."


@dataclass
class Panel:
    code: str
    name: str
    limit_text: str
    same_day: bool
    same_day_reason: str
    fee: str
    chain: list[str]
    resolver: str
    due_at: datetime | None
    due_text: str
    why: list[str] = field(default_factory=list)
    estimate: str = ""
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "limit_text": self.limit_text, "same_day": self.same_day,
                "same_day_reason": self.same_day_reason, "fee": self.fee, "chain": self.chain,
                "resolver": self.resolver, "due_at": self.due_at.isoformat() if self.due_at else None,
                "due_text": self.due_text, "why": self.why, "estimate": self.estimate, "error": self.error}


def preview(session: Session, procedure: Procedure, desk: Agency, *, channel: str, now: datetime,
            locale: str = "vi") -> Panel:
    cal = calendar_for(session, desk)
    rule = procedure.deadline_rule(channel)
    same = is_same_day(rule.limit, rule.unit.value)
    chain: list[str] = []
    for step in procedure.steps or []:
        try:
            chain.append(resolve_kind(session, step.agency_kind, desk).name)
        except DomainError:
            chain.append(step.agency_kind)
    resolver = resolving_agency_at(session, procedure, desk)
    due_at = None
    due_text = ""
    why: list[str] = []
    error = ""
    try:
        due = compute_due(now, rule, cal, channel=channel, explain=True)
        due_at = due.due_at
        local = due.due_at.astimezone(cal.tz)
        due_text = local.strftime("%H:%M ") + ("on " if locale.startswith("en") else "ngày ") + local.strftime(
            "%d/%m/%Y")
        why = due.explain(locale)
    except DomainError as exc:  # a limit the rules cannot count (e.g. a due time that depends on the citizen)
        error = str(getattr(exc, "message", exc))
    est = estimate_for(session, procedure.id, resolver.id if resolver is not None else None)
    return Panel(code=procedure.code, name=procedure.name,
                 limit_text=limit_text(rule.limit, rule.unit.value, locale), same_day=same,
                 same_day_reason=same_day_reason(rule.cutoff, locale) if same else "",
                 fee=procedure.fee or "", chain=chain, resolver=resolver.name if resolver is not None else "",
                 due_at=due_at, due_text=due_text, why=why, estimate=est.text(locale) if est else "", error=error)
