"""What each dossier action takes: one frozen dataclass per action that takes data.

``apply_action(session, dossier, action, data)`` accepts only the class registered for the action
(refused before anything changes otherwise). Agencies and officers are named by id, so an input is
plain data that the web form, the API body, the demo history and the tests all build the same way.
Shapes are typed here; the rules (a reason is required, the new date after the due time …) are
checked by the action and refused field by field as ``ValidationFailed`` (docs/architecture.md §4).
"""
from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

from ..errors import N_, ValidationFailed


@dataclass(frozen=True, kw_only=True)
class ActionInput:
    """An action that takes nothing but an optional note (receive, acknowledge, provide the
    supplement, confirm the payment)."""
    note: str = ""

    def event_note(self) -> str:
        """The note written on the timeline event."""
        return self.note


@dataclass(frozen=True, kw_only=True)
class ReasonedInput(ActionInput):
    """An action that records a reason; ``REASON_MISSING`` is the message when it is required and
    left empty (empty message: optional)."""
    REASON_MISSING: ClassVar[str] = ""
    reason: str = ""

    def event_note(self) -> str:
        return self.note or self.reason


@dataclass(frozen=True, kw_only=True)
class SupplementRequestInput(ReasonedInput):
    """Form 02: everything missing, listed once (Decree 118/2025)."""
    REASON_MISSING: ClassVar[str] = N_("Nhập lý do yêu cầu bổ sung.")
    missing_items: tuple[str, ...] = ()
    respond_by: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentRequestInput(ReasonedInput):
    REASON_MISSING: ClassVar[str] = N_("Nhập khoản nghĩa vụ tài chính phải thực hiện.")


@dataclass(frozen=True, kw_only=True)
class RefuseInput(ReasonedInput):
    REASON_MISSING: ClassVar[str] = N_("Nhập lý do từ chối tiếp nhận.")


@dataclass(frozen=True, kw_only=True)
class ApologyInput(ReasonedInput):
    """Form 04: the reason for the delay and the new date."""
    REASON_MISSING: ClassVar[str] = N_("Nhập lý do chậm trễ.")
    new_due_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class EndingInput(ReasonedInput):
    """An end before the result: the agency stops (form 05) or the citizen withdraws."""


@dataclass(frozen=True, kw_only=True)
class StopInput(EndingInput):
    REASON_MISSING: ClassVar[str] = N_("Nhập lý do dừng xử lý (thông báo mẫu 05).")


@dataclass(frozen=True, kw_only=True)
class WithdrawInput(EndingInput):
    REASON_MISSING: ClassVar[str] = N_("Nhập lý do rút hồ sơ (theo đề nghị của công dân).")


@dataclass(frozen=True, kw_only=True)
class ReplanInput(ReasonedInput):
    """A calendar edit moved the due time; the reason names the edit."""


@dataclass(frozen=True, kw_only=True)
class CompleteInput(ReasonedInput):
    """Result ready: the result, and the reason for ending a liên thông chain early (required only
    then)."""
    result: str = ""


@dataclass(frozen=True, kw_only=True)
class ReturnInput(ActionInput):
    method: str = "direct"  # direct | postal | online
    receiver: str = ""


@dataclass(frozen=True, kw_only=True)
class TransferInput(ActionInput):
    """To the competent agency; none named: the procedure's first step (or its lead agency)."""
    to_agency_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class HandOffInput(ActionInput):
    """Liên thông: to the next agency of the chain, or the one named."""
    to_agency_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class HandBackInput(ActionInput):
    """Back to the agency that sent the dossier, or the one named."""
    to_agency_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class AssignInput(ActionInput):
    officer_id: int | None = None


def input_from(input_type: type[ActionInput], values: Mapping[str, object]) -> ActionInput:
    """Build ``input_type`` from loosely typed values (a parsed form, a JSON body): the fields the
    class has are taken, the others ignored, and a value of the wrong type is refused under its
    field's name before any action runs. A list is accepted for a tuple field."""
    hints = get_type_hints(input_type)
    taken: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields(input_type):
        if f.name not in values:
            continue
        value = values[f.name]
        if isinstance(value, list):
            value = tuple(value)
        if _fits(value, hints[f.name]):
            taken[f.name] = value
        else:
            errors[f.name] = N_("Giá trị không đúng kiểu.")
    if errors:
        raise ValidationFailed(errors)
    return input_type(**taken)


def _fits(value: object, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, arm) for arm in get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        item = get_args(hint)[0]
        return isinstance(value, tuple) and all(_fits(v, item) for v in value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


__all__ = [
    "ActionInput", "ApologyInput", "AssignInput", "CompleteInput", "EndingInput", "HandBackInput",
    "HandOffInput", "PaymentRequestInput", "ReasonedInput", "RefuseInput", "ReplanInput", "ReturnInput",
    "StopInput", "SupplementRequestInput", "TransferInput", "WithdrawInput", "input_from",
]
