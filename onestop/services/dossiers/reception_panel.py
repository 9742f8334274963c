"""The reception form's procedure panel: what the receipt will say before the clerk submits.

The legal limit (a same-day procedure reads "trả trong ngày" with its reason, never "0 ngày làm
việc"), the fees, the liên thông chain as it resolves from this desk, the due time the receipt will
print if the dossier is received now with its "why" (``domain.deadlines.compute_due``, the same code
``receive_dossier`` runs), and the honest estimate (services/dossiers/estimates.py) when there is one.
As data: the words are onestop/web/sentences.py's, in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy.orm import Session

from ...domain.deadlines import TraceStep, compute_due
from ...domain.errors import DomainError
from ...models import Agency, Procedure
from ..admin.agencies import resolve_kind
from ..admin.calendars import calendar_for
from .estimates import Estimate, estimate_for, resolving_agency_at


def is_same_day(limit: Decimal | None, unit: str | None) -> bool:
    return limit is not None and Decimal(limit) == 0 and unit == "working_days"


@dataclass
class Panel:
    code: str
    name: str
    limit: Decimal
    unit: str
    same_day: bool
    cutoff: time | None
    fee: str
    chain: list[str]
    resolver: str
    due_at: datetime | None  # in the desk's zone
    why: tuple[TraceStep, ...] = ()
    estimate: Estimate | None = None
    error: str = ""


def preview(session: Session, procedure: Procedure, desk: Agency, *, channel: str, now: datetime) -> Panel:
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
    why: tuple[TraceStep, ...] = ()
    error = ""
    try:
        due = compute_due(now, rule, cal, channel=channel, explain=True)
        due_at = due.due_at.astimezone(cal.tz)
        why = due.steps
    except DomainError as exc:  # a limit the rules cannot count (e.g. a due time that depends on the citizen)
        error = str(getattr(exc, "message", exc))
    est = estimate_for(session, procedure.id, resolver.id if resolver is not None else None)
    return Panel(code=procedure.code, name=procedure.name, limit=rule.limit, unit=rule.unit.value,
                 same_day=same, cutoff=rule.cutoff, fee=procedure.fee or "", chain=chain,
                 resolver=resolver.name if resolver is not None else "", due_at=due_at, why=why, estimate=est,
                 error=error)
