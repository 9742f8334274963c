"""The dossier of the journeys, brought to a given step through the services.

Each journey drives ONE step in the browser and starts from a dossier that the
previous steps produced here, through the same services the web layer calls —
so a journey still runs (and its screenshots still show the real page) when an
earlier page is broken, and a failure points at one page.

The chain is the liên thông procedure 3.000722 (khai sinh – thường trú – BHYT
for a child under 6) received at the commune's service centre (TTPVHCC xã Tân
Lạc): transfer → UBND xã (step 1) → hand_off → Công an xã (step 2), which
acknowledges and hands it back → UBND completes, with the recorded reason why the
chain's BHXH step was not needed → the desk returns the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from onestop.domain.status import DossierAction as A

PROCEDURE = "3.000722"
APPLICANT = {"name": "Lò Thị Mai", "id_number": "017190004321", "phone": "0987654321",
             "address": "Xóm Bưng, xã Tân Lạc"}
# The story's dossier skips the chain's third step (BHXH): the child already has a health
# insurance card, so the finish records why (a liên thông dossier finishes early only so).
CHAIN_REASON = "Trẻ đã được cấp thẻ BHYT qua VNeID; không cần bước Bảo hiểm xã hội"
STEPS = ("received", "transferred", "assigned", "handed_off", "acknowledged", "handed_back",
         "back_acknowledged", "completed", "returned")


@dataclass
class Prepared:
    code: str
    secret: str


def wall_now() -> datetime:
    """The live server reads the real clock; prepared steps must not be in its future."""
    return datetime.now(UTC)


def prepare(live: Any, upto: str, *, received_at: datetime | None = None,
            procedure: str = PROCEDURE, name: str = APPLICANT["name"]) -> Prepared:
    """Receive a dossier at t_clerk's desk and apply the chain up to ``upto`` (one of STEPS)."""
    from onestop.services.dossiers.actions import apply_action
    from onestop.services.dossiers.inputs import (
        ActionInput,
        AssignInput,
        CompleteInput,
        HandBackInput,
        HandOffInput,
        ReturnInput,
    )
    from tests.factories import receive, user

    assert upto in STEPS, upto
    stop = STEPS.index(upto)
    at = received_at or wall_now()
    with live.db() as s:
        r = receive(s, now=at, procedure_code=procedure, name=name, id_number=APPLICANT["id_number"],
                    phone=APPLICANT["phone"], address=APPLICANT["address"],
                    documents=[{"name": "Giấy chứng sinh", "provided": True}])
        d = r.dossier
        later = received_at or wall_now()
        chain: list[tuple[str, A, str, ActionInput | None]] = [
            ("transferred", A.TRANSFER, "t_clerk", None),
            ("assigned", A.ASSIGN, "t_head", AssignInput(officer_id=user(s, "t_officer").id)),
            ("handed_off", A.HAND_OFF, "t_officer", HandOffInput(note="Đề nghị đăng ký thường trú cho trẻ")),
            ("acknowledged", A.ACKNOWLEDGE, "t_police", None),
            ("handed_back", A.HAND_BACK, "t_police", HandBackInput(note="Đã đăng ký thường trú")),
            ("back_acknowledged", A.ACKNOWLEDGE, "t_officer", None),
            ("completed", A.COMPLETE, "t_officer", CompleteInput(result="Giấy khai sinh, xác nhận thường trú",
                                                                 reason=CHAIN_REASON)),
            ("returned", A.RETURN_RESULT, "t_clerk",
             ReturnInput(method="direct", receiver=APPLICANT["name"])),
        ]
        for step, action, actor, data in chain:
            if STEPS.index(step) > stop:
                break
            apply_action(s, d, action, data, actor=user(s, actor), now=later)
        return Prepared(code=d.code, secret=r.secret)


def status_of(live: Any, code: str) -> dict[str, Any]:
    """The dossier's stored facts, read back from the database (what the page claims is checked here)."""
    from onestop.services.dossiers.actions import get_by_code

    with live.db() as s:
        d = get_by_code(s, code)
        return {"status": d.status, "current_agency": d.current_agency.identifier,
                "assignee": d.assignee.username if d.assignee else None,
                "legs": [(lg.to_agency.identifier, lg.acknowledged_at is not None, lg.finished_at is not None)
                         for lg in d.legs],
                "actions": [e.action for e in d.events] if hasattr(d, "events") else []}
