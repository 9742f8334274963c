"""Notifications produced where a dossier action is applied (one call from the event log writer).

Staff (in-app, ``notifications`` table; docs/guide-officer.md):
  assign                → the assigned officer;
  transfer / hand_off   → the heads of the agency that now holds the dossier (liên thông), or its
                          officers when it has no active head;
  hand_back             → the officer who had handed it off, and the heads of that agency;
  acknowledge           → the officer who sent the acknowledged leg;
  complete              → the clerks of the receiving desk (the result is ready to return).
The actor is never told about their own action.

Citizens (outbox, delivered by the ``notify`` job; docs/integration.md "Messaging"): supplement
requested, apology and new date, result ready — only when the applicant consented at reception,
on the one channel they chose (e-mail, SMS or Zalo).

Every row has a dedupe key built from the event id, so replaying an event notifies no one twice.
A staff notification stores its kind and values, said in the reader's language when read; a
citizen's message is written in Vietnamese when queued: a citizen's language is not recorded.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.status import DossierAction as A
from ...models import Dossier, DossierEvent, HandoffLeg, User
from .notifications import notify, queue_message

CITIZEN_ACTIONS = frozenset({A.REQUEST_SUPPLEMENT, A.APOLOGISE, A.COMPLETE})
# The Zalo ZNS template registered for each event (docs/integration.md: its parameters).
ZNS_TEMPLATES = {A.REQUEST_SUPPLEMENT: "supplement", A.APOLOGISE: "apology", A.COMPLETE: "result_ready"}


def _staff_of(session: Session, agency_id: int, roles: tuple[str, ...]) -> list[int]:
    return list(session.scalars(select(User.id).where(User.agency_id == agency_id, User.active.is_(True),
                                                      User.role.in_(roles)).order_by(User.id)))


def _receivers_of(session: Session, agency_id: int) -> list[int]:
    """Who is told that a dossier reached an agency: its heads (they assign); an agency without
    an active head (a commune police post) has its officers told instead, so someone always is."""
    return _staff_of(session, agency_id, ("head",)) or _staff_of(session, agency_id, ("officer",))


def _last_leg(session: Session, dossier_id: int, *, acknowledged: bool | None = None) -> HandoffLeg | None:
    q = select(HandoffLeg).where(HandoffLeg.dossier_id == dossier_id)
    if acknowledged:
        q = q.where(HandoffLeg.acknowledged_at.is_not(None))
    return session.scalars(q.order_by(HandoffLeg.seq.desc()).limit(1)).first()


def staff_recipients(session: Session, d: Dossier, ev: DossierEvent) -> tuple[str, list[int], dict[str, str]]:
    """(kind, user ids, the values its sentence says) for a staff event; no users when the action
    tells no one. The sentence is said in the reader's language when the inbox is read
    (onestop/web/sentences.py, notification_lines)."""
    action = A(ev.action)
    proc = d.procedure.name if d.procedure is not None else ""
    if action == A.ASSIGN and d.assignee_id:
        return "assigned", [d.assignee_id], {"code": d.code, "procedure": proc, "applicant": d.applicant_name}
    if action in (A.TRANSFER, A.HAND_OFF):
        return ("handed_to_agency", _receivers_of(session, d.current_agency_id),
                {"code": d.code, "procedure": proc})
    if action == A.HAND_BACK:
        users = _receivers_of(session, d.current_agency_id)
        prev = session.scalars(select(HandoffLeg).where(HandoffLeg.dossier_id == d.id,
                                                        HandoffLeg.from_agency_id == d.current_agency_id)
                               .order_by(HandoffLeg.seq.desc()).limit(1)).first()
        if prev is not None and prev.sent_by_id:
            users.append(prev.sent_by_id)
        return "handed_back", users, {"code": d.code, "note": ev.note or ""}
    if action == A.ACKNOWLEDGE:
        leg = _last_leg(session, d.id, acknowledged=True)
        users = [leg.sent_by_id] if leg is not None and leg.sent_by_id else []
        return "acknowledged", users, {"code": d.code}
    if action == A.COMPLETE:
        return ("result_ready", _staff_of(session, d.receiving_agency_id, ("clerk",)),
                {"code": d.code, "applicant": d.applicant_name})
    return "", [], {}


def citizen_message(d: Dossier, ev: DossierEvent) -> tuple[str, str, dict[str, str]]:
    """(subject, body, template data) of the citizen's message for ``ev``."""
    action = A(ev.action)
    data = {"ma_ho_so": d.code, "ten": d.applicant_name}
    if action == A.REQUEST_SUPPLEMENT:
        items = ", ".join((ev.payload or {}).get("missing_items") or [])
        data["giay_to"] = items
        return (f"Hồ sơ {d.code}: yêu cầu bổ sung",
                f"Hồ sơ {d.code} cần bổ sung: {items}. Lý do: {ev.note}", data)
    if action == A.APOLOGISE:
        new_date = d.promised_due_at.strftime("%d/%m/%Y") if d.promised_due_at is not None else ""
        data["ngay_hen_moi"] = new_date
        return (f"Hồ sơ {d.code}: thư xin lỗi và hẹn lại",
                f"Cơ quan xin lỗi vì hồ sơ {d.code} chậm; ngày hẹn trả mới: {new_date}.", data)
    return (f"Hồ sơ {d.code}: đã có kết quả",
            f"Hồ sơ {d.code} đã có kết quả. Mời ông/bà đến Bộ phận Một cửa nhận kết quả.", data)


def notify_for_event(session: Session, d: Dossier, ev: DossierEvent) -> None:
    """Queue the staff notifications and the citizen's message for one new event (same transaction)."""
    if d.id is None or ev.at is None:
        return
    session.flush()  # the event's id keys the notifications
    now: datetime = ev.at
    kind, users, params = staff_recipients(session, d, ev)
    for uid in dict.fromkeys(users):
        if uid != ev.actor_id:
            notify(session, user_id=uid, kind=kind, params=params, dedupe_key=f"event:{ev.id}:{uid}",
                   now=now, dossier_id=d.id)
    action = A(ev.action)
    if action in CITIZEN_ACTIONS and getattr(d, "notify_consent", False):
        channel = d.notify_channel
        recipient = d.applicant_email if channel == "email" else d.applicant_phone
        if channel in ("email", "sms", "zalo") and recipient:
            subject, body, data = citizen_message(d, ev)
            extra: dict[str, Any] = {}
            if channel == "zalo":
                extra = {"template_id": ZNS_TEMPLATES[action], "template_data": data}
            queue_message(session, channel=channel, recipient=recipient, subject=subject, body=body,
                          dedupe_key=f"citizen:{channel}:event:{ev.id}", now=now, dossier_id=d.id, **extra)


__all__ = ["CITIZEN_ACTIONS", "ZNS_TEMPLATES", "citizen_message", "notify_for_event", "staff_recipients"]
