"""Hand-offs between agencies: the transfer from the desk with the process control slip, the
liên thông chain (hand off, acknowledge, hand back) and each leg's own deadline, its share of the
limit (docs/domain.md §2.2–2.3; docs/rules.md F4)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...domain.timing import classify_finished
from ...models import Agency, Dossier, HandoffLeg, ProcedureStep, User
from ..admin.agencies import resolve_kind
from ..errors import N_, NotFound, ValidationFailed
from .clock import calendar_of
from .inputs import ActionInput, HandBackInput, HandOffInput, TransferInput

Payload = dict[str, Any]


def leg_share_minutes(session: Session, d: Dossier, step_seq: int | None) -> int | None:
    if step_seq is None or d.limit_value is None:
        return None
    step = next((s for s in d.procedure.steps if s.seq == step_seq), None)
    if step is None:
        return None
    cal = calendar_of(session, d)
    if d.limit_unit == "working_hours":
        total = int(Decimal(d.limit_value) * 60)
    elif d.limit_unit == "working_days" and Decimal(d.limit_value) > 0:
        total = int(Decimal(d.limit_value) * cal.minutes_per_day)
    else:  # same-day and calendar-day limits: the working time actually available
        assert d.clock_start_at is not None and d.due_at is not None
        total = cal.working_minutes_between(d.clock_start_at, d.due_at)
    return int(total * Decimal(step.share_percent) / 100)


def open_leg(session: Session, d: Dossier, *, to_agency: Agency, actor: User | None, now: datetime,
             step_seq: int | None) -> HandoffLeg:
    seq = len(d.legs) + 1
    leg = HandoffLeg(dossier_id=d.id, seq=seq, step_seq=step_seq, from_agency_id=d.current_agency_id,
                     to_agency_id=to_agency.id, sent_by_id=actor.id if actor else None, sent_at=now,
                     share_minutes=leg_share_minutes(session, d, step_seq))
    session.add(leg)
    session.flush()
    session.refresh(d, ["legs"])
    return leg


def acknowledge_leg(session: Session, d: Dossier, leg: HandoffLeg, *, actor: User | None,
                    now: datetime) -> None:
    leg.acknowledged_at = now
    leg.acknowledged_by_id = actor.id if actor else None
    if leg.share_minutes is not None:
        leg.due_at = calendar_of(session, d).add_working_minutes(now, leg.share_minutes)
    else:
        leg.due_at = d.due_at


def finish_open_leg(session: Session, d: Dossier, *, actor: User | None, now: datetime) -> HandoffLeg | None:
    leg = next((lg for lg in reversed(d.legs) if lg.finished_at is None and lg.acknowledged_at is not None),
               None)
    if leg is None:
        return None
    leg.finished_at = now
    leg.finished_by_id = actor.id if actor else None
    if leg.due_at is not None:
        leg.result = classify_finished(now, leg.due_at, tz=calendar_of(session, d).tz).value
    return leg


def unfinished_chain_steps(d: Dossier) -> list[ProcedureStep]:
    """The steps of a liên thông procedure's chain (the province's approved inter-agency
    process, docs/domain.md §2.3) that no acknowledged leg has taken yet."""
    done = {lg.step_seq for lg in d.legs if lg.step_seq is not None and lg.acknowledged_at is not None}
    return [step for step in d.procedure.steps if step.seq not in done]


def chain_step_names(session: Session, d: Dossier, steps: list[ProcedureStep]) -> list[str]:
    """What to call the steps to the user: the step's name, else the agency that takes it."""
    names = []
    for step in steps:
        try:
            names.append(step.name or resolve_kind(session, step.agency_kind, d.receiving_agency).name)
        except NotFound:
            names.append(step.agency_kind)
    return names


def named_agency(session: Session, agency_id: int | None) -> Agency | None:
    """The agency an input names (None when it names none); an unknown id is the field's error."""
    if agency_id is None:
        return None
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise ValidationFailed({"to_agency": N_("Cơ quan nhận không tồn tại.")})
    return agency


def _hold(d: Dossier, to: Agency) -> None:
    """``to`` holds the dossier now, with nobody assigned yet."""
    d.current_agency_id = to.id
    d.current_agency = to
    d.assignee_id = None


def _pass_on(session: Session, d: Dossier, to: Agency, *, step_seq: int | None, actor: User | None,
             now: datetime) -> Payload:
    """The one path of a liên thông hand-over (forward or back): the leg the current agency was
    holding is finished (judged against its own deadline) and a new leg opens to ``to``, which waits
    for ``to`` to acknowledge it."""
    finished = finish_open_leg(session, d, actor=actor, now=now)
    leg = open_leg(session, d, to_agency=to, actor=actor, now=now, step_seq=step_seq)
    _hold(d, to)
    return {"to_agency": to.identifier, "to_agency_name": to.name, "leg": leg.seq,
            "finished_leg": finished.seq if finished else None,
            "finished_leg_result": finished.result if finished else None}


def _refuse_while_waiting(d: Dossier, message: str) -> None:
    if any(lg.acknowledged_at is None for lg in d.legs):
        raise DomainError(message)


def transfer(session: Session, d: Dossier, inp: TransferInput, actor: User | None, now: datetime) -> Payload:
    """Desk → the competent department, with the process control slip (row 1). The department takes
    the dossier with the slip: its leg clock starts now."""
    to = named_agency(session, inp.to_agency_id)
    if to is None:
        steps = d.procedure.steps
        kind = steps[0].agency_kind if steps else d.procedure.lead_kind
        to = resolve_kind(session, kind, d.receiving_agency)
    leg = open_leg(session, d, to_agency=to, actor=actor, now=now, step_seq=1 if d.procedure.steps else None)
    acknowledge_leg(session, d, leg, actor=actor, now=now)
    _hold(d, to)
    return {"to_agency": to.identifier, "to_agency_name": to.name, "leg": leg.seq, "leg_due_at": leg.due_at}


def hand_off(session: Session, d: Dossier, inp: HandOffInput, actor: User | None, now: datetime) -> Payload:
    """Liên thông: hand to the next agency of the chain (or a named one)."""
    _refuse_while_waiting(d, "Hồ sơ đang chờ cơ quan nhận xác nhận; chưa thể chuyển tiếp.")
    current_step = max((lg.step_seq or 0 for lg in d.legs), default=0)
    next_step = next((s for s in d.procedure.steps if s.seq > current_step), None)
    to = named_agency(session, inp.to_agency_id)
    if to is None:
        if next_step is None:
            raise DomainError("Thủ tục không còn bước liên thông tiếp theo.")
        to = resolve_kind(session, next_step.agency_kind, d.receiving_agency)
    if to.id == d.current_agency_id:
        raise ValidationFailed(
            {"to_agency": N_("Không thể chuyển liên thông cho chính cơ quan đang giữ hồ sơ.")})
    return _pass_on(session, d, to, step_seq=next_step.seq if next_step is not None else None,
                    actor=actor, now=now)


def hand_back(session: Session, d: Dossier, inp: HandBackInput, actor: User | None, now: datetime) -> Payload:
    """Return the dossier to the agency that sent it (or a named one). Going back is not a step of
    the chain: the leg takes no step (nor its share of the time), so the steps still to come stay
    to come (see ``unfinished_chain_steps``)."""
    _refuse_while_waiting(d, "Hồ sơ đang chờ cơ quan nhận xác nhận.")
    current = next((lg for lg in reversed(d.legs) if lg.to_agency_id == d.current_agency_id), None)
    to = named_agency(session, inp.to_agency_id) or (current.from_agency if current else None)
    if to is None or to.id == d.current_agency_id:
        raise DomainError("Không xác định được cơ quan nhận lại hồ sơ.")
    return _pass_on(session, d, to, step_seq=None, actor=actor, now=now)


def acknowledge(session: Session, d: Dossier, inp: ActionInput, actor: User | None, now: datetime) -> Payload:
    leg = next((lg for lg in d.legs if lg.acknowledged_at is None), None)
    if leg is None:
        raise DomainError("Không có lượt chuyển liên thông nào đang chờ xác nhận.")
    acknowledge_leg(session, d, leg, actor=actor, now=now)
    return {"leg": leg.seq, "leg_due_at": leg.due_at}
