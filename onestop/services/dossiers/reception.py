"""Reception at the desk (and an online registration waiting for it): the three outcomes — receive,
request a supplement, refuse (Decree 118/2025; docs/domain.md §2.1) — the dossier's code and look-up
secret, and a reissued secret for a reprinted receipt."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ...domain.codes import generate_secret, hash_secret, phone_last4
from ...domain.status import Channel
from ...domain.status import DossierAction as A
from ...domain.workflow import next_status
from ...models import Agency, Dossier, DossierEvent, Procedure, User
from .. import policy
from ..admin.accounts import audit
from ..admin.calendars import calendar_for
from ..errors import N_, Forbidden, ValidationFailed
from .actions import append_event
from .applicant import Applicant, fold, normalize_text, strip_controls
from .clock import start_clock
from .codes import allocate_code

RULE_SET_2025 = "ND118/2025"
RULE_SET_2018 = "ND61/2018"


@dataclass
class ReceptionResult:
    dossier: Dossier
    secret: str  # shown once, printed on the receipt; only its hash is stored
    event: DossierEvent


@dataclass
class ReceptionInput:
    procedure_code: str
    applicant: Applicant
    channel: str = "direct"
    outcome: str = "receive"  # receive | request_supplement | refuse | submit_online
    documents: list[dict[str, Any]] = field(default_factory=list)  # [{"name", "provided"}]
    missing_items: list[str] = field(default_factory=list)
    reason: str = ""
    note: str = ""
    # The applicant's consent to be told of a supplement request, an apology and the result, and
    # the channel chosen (email/sms/zalo): without it no message is sent (docs/guide-clerk.md).
    notify_consent: bool = False
    notify_channel: str = ""
    # Identity verified through the national ID app (VNeID) at the desk; how the fee was paid (1 the
    # national payment platform, 2 the province's gateway, None not online) — 766 indicators 4.5 and
    # 3.6 (docs/integration.md, "Files and digitisation").
    vneid_verified: bool = False
    payment_channel: int | None = None


NOTIFY_CHANNELS = ("email", "sms", "zalo")


def receive_dossier(
    session: Session, data: ReceptionInput, *, agency: Agency, actor: User | None, now: datetime,
    lookup_key: bytes,
) -> ReceptionResult:
    """Create a dossier at the desk with one of the three reception outcomes
    (Decree 61/2018 art. 18; Decree 118/2025): receive, request supplement, refuse.
    An online registration (``submit_online``) waits for the desk's decision. ``lookup_key`` seals
    the receipt's look-up secret (``domain.codes.lookup_key`` of the app's settings)."""
    procedure = _procedure(session, data)
    errors = _errors(data, procedure)
    if errors:
        raise ValidationFailed(errors)
    applicant = data.applicant.cleaned()
    action = A(data.outcome)
    missing = [normalize_text(m) for m in data.missing_items if normalize_text(m)]
    assert procedure is not None
    if actor is not None:
        policy.check(actor, action, None, agency=agency)
    return _create_dossier(session, data, applicant, procedure, action, missing, agency=agency, actor=actor,
                           now=now, key=lookup_key)


def _procedure(session: Session, data: ReceptionInput) -> Procedure | None:
    return session.scalar(
        select(Procedure).where(Procedure.code == strip_controls(data.procedure_code).strip()[:20]))


def reception_errors(session: Session, data: ReceptionInput) -> dict[str, str]:
    """Every rule the reception breaks, each under its field's name (the form shows them all at
    once, next to their fields); empty when the dossier may be created."""
    return _errors(data, _procedure(session, data))


def _errors(data: ReceptionInput, procedure: Procedure | None) -> dict[str, str]:
    """reception_errors for an already looked-up procedure: a reception reads it once, not once
    to check and once to use (docs/benchmarks.md, "Reception throughput": round trips dominate)."""
    errors: dict[str, str] = {}
    applicant = data.applicant.cleaned()
    errors.update(applicant.errors())
    if procedure is None or not procedure.active:
        errors["procedure"] = N_("Không có thủ tục với mã '%(code)s'.", code=data.procedure_code)
    if data.channel not in {c.value for c in Channel}:
        errors["channel"] = N_("Kênh nộp phải là trực tiếp, trực tuyến hoặc bưu chính.")
    try:
        action = A(data.outcome)
    except ValueError:
        action = None
    if action not in (A.RECEIVE, A.REQUEST_SUPPLEMENT, A.REFUSE, A.SUBMIT_ONLINE):
        errors["outcome"] = N_("Chọn một kết quả: tiếp nhận, yêu cầu bổ sung hoặc từ chối.")
    missing = [normalize_text(m) for m in data.missing_items if normalize_text(m)]
    if action == A.REQUEST_SUPPLEMENT and not missing:
        errors["missing_items"] = N_("Liệt kê đầy đủ các giấy tờ còn thiếu (một lần).")
    if action in (A.REQUEST_SUPPLEMENT, A.REFUSE) and not normalize_text(data.reason):
        errors["reason"] = N_("Nhập lý do.")
    if len(data.reason) > 2000 or len(data.note) > 2000:
        errors["reason"] = N_("Lý do / ghi chú tối đa 2000 ký tự.")
    if data.notify_consent:
        if data.notify_channel not in NOTIFY_CHANNELS:
            errors["notify_channel"] = N_("Chọn kênh nhận thông báo: e-mail, SMS hoặc Zalo.")
        elif data.notify_channel == "email" and not (data.applicant.email or "").strip():
            errors["applicant_email"] = N_("Nhập e-mail để nhận thông báo qua e-mail.")
    if data.payment_channel not in (None, 1, 2):
        errors["payment_channel"] = N_("Hình thức thanh toán: Nền tảng thanh toán quốc gia, cổng của tỉnh "
                                       "hoặc không trực tuyến.")
    return errors


def _create_dossier(session: Session, data: ReceptionInput, applicant: Applicant, procedure: Procedure,
                    action: A, missing: list[str], *, agency: Agency, actor: User | None,
                    now: datetime, key: bytes) -> ReceptionResult:
    local_day = now.astimezone(calendar_for(session, agency).tz).date()
    secret = generate_secret()
    dossier = Dossier(
        code=allocate_code(session, agency, local_day),
        lookup_secret_hash=hash_secret(secret, key),
        phone_last4_hash=hash_secret(phone_last4(applicant.phone), key) if applicant.phone else None,
        procedure_id=procedure.id, procedure=procedure,
        receiving_agency_id=agency.id, receiving_agency=agency,
        current_agency_id=agency.id, current_agency=agency,
        applicant_name=applicant.name, applicant_search=fold(applicant.name),
        applicant_id_number=applicant.id_number, applicant_phone=applicant.phone,
        applicant_email=applicant.email, applicant_address=applicant.address,
        channel=data.channel, documents=data.documents, note=normalize_text(data.note),
        notify_consent=bool(data.notify_consent),
        notify_channel=data.notify_channel if data.notify_consent else "",
        vneid_verified=bool(data.vneid_verified), payment_channel=data.payment_channel,
        rule_set=RULE_SET_2025 if local_day.isoformat() >= "2025-07-01" else RULE_SET_2018,
        submitted_at=now, status=next_status(None, action).value, updated_at=now,
    )
    payload: dict[str, Any] = {"channel": data.channel}
    if action == A.RECEIVE:
        dossier.received_at = now
        due = start_clock(session, dossier, now)
        payload.update(due_at=due.due_at, clock_start_at=due.clock_start)
    elif action == A.REQUEST_SUPPLEMENT:
        payload.update(missing_items=missing, reason=normalize_text(data.reason))
    elif action == A.REFUSE:
        dossier.finished_at = now
        payload.update(reason=normalize_text(data.reason))
    session.add(dossier)
    session.flush()
    # A dossier inserted a moment ago has no pause and no hand-off leg yet: what a read of the two
    # would return now, without the two reads (the answer's timing and allowed actions use them).
    set_committed_value(dossier, "pauses", [])
    set_committed_value(dossier, "legs", [])
    ev = append_event(session, dossier, action=action, from_status=None, actor=actor, now=now,
                      note=normalize_text(data.reason), payload=payload, agency_id=agency.id, first=True)
    session.flush()
    return ReceptionResult(dossier=dossier, secret=secret, event=ev)


def reissue_secret(session: Session, dossier: Dossier, *, actor: User, now: datetime, lookup_key: bytes,
                   ip: str = "") -> str:
    """A new lookup secret for a reprinted receipt (only hashes are stored, so the old one
    cannot be printed again). Whoever holds the new secret reads the applicant's dossier,
    so only the receiving desk's staff and the holder's staff may (``policy.can_reissue_secret``);
    the reissue is recorded on the dossier (internal event) and in the audit log."""
    if not policy.can_reissue_secret(actor, dossier):
        raise Forbidden("Chỉ bộ phận tiếp nhận hoặc cơ quan đang giữ hồ sơ được cấp lại mã tra cứu.")
    secret = generate_secret()
    dossier.lookup_secret_hash = hash_secret(secret, lookup_key)
    dossier.updated_at = now
    session.flush()
    append_event(session, dossier, action=A.REISSUE_SECRET, from_status=dossier.status, actor=actor, now=now,
                 note="Cấp lại mã tra cứu; mã cũ hết hiệu lực.", public=False)
    audit(session, actor, "dossier.reissue_secret", f"dossier:{dossier.code}",
          {"agency": actor.agency.identifier}, now, ip)
    session.flush()
    return secret
