"""The dossier lifecycle. ``apply_action`` is the ONLY code that changes ``Dossier.status``; in the
same flush it appends the event (docs/architecture.md §2). Each action takes its own typed input
(``inputs.py``); reception is ``reception.py``, the clock ``clock.py``, hand-offs ``handoffs.py``."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ...domain.errors import DomainError
from ...domain.status import DossierAction as A
from ...domain.status import DossierStatus as S
from ...domain.timing import classify_finished
from ...domain.workflow import IllegalTransition, next_status
from ...integrations.dvcqg.outbox import enqueue_for_event
from ...models import Dossier, DossierEvent, PauseInterval, User
from ...models.files import DossierFile
from .. import policy
from ..errors import N_, Conflict, NotFound, ValidationFailed
from ..notify.events import notify_for_event
from . import handoffs
from .applicant import normalize_text
from .clock import calendar_of, compute_dossier_due, end_open_pauses, end_pause, reload_pauses, start_clock
from .inputs import (
    ActionInput,
    ApologyInput,
    AssignInput,
    CompleteInput,
    EndingInput,
    HandBackInput,
    HandOffInput,
    PaymentRequestInput,
    ReasonedInput,
    RefuseInput,
    ReplanInput,
    ReturnInput,
    StopInput,
    SupplementRequestInput,
    TransferInput,
    WithdrawInput,
)

CONFLICT_MESSAGE = "Hồ sơ đã được người khác thay đổi trong lúc bạn thao tác — vui lòng tải lại."
Payload = dict[str, Any]
In = TypeVar("In", bound=ActionInput)


# ---------------------------------------------------------------- events


def append_event(
    session: Session, dossier: Dossier, *, action: A, from_status: str | None, actor: User | None,
    now: datetime, note: str = "", payload: dict[str, Any] | None = None, public: bool = True,
    agency_id: int | None = None, first: bool = False,
) -> DossierEvent:
    seq = 0 if first else session.scalar(
        select(func.coalesce(func.max(DossierEvent.seq), 0)).where(DossierEvent.dossier_id == dossier.id)
    )
    ev = DossierEvent(
        dossier_id=dossier.id, seq=int(seq or 0) + 1, at=now, actor_id=actor.id if actor else None,
        agency_id=agency_id if agency_id is not None else (actor.agency_id if actor else None),
        action=action.value, from_status=from_status, to_status=dossier.status, note=note,
        public=public, payload=_jsonable(payload or {}),
    )
    session.add(ev)
    # What the national portal must see is queued in this same transaction (docs/integration.md).
    enqueue_for_event(session, dossier, ev)
    # Staff in-app notifications and the consenting citizen's message (docs/integration.md, Messaging).
    notify_for_event(session, dossier, ev)
    return ev


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value



# ---------------------------------------------------------------- actions

@dataclass(frozen=True)
class _Handler(Generic[In]):
    """An action's input class and what the action does with it; the payload is recorded on the
    event."""
    input_type: type[In]
    run: Callable[[Session, Dossier, In, User | None, datetime], Payload]


def input_type_for(action: A | str) -> type[ActionInput]:
    """The input class ``apply_action`` accepts for ``action``."""
    handler = _HANDLERS.get(A(action))
    return handler.input_type if handler is not None else ActionInput


def apply_action(
    session: Session, dossier: Dossier, action: A | str, data: ActionInput | None = None, *,
    actor: User | None, now: datetime, expected_version: int | None = None,
) -> DossierEvent:
    """Take ``action`` on ``dossier`` with its input ``data`` (none: the input's defaults): check the
    input's type, permission, the transition table and the action's own rules, change the dossier,
    append the event, flush. Raises TypeError (an input of another action), Forbidden,
    IllegalTransition, ValidationFailed, Conflict; on any error the caller rolls back and the
    dossier is as it was."""
    action = A(action)
    handler = _HANDLERS.get(action)
    expected = handler.input_type if handler is not None else ActionInput
    inp = data if data is not None else expected()
    if type(inp) is not expected:
        # A programming error, refused before anything is read or changed.
        raise TypeError(f"{action.value} takes {expected.__name__}, not {type(inp).__name__}")
    if expected_version is not None and expected_version != dossier.version:
        raise Conflict(CONFLICT_MESSAGE)
    # Lock the dossier row before any side effect (legs, pauses, events): a
    # concurrent action waits here, then sees the new version and gets a clean
    # Conflict instead of a unique-key error on its own inserts. (SQLite already
    # serialises writers with BEGIN IMMEDIATE; FOR UPDATE is a no-op there.)
    if dossier.id is not None:
        locked_version = session.execute(
            select(Dossier.version).where(Dossier.id == dossier.id).with_for_update()
        ).scalar_one()
        if locked_version != dossier.version:
            raise Conflict(CONFLICT_MESSAGE)
    before = S(dossier.status)
    target = next_status(before, action)
    if actor is not None:
        policy.check(actor, action, dossier)
    policy.check_waiting(action, dossier)
    note = normalize_text(inp.event_note())
    if len(note) > 4000:
        raise ValidationFailed({"note": N_("Ghi chú tối đa 4000 ký tự.")})
    payload = handler.run(session, dossier, inp, actor, now) if handler is not None else {}
    dossier.status = target.value
    if target.is_finished and dossier.finished_at is None:
        dossier.finished_at = now
    dossier.updated_at = now
    try:
        session.flush()
    except StaleDataError as exc:  # the version column: another transaction changed the row
        raise Conflict(CONFLICT_MESSAGE) from exc
    ev = append_event(session, dossier, action=action, from_status=before.value, actor=actor, now=now,
                      note=note, payload=payload, public=action not in _INTERNAL_ACTIONS)
    session.flush()
    return ev


_INTERNAL_ACTIONS = frozenset({A.ASSIGN, A.REPLAN})


def _reason(inp: ReasonedInput) -> str:
    """The input's reason, normalised; refused under ``reason`` when the action requires one."""
    value = normalize_text(inp.reason)
    if not value and inp.REASON_MISSING:
        raise ValidationFailed({"reason": inp.REASON_MISSING})
    return value


def _receive(session: Session, d: Dossier, inp: ActionInput, actor: User | None, now: datetime) -> Payload:
    d.received_at = now
    due = start_clock(session, d, now)
    return {"due_at": due.due_at, "clock_start_at": due.clock_start}


def _request_supplement(session: Session, d: Dossier, inp: SupplementRequestInput, actor: User | None,
                        now: datetime) -> Payload:
    items = [normalize_text(i) for i in inp.missing_items if normalize_text(i)]
    reason = _reason(inp)
    if not items:
        raise ValidationFailed({"missing_items": N_("Liệt kê đầy đủ các giấy tờ cần bổ sung (một lần).")})
    if d.status in (S.NEW_ONLINE.value,):
        return {"missing_items": items, "reason": reason}
    session.add(PauseInterval(dossier_id=d.id, kind="supplement", reason=reason, items=items,
                              started_at=now, respond_by=inp.respond_by))
    reload_pauses(session, d)
    d.supplement_count += 1
    # Decision 766 indicator 2.1: more than one supplement request counts as late.
    return {"missing_items": items, "reason": reason, "request_number": d.supplement_count,
            "counts_as_late": d.supplement_count > 1, "regime": d.procedure.supplement_regime}


def _provide_supplement(session: Session, d: Dossier, inp: ActionInput, actor: User | None,
                        now: datetime) -> Payload:
    return end_pause(session, d, "supplement", now)


def _request_payment(session: Session, d: Dossier, inp: PaymentRequestInput, actor: User | None,
                     now: datetime) -> Payload:
    reason = _reason(inp)
    session.add(PauseInterval(dossier_id=d.id, kind="payment", reason=reason, started_at=now))
    reload_pauses(session, d)
    return {"reason": reason}


def _confirm_payment(session: Session, d: Dossier, inp: ActionInput, actor: User | None,
                     now: datetime) -> Payload:
    return end_pause(session, d, "payment", now)


def _refuse(session: Session, d: Dossier, inp: RefuseInput, actor: User | None, now: datetime) -> Payload:
    return {"reason": _reason(inp)}


def _assign(session: Session, d: Dossier, inp: AssignInput, actor: User | None, now: datetime) -> Payload:
    officer = session.get(User, inp.officer_id) if inp.officer_id is not None else None
    if officer is None or not officer.active or officer.role not in ("officer", "head"):
        raise ValidationFailed({"officer": N_("Chọn một chuyên viên đang hoạt động.")})
    if not officer.agency.path.startswith(d.current_agency.path) and officer.agency_id != d.current_agency_id:
        raise ValidationFailed({"officer": N_("Chuyên viên phải thuộc cơ quan đang giữ hồ sơ.")})
    d.assignee_id = officer.id
    return {"officer": officer.username, "officer_name": officer.full_name}


def _apologise(session: Session, d: Dossier, inp: ApologyInput, actor: User | None, now: datetime) -> Payload:
    """Form 04: apology and new date, at most once; the statutory date still decides
    on-time (Decree 61/2018 art. 19(4) as amended; Decree 118/2025)."""
    if d.promised_due_at is not None:
        raise DomainError("Đã xin lỗi và hẹn lại một lần; không được hẹn lại lần thứ hai.")
    reason = _reason(inp)
    new_due = inp.new_due_at
    if new_due is None or new_due.tzinfo is None:
        raise ValidationFailed({"new_due_at": N_("Nhập ngày hẹn trả mới (dd/mm/yyyy).")})
    if d.due_at is None or new_due <= d.due_at:
        raise ValidationFailed({"new_due_at": N_("Ngày hẹn mới phải sau hạn giải quyết hiện tại.")})
    if new_due <= now:
        raise ValidationFailed({"new_due_at": N_("Ngày hẹn mới phải ở tương lai.")})
    cal = calendar_of(session, d)
    try:
        cal.is_working_day(new_due.astimezone(cal.tz).date())
    except DomainError as exc:  # outside the years the working calendar covers
        raise ValidationFailed({"new_due_at": str(exc)}) from None
    d.promised_due_at = new_due
    d.apology_reason = reason
    # The law wants the apology no later than one working day before the deadline;
    # a later one is still issued, and recorded as late.
    late_notice = cal.working_minutes_between(now, d.due_at) < cal.minutes_per_day
    return {"reason": reason, "promised_due_at": new_due, "statutory_due_at": d.due_at,
            "issued_late": late_notice}

def _end_early(session: Session, d: Dossier, inp: EndingInput, actor: User | None, now: datetime) -> Payload:
    """Stop (form 05) or withdrawal: the one ending before a result; the actions differ only in
    their input (the reason asked for). An open pause ends with its paused time excluded
    (docs/rules.md, "Timing" T8) and the open leg is finished."""
    reason = _reason(inp)
    change = end_open_pauses(session, d, now)
    handoffs.finish_open_leg(session, d, actor=actor, now=now)
    return {"reason": reason, **change}


def attached_kinds(session: Session, d: Dossier) -> dict[str, int]:
    """How many files of each kind (component scans, result documents) the dossier has."""
    rows = session.execute(select(DossierFile.kind, func.count()).where(DossierFile.dossier_id == d.id)
                           .group_by(DossierFile.kind)).all()
    return {str(kind): int(n) for kind, n in rows}


def _complete(session: Session, d: Dossier, inp: CompleteInput, actor: User | None, now: datetime) -> Payload:
    """Result ready (Đã xử lý xong): irreversible, so it needs the result itself, a result
    document when the dossier's components are attached files, and — for liên thông — every
    planned leg of the chain, or an explicit reason that is recorded with the event."""
    if any(lg.acknowledged_at is None for lg in d.legs):
        raise DomainError("Hồ sơ đang chờ cơ quan nhận liên thông xác nhận.")
    errors: dict[str, str] = {}
    result = normalize_text(inp.result)
    if not result:
        errors["result"] = N_("Nhập kết quả giải quyết (văn bản, giấy tờ trả cho công dân).")
    elif len(result) > 4000:
        errors["result"] = N_("Kết quả giải quyết tối đa 4000 ký tự.")
    payload: dict[str, Any] = {"result": result}
    files = attached_kinds(session, d)
    if files.get("component") and not files.get("result"):
        # A digitised dossier gets its result digitised too (docs/integration.md, "Files and
        # digitisation"): the result file is attached before the finish.
        errors["result_document"] = N_("Hồ sơ có thành phần đính kèm: đính kèm tệp kết quả giải quyết "
                                       "trước khi xử lý xong.")
    if files.get("result"):
        payload["result_files"] = files["result"]
    missing = handoffs.unfinished_chain_steps(d)
    if missing:
        reason = _reason(inp)
        names = handoffs.chain_step_names(session, d, missing)
        if not reason:
            errors["reason"] = N_("Hồ sơ liên thông chưa qua đủ các bước của quy trình (còn: %(steps)s). "
                                  "Chuyển liên thông tiếp, hoặc nhập lý do kết thúc trước khi đủ các bước.",
                                  steps=", ".join(names))
        payload.update(chain_incomplete_reason=reason, skipped_steps=[
            {"seq": step.seq, "agency_kind": step.agency_kind, "name": name}
            for step, name in zip(missing, names, strict=True)])
    if errors:
        raise ValidationFailed(errors)
    d.result_note = result
    leg = handoffs.finish_open_leg(session, d, actor=actor, now=now)
    assert d.due_at is not None
    timing = classify_finished(now, d.due_at, supplement_requests=d.supplement_count,
                               tz=calendar_of(session, d).tz)
    # The result goes back to the desk that received the dossier.
    d.current_agency_id = d.receiving_agency_id
    d.current_agency = d.receiving_agency
    payload.update(timing=timing.value, finished_leg=leg.seq if leg else None)
    return payload


def _return_result(session: Session, d: Dossier, inp: ReturnInput, actor: User | None,
                   now: datetime) -> Payload:
    if inp.method not in ("direct", "postal", "online"):
        raise ValidationFailed({"method": N_("Hình thức trả: trực tiếp, bưu chính hoặc trực tuyến.")})
    d.returned_at = now
    return {"method": inp.method, "receiver": normalize_text(inp.receiver)}


def _replan(session: Session, d: Dossier, inp: ReplanInput, actor: User | None, now: datetime) -> Payload:
    """A calendar edit moves the statutory due time: recorded with old and new."""
    old = d.due_at
    due = compute_dossier_due(session, d)
    d.due_at = due.due_at
    return {"old_due_at": old, "due_at": d.due_at, "reason": inp.reason}


_HANDLERS: dict[A, _Handler[Any]] = {
    A.RECEIVE: _Handler(ActionInput, _receive),
    A.REQUEST_SUPPLEMENT: _Handler(SupplementRequestInput, _request_supplement),
    A.PROVIDE_SUPPLEMENT: _Handler(ActionInput, _provide_supplement),
    A.REQUEST_PAYMENT: _Handler(PaymentRequestInput, _request_payment),
    A.CONFIRM_PAYMENT: _Handler(ActionInput, _confirm_payment),
    A.REFUSE: _Handler(RefuseInput, _refuse),
    A.TRANSFER: _Handler(TransferInput, handoffs.transfer),
    A.ASSIGN: _Handler(AssignInput, _assign),
    A.HAND_OFF: _Handler(HandOffInput, handoffs.hand_off),
    A.ACKNOWLEDGE: _Handler(ActionInput, handoffs.acknowledge),
    A.HAND_BACK: _Handler(HandBackInput, handoffs.hand_back),
    A.APOLOGISE: _Handler(ApologyInput, _apologise),
    A.STOP: _Handler(StopInput, _end_early),
    A.COMPLETE: _Handler(CompleteInput, _complete),
    A.RETURN_RESULT: _Handler(ReturnInput, _return_result),
    A.WITHDRAW: _Handler(WithdrawInput, _end_early),
    A.REPLAN: _Handler(ReplanInput, _replan),
}


def get_by_code(session: Session, code: str) -> Dossier:
    d: Dossier | None = session.scalar(select(Dossier).where(Dossier.code == code.strip().upper()))
    if d is None:
        raise NotFound(f"Không tìm thấy hồ sơ {code}.")
    return d


__all__ = [
    "CONFLICT_MESSAGE",
    "IllegalTransition",
    "append_event",
    "apply_action",
    "get_by_code",
    "input_type_for",
]
