"""The dossier lifecycle. ``apply_action`` is the ONLY code that changes
``Dossier.status``; in the same flush it appends the event (docs/architecture.md §2)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.calendar import WorkingCalendar
from ...domain.codes import generate_secret, hash_secret, phone_last4
from ...domain.deadlines import DeadlineRule, DueDate, LimitUnit, Pause, compute_due
from ...domain.errors import DomainError
from ...domain.status import Channel
from ...domain.status import DossierAction as A
from ...domain.status import DossierStatus as S
from ...domain.timing import classify_finished
from ...domain.workflow import IllegalTransition, next_status
from ...integrations.dvcqg.outbox import enqueue_for_event
from ...models import Agency, Dossier, DossierEvent, HandoffLeg, PauseInterval, Procedure, ProcedureStep, User
from ...models.files import DossierFile
from .. import policy
from ..admin.accounts import audit
from ..admin.agencies import resolve_kind
from ..admin.calendars import calendar_for
from .codes import allocate_code
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..notify.events import notify_for_event

CONFLICT_MESSAGE = "Hồ sơ đã được người khác thay đổi trong lúc bạn thao tác — vui lòng tải lại."
RULE_SET_2025 = "ND118/2025"
RULE_SET_2018 = "ND61/2018"
# Stored normalised: 10 digits, mobile prefixes 03/05/07/08/09 (Decision 798/QĐ-BTTTT numbering).
PHONE_RE = re.compile(r"^0[35789]\d{8}$")
CITIZEN_ID_RE = re.compile(r"^\d{12}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


# ---------------------------------------------------------------- applicant

@dataclass
class Applicant:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    def cleaned(self) -> Applicant:
        return Applicant(
            name=normalize_text(self.name),
            id_number=normalize_id_number(self.id_number),
            phone=normalize_phone(self.phone),
            email=strip_controls(self.email).strip().lower(),
            address=normalize_text(self.address),
        )

    def errors(self) -> dict[str, str]:
        e: dict[str, str] = {}
        if not self.name:
            e["applicant_name"] = "Nhập họ và tên người nộp hồ sơ."
        elif len(self.name) > 120:
            e["applicant_name"] = "Họ và tên tối đa 120 ký tự."
        elif any(ch.isdigit() for ch in self.name) or re.search(r"[<>{}\[\]$%^*=|\\]", self.name):
            e["applicant_name"] = "Họ và tên chỉ gồm chữ cái và dấu cách."
        if self.id_number and not CITIZEN_ID_RE.match(self.id_number):
            e["applicant_id_number"] = "Số định danh cá nhân (CCCD) gồm đúng 12 chữ số."
        if self.phone and not PHONE_RE.match(self.phone):
            e["applicant_phone"] = "Số điện thoại Việt Nam 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09."
        if self.email and (len(self.email) > 254 or not EMAIL_RE.match(self.email)):
            e["applicant_email"] = "Địa chỉ e-mail không hợp lệ."
        if len(self.address) > 255:
            e["applicant_address"] = "Địa chỉ tối đa 255 ký tự."
        return e


def normalize_phone(value: str | None) -> str:
    """The stored (and searched) form of a Vietnamese phone number: separators dropped and the
    country code written the domestic way ("+84 912 345 678" → "0912345678"). Anything that is not
    a phone number is returned without separators, for ``Applicant.errors`` to refuse."""
    raw = re.sub(r"[\s.\-()]", "", strip_controls(value))
    if raw.startswith("+84"):
        return "0" + raw[3:]
    if raw.startswith("0084"):
        return "0" + raw[4:]
    if raw.startswith("84") and len(raw) == 11 and raw[2:].isdigit():
        return "0" + raw[2:]
    return raw


def normalize_id_number(value: str | None) -> str:
    """Citizen ID (số định danh cá nhân) as stored and searched: spaces and dots dropped."""
    return re.sub(r"[\s.]", "", strip_controls(value))


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: str | None) -> str:
    """Drop control characters (NUL and friends): no field needs them and PostgreSQL
    text refuses NUL. The web and API layers refuse them with a message first."""
    return _CONTROL_CHARS.sub("", value or "")


def normalize_text(value: str | None) -> str:
    """NFC, single spaces: Vietnamese typed in NFD (macOS, some IMEs) is stored as NFC."""
    return " ".join(unicodedata.normalize("NFC", strip_controls(value)).split())


def fold(value: str) -> str:
    """Accent-folded lower case for search ("Nguyễn" ~ "nguyen"), NFC/NFD alike."""
    nfd = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in nfd if unicodedata.category(c) != "Mn").lower().split())


# ---------------------------------------------------------------- deadlines

def calendar_of(session: Session, dossier: Dossier) -> WorkingCalendar:
    return calendar_for(session, dossier.receiving_agency)


def closed_pauses(dossier: Dossier, since: datetime | None) -> list[Pause]:
    return [
        Pause(start=p.started_at, end=p.ended_at, reason=p.reason)
        for p in dossier.pauses
        if p.ended_at is not None and (since is None or p.started_at >= since)
    ]


def snapshot_rule(dossier: Dossier) -> DeadlineRule:
    """The deadline rule with the limit recorded at reception (``limit_value``/``limit_unit``), never
    the catalogue's current value (docs/rules.md, "Timing" T9)."""
    if dossier.limit_value is None or dossier.limit_unit is None:
        raise DomainError("Hồ sơ chưa được tiếp nhận nên chưa có hạn giải quyết.")
    rule = dossier.procedure.deadline_rule(dossier.channel)
    return DeadlineRule(limit=Decimal(dossier.limit_value), unit=LimitUnit(dossier.limit_unit),
                        cutoff=rule.cutoff, online_outside_hours_next_day=rule.online_outside_hours_next_day,
                        legal_basis=rule.legal_basis)


def compute_dossier_due(session: Session, dossier: Dossier, *, explain: bool = False) -> DueDate:
    """The statutory due time from the stored snapshot (limit at receipt), the
    clock base (receipt or restart) and the closed pauses since then."""
    if dossier.clock_base_at is None or dossier.limit_value is None or dossier.limit_unit is None:
        raise DomainError("Hồ sơ chưa được tiếp nhận nên chưa có hạn giải quyết.")
    return compute_due(dossier.clock_base_at, snapshot_rule(dossier), calendar_of(session, dossier),
                       pauses=closed_pauses(dossier, dossier.clock_base_at), channel=dossier.channel,
                       explain=explain)


def _start_clock(session: Session, dossier: Dossier, base: datetime, *, restart: bool = False) -> DueDate:
    """Start the statutory clock at ``base``: at reception with the catalogue's rule, whose limit is
    then snapshotted; on a restart (regime "restart") with that snapshot, which is never overwritten
    (docs/rules.md, "Timing" T9)."""
    rule = snapshot_rule(dossier) if restart else dossier.procedure.deadline_rule(dossier.channel)
    due = compute_due(base, rule, calendar_of(session, dossier), channel=dossier.channel, explain=False)
    if not restart:
        dossier.limit_value = rule.limit
        dossier.limit_unit = rule.unit.value
    dossier.clock_base_at = base
    dossier.clock_start_at = due.clock_start
    dossier.due_at = due.due_at
    return due


# ---------------------------------------------------------------- events

def _append_event(
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


# ---------------------------------------------------------------- reception

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
) -> ReceptionResult:
    """Create a dossier at the desk with one of the three reception outcomes
    (Decree 61/2018 art. 18; Decree 118/2025): receive, request supplement, refuse.
    An online registration (``submit_online``) waits for the desk's decision."""
    errors = reception_errors(session, data)
    if errors:
        raise ValidationFailed(errors)
    applicant = data.applicant.cleaned()
    procedure = session.scalar(
        select(Procedure).where(Procedure.code == strip_controls(data.procedure_code).strip()[:20]))
    action = A(data.outcome)
    missing = [normalize_text(m) for m in data.missing_items if normalize_text(m)]
    assert procedure is not None
    if actor is not None:
        policy.check(actor, action, None, agency=agency)
    return _create_dossier(session, data, applicant, procedure, action, missing, agency=agency, actor=actor,
                           now=now)


def reception_errors(session: Session, data: ReceptionInput) -> dict[str, str]:
    """Every rule the reception breaks, each under its field's name (the form shows them all at
    once, next to their fields); empty when the dossier may be created."""
    errors: dict[str, str] = {}
    applicant = data.applicant.cleaned()
    errors.update(applicant.errors())
    procedure = session.scalar(
        select(Procedure).where(Procedure.code == strip_controls(data.procedure_code).strip()[:20]))
    if procedure is None or not procedure.active:
        errors["procedure"] = f"Không có thủ tục với mã '{data.procedure_code}'."
    if data.channel not in {c.value for c in Channel}:
        errors["channel"] = "Kênh nộp phải là trực tiếp, trực tuyến hoặc bưu chính."
    try:
        action = A(data.outcome)
    except ValueError:
        action = None
    if action not in (A.RECEIVE, A.REQUEST_SUPPLEMENT, A.REFUSE, A.SUBMIT_ONLINE):
        errors["outcome"] = "Chọn một kết quả: tiếp nhận, yêu cầu bổ sung hoặc từ chối."
    missing = [normalize_text(m) for m in data.missing_items if normalize_text(m)]
    if action == A.REQUEST_SUPPLEMENT and not missing:
        errors["missing_items"] = "Liệt kê đầy đủ các giấy tờ còn thiếu (một lần)."
    if action in (A.REQUEST_SUPPLEMENT, A.REFUSE) and not normalize_text(data.reason):
        errors["reason"] = "Nhập lý do."
    if len(data.reason) > 2000 or len(data.note) > 2000:
        errors["reason"] = "Lý do / ghi chú tối đa 2000 ký tự."
    if data.notify_consent:
        if data.notify_channel not in NOTIFY_CHANNELS:
            errors["notify_channel"] = "Chọn kênh nhận thông báo: e-mail, SMS hoặc Zalo."
        elif data.notify_channel == "email" and not (data.applicant.email or "").strip():
            errors["applicant_email"] = "Nhập e-mail để nhận thông báo qua e-mail."
    if data.payment_channel not in (None, 1, 2):
        errors["payment_channel"] = "Hình thức thanh toán: Nền tảng thanh toán quốc gia, cổng của tỉnh hoặc không trực tuyến."
    return errors


def _create_dossier(session: Session, data: ReceptionInput, applicant: Applicant, procedure: Procedure,
                    action: A, missing: list[str], *, agency: Agency, actor: User | None,
                    now: datetime) -> ReceptionResult:
    local_day = now.astimezone(calendar_for(session, agency).tz).date()
    secret = generate_secret()
    key = secret_key()
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
        due = _start_clock(session, dossier, now)
        payload.update(due_at=due.due_at, clock_start_at=due.clock_start)
    elif action == A.REQUEST_SUPPLEMENT:
        payload.update(missing_items=missing, reason=normalize_text(data.reason))
    elif action == A.REFUSE:
        dossier.finished_at = now
        payload.update(reason=normalize_text(data.reason))
    session.add(dossier)
    session.flush()
    ev = _append_event(session, dossier, action=action, from_status=None, actor=actor, now=now,
                       note=normalize_text(data.reason), payload=payload, agency_id=agency.id, first=True)
    session.flush()
    return ReceptionResult(dossier=dossier, secret=secret, event=ev)


def secret_key() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


def reissue_secret(session: Session, dossier: Dossier, *, actor: User, now: datetime, ip: str = "") -> str:
    """A new lookup secret for a reprinted receipt (only hashes are stored, so the old one
    cannot be printed again). Whoever holds the new secret reads the applicant's dossier,
    so only the receiving desk's staff and the holder's staff may (``policy.can_reissue_secret``);
    the reissue is recorded on the dossier (internal event) and in the audit log."""
    if not policy.can_reissue_secret(actor, dossier):
        raise Forbidden("Chỉ bộ phận tiếp nhận hoặc cơ quan đang giữ hồ sơ được cấp lại mã tra cứu.")
    secret = generate_secret()
    dossier.lookup_secret_hash = hash_secret(secret, secret_key())
    dossier.updated_at = now
    session.flush()
    _append_event(session, dossier, action=A.REISSUE_SECRET, from_status=dossier.status, actor=actor, now=now,
                  note="Cấp lại mã tra cứu; mã cũ hết hiệu lực.", public=False)
    audit(session, actor, "dossier.reissue_secret", f"dossier:{dossier.code}", {"agency": actor.agency.identifier},
          now, ip)
    session.flush()
    return secret


# ---------------------------------------------------------------- actions

def apply_action(
    session: Session, dossier: Dossier, action: A | str, *, actor: User | None, now: datetime,
    expected_version: int | None = None, **data: Any,
) -> DossierEvent:
    """Take ``action`` on ``dossier``: check permission, the transition table and
    the action's own rules, change the dossier, append the event, flush.
    Raises Forbidden, IllegalTransition, ValidationFailed, Conflict; on any error
    the caller rolls back and the dossier is as it was."""
    action = A(action)
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
    handler = _HANDLERS.get(action)
    payload: dict[str, Any] = {}
    note = normalize_text(str(data.get("note") or data.get("reason") or ""))
    if len(note) > 4000:
        raise ValidationFailed({"note": "Ghi chú tối đa 4000 ký tự."})
    if handler is not None:
        payload = handler(session, dossier, actor=actor, now=now, **data) or {}
    dossier.status = target.value
    if target.is_finished and dossier.finished_at is None:
        dossier.finished_at = now
    dossier.updated_at = now
    try:
        session.flush()
    except Exception as exc:  # StaleDataError from the version column
        if exc.__class__.__name__ == "StaleDataError":
            raise Conflict(CONFLICT_MESSAGE) from exc
        raise
    ev = _append_event(session, dossier, action=action, from_status=before.value, actor=actor, now=now,
                       note=note, payload=payload, public=action not in _INTERNAL_ACTIONS)
    session.flush()
    return ev


_INTERNAL_ACTIONS = frozenset({A.ASSIGN, A.REPLAN})


def _require(data: dict[str, Any], name: str, message: str) -> str:
    value = normalize_text(str(data.get(name) or ""))
    if not value:
        raise ValidationFailed({name: message})
    return value


def _receive(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    d.received_at = now
    due = _start_clock(session, d, now)
    return {"due_at": due.due_at, "clock_start_at": due.clock_start}


def _request_supplement(session: Session, d: Dossier, *, actor: User | None, now: datetime,
                        **data: Any) -> dict[str, Any]:
    items = [normalize_text(i) for i in (data.get("missing_items") or []) if normalize_text(i)]
    reason = _require(data, "reason", "Nhập lý do yêu cầu bổ sung.")
    if not items:
        raise ValidationFailed({"missing_items": "Liệt kê đầy đủ các giấy tờ cần bổ sung (một lần)."})
    if d.status in (S.NEW_ONLINE.value,):
        return {"missing_items": items, "reason": reason}
    respond_by = data.get("respond_by")
    session.add(PauseInterval(dossier_id=d.id, kind="supplement", reason=reason, items=items,
                              started_at=now, respond_by=respond_by))
    _reload_pauses(session, d)
    d.supplement_count += 1
    # Decision 766 indicator 2.1: more than one supplement request counts as late.
    return {"missing_items": items, "reason": reason, "request_number": d.supplement_count,
            "counts_as_late": d.supplement_count > 1, "regime": d.procedure.supplement_regime}


def _reload_pauses(session: Session, d: Dossier) -> None:
    """``Dossier.pauses`` is view-only: reload it after adding a pause so a later
    action in the same unit of work sees it."""
    session.flush()
    session.refresh(d, ["pauses"])


def _end_pause(session: Session, d: Dossier, kind: str, now: datetime) -> dict[str, Any]:
    pause = next((p for p in d.pauses if p.kind == kind and p.ended_at is None), None)
    if pause is None:
        raise DomainError("Không có khoảng tạm dừng đang mở.")
    return _close_pauses(session, d, [pause], now,
                         restart=kind == "supplement" and d.procedure.supplement_regime == "restart")


def _close_pauses(session: Session, d: Dossier, pauses: list[PauseInterval], now: datetime, *,
                  restart: bool = False) -> dict[str, Any]:
    """End ``pauses`` at ``now`` and move the statutory due time by the paused working time (or,
    ``restart``, count the limit afresh from ``now``); the returned payload records the change
    with ``old_due_at`` and ``due_at`` (docs/architecture.md: a recomputation is itself an event).
    Used by the normal ends (supplement provided, payment confirmed) and by a stop or withdrawal
    that ends an open pause (docs/rules.md, "Timing" T7–T8)."""
    for pause in pauses:
        pause.ended_at = now
    session.flush()
    session.refresh(d, ["pauses"])
    old_due = d.due_at
    cal = calendar_of(session, d)
    # All of them are open until ``now``: their union runs from the earliest start.
    paused_minutes = cal.working_minutes_between(min(p.started_at for p in pauses), now) if pauses else 0
    promise = d.promised_due_at
    # No flush between the new due time and the moved promise: the row must never be seen with a
    # promise before its due time (CHECK promise_after_due).
    with session.no_autoflush:
        if restart:
            # Regime "restart": the time limit (the snapshot) counts afresh from the complete supplement.
            due = _start_clock(session, d, now, restart=True)
        else:
            due = compute_dossier_due(session, d)
            d.due_at = due.due_at
        moved_promise = None
        if promise is not None and old_due is not None and d.due_at is not None and d.due_at > old_due:
            # The citizen's waiting time does not count against the agency (Decree 118/2025; Decision
            # 766): the apology's promised date (form 04) moves by the same working time as the due
            # time, so it stays after it; the statutory due time still decides on-time
            # (docs/rules.md, "Timing" T14).
            moved_promise = cal.add_working_minutes(promise, cal.working_minutes_between(old_due, d.due_at))
            if moved_promise <= d.due_at:  # both fell in one non-working gap: keep the wall-clock lead
                moved_promise = d.due_at + (promise - old_due)
            d.promised_due_at = moved_promise
    # The open liên thông leg loses the paused time too.
    for leg in d.legs:
        if leg.finished_at is None and leg.due_at is not None and paused_minutes > 0:
            leg.due_at = cal.add_working_minutes(leg.due_at, paused_minutes)
    change: dict[str, Any] = {"old_due_at": old_due, "due_at": d.due_at, "paused_working_minutes": paused_minutes,
                              "regime": "restart" if restart else "pause"}
    if moved_promise is not None:
        change.update(old_promised_due_at=promise, promised_due_at=moved_promise)
    return change


def _provide_supplement(session: Session, d: Dossier, *, actor: User | None, now: datetime,
                        **data: Any) -> dict[str, Any]:
    return _end_pause(session, d, "supplement", now)


def _request_payment(session: Session, d: Dossier, *, actor: User | None, now: datetime,
                     **data: Any) -> dict[str, Any]:
    reason = _require(data, "reason", "Nhập khoản nghĩa vụ tài chính phải thực hiện.")
    session.add(PauseInterval(dossier_id=d.id, kind="payment", reason=reason, started_at=now))
    _reload_pauses(session, d)
    return {"reason": reason}


def _confirm_payment(session: Session, d: Dossier, *, actor: User | None, now: datetime,
                     **data: Any) -> dict[str, Any]:
    return _end_pause(session, d, "payment", now)


def _refuse(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    return {"reason": _require(data, "reason", "Nhập lý do từ chối tiếp nhận.")}


def _transfer(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    """Desk → the competent department, with the process control slip (row 1)."""
    to = data.get("to_agency")
    if to is None:
        steps = d.procedure.steps
        kind = steps[0].agency_kind if steps else d.procedure.lead_kind
        to = resolve_kind(session, kind, d.receiving_agency)
    leg = _open_leg(session, d, to_agency=to, actor=actor, now=now, step_seq=1 if d.procedure.steps else None)
    # The department takes the dossier with the slip: its leg clock starts now.
    _acknowledge_leg(session, d, leg, actor=actor, now=now)
    d.current_agency_id = to.id
    d.current_agency = to
    d.assignee_id = None
    return {"to_agency": to.identifier, "to_agency_name": to.name, "leg": leg.seq, "leg_due_at": leg.due_at}


def _assign(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    officer = data.get("officer")
    if isinstance(officer, int):
        officer = session.get(User, officer)
    if officer is None or not officer.active or officer.role not in ("officer", "head"):
        raise ValidationFailed({"officer": "Chọn một chuyên viên đang hoạt động."})
    if not officer.agency.path.startswith(d.current_agency.path) and officer.agency_id != d.current_agency_id:
        raise ValidationFailed({"officer": "Chuyên viên phải thuộc cơ quan đang giữ hồ sơ."})
    d.assignee_id = officer.id
    return {"officer": officer.username, "officer_name": officer.full_name}


def _leg_share_minutes(session: Session, d: Dossier, step_seq: int | None) -> int | None:
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


def _open_leg(session: Session, d: Dossier, *, to_agency: Agency, actor: User | None, now: datetime,
              step_seq: int | None) -> HandoffLeg:
    seq = len(d.legs) + 1
    leg = HandoffLeg(dossier_id=d.id, seq=seq, step_seq=step_seq, from_agency_id=d.current_agency_id,
                     to_agency_id=to_agency.id, sent_by_id=actor.id if actor else None, sent_at=now,
                     share_minutes=_leg_share_minutes(session, d, step_seq))
    session.add(leg)
    session.flush()
    session.refresh(d, ["legs"])
    return leg


def _acknowledge_leg(session: Session, d: Dossier, leg: HandoffLeg, *, actor: User | None, now: datetime) -> None:
    leg.acknowledged_at = now
    leg.acknowledged_by_id = actor.id if actor else None
    if leg.share_minutes is not None:
        leg.due_at = calendar_of(session, d).add_working_minutes(now, leg.share_minutes)
    else:
        leg.due_at = d.due_at


def _finish_open_leg(session: Session, d: Dossier, *, actor: User | None, now: datetime) -> HandoffLeg | None:
    leg = next((lg for lg in reversed(d.legs) if lg.finished_at is None and lg.acknowledged_at is not None), None)
    if leg is None:
        return None
    leg.finished_at = now
    leg.finished_by_id = actor.id if actor else None
    if leg.due_at is not None:
        leg.result = classify_finished(now, leg.due_at, tz=calendar_of(session, d).tz).value
    return leg


def _hand_off(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    """Liên thông: hand to the next agency of the chain (or a named one)."""
    if any(lg.acknowledged_at is None for lg in d.legs):
        raise DomainError("Hồ sơ đang chờ cơ quan nhận xác nhận; chưa thể chuyển tiếp.")
    steps = d.procedure.steps
    current_step = max((lg.step_seq or 0 for lg in d.legs), default=0)
    next_step = next((s for s in steps if s.seq > current_step), None)
    to = data.get("to_agency")
    if to is None:
        if next_step is None:
            raise DomainError("Thủ tục không còn bước liên thông tiếp theo.")
        to = resolve_kind(session, next_step.agency_kind, d.receiving_agency)
    if to.id == d.current_agency_id:
        raise ValidationFailed({"to_agency": "Không thể chuyển liên thông cho chính cơ quan đang giữ hồ sơ."})
    finished = _finish_open_leg(session, d, actor=actor, now=now)
    leg = _open_leg(session, d, to_agency=to, actor=actor, now=now,
                    step_seq=next_step.seq if next_step is not None else None)
    d.current_agency_id = to.id
    d.current_agency = to
    d.assignee_id = None
    return {"to_agency": to.identifier, "to_agency_name": to.name, "leg": leg.seq,
            "finished_leg": finished.seq if finished else None,
            "finished_leg_result": finished.result if finished else None}


def _acknowledge(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    leg = next((lg for lg in d.legs if lg.acknowledged_at is None), None)
    if leg is None:
        raise DomainError("Không có lượt chuyển liên thông nào đang chờ xác nhận.")
    _acknowledge_leg(session, d, leg, actor=actor, now=now)
    return {"leg": leg.seq, "leg_due_at": leg.due_at}


def _hand_back(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    """Return the dossier to the agency that sent it (or a named one)."""
    if any(lg.acknowledged_at is None for lg in d.legs):
        raise DomainError("Hồ sơ đang chờ cơ quan nhận xác nhận.")
    current = next((lg for lg in reversed(d.legs) if lg.to_agency_id == d.current_agency_id), None)
    to = data.get("to_agency") or (current.from_agency if current else None)
    if to is None or to.id == d.current_agency_id:
        raise DomainError("Không xác định được cơ quan nhận lại hồ sơ.")
    finished = _finish_open_leg(session, d, actor=actor, now=now)
    # Going back is not a step of the chain: the leg takes no step (nor its share of the
    # time), so the steps still to come stay to come (see ``unfinished_chain_steps``).
    leg = _open_leg(session, d, to_agency=to, actor=actor, now=now, step_seq=None)
    d.current_agency_id = to.id
    d.current_agency = to
    d.assignee_id = None
    return {"to_agency": to.identifier, "to_agency_name": to.name, "leg": leg.seq,
            "finished_leg": finished.seq if finished else None,
            "finished_leg_result": finished.result if finished else None}


def _apologise(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    """Form 04: apology and new date, at most once; the statutory date still decides
    on-time (Decree 61/2018 art. 19(4) as amended; Decree 118/2025)."""
    if d.promised_due_at is not None:
        raise DomainError("Đã xin lỗi và hẹn lại một lần; không được hẹn lại lần thứ hai.")
    reason = _require(data, "reason", "Nhập lý do chậm trễ.")
    new_due = data.get("new_due_at")
    if not isinstance(new_due, datetime) or new_due.tzinfo is None:
        raise ValidationFailed({"new_due_at": "Nhập ngày hẹn trả mới (dd/mm/yyyy)."})
    if d.due_at is None or new_due <= d.due_at:
        raise ValidationFailed({"new_due_at": "Ngày hẹn mới phải sau hạn giải quyết hiện tại."})
    if new_due <= now:
        raise ValidationFailed({"new_due_at": "Ngày hẹn mới phải ở tương lai."})
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


def _end_open_pauses(session: Session, d: Dossier, now: datetime) -> dict[str, Any]:
    """A stop or a withdrawal during a pause: the paused working time up to ``now`` is excluded
    exactly as if the pause had closed normally, and the finish is judged against the extended due
    time (docs/rules.md, "Timing" T8). Empty when no pause is open."""
    open_pauses = [p for p in d.pauses if p.ended_at is None]
    if not open_pauses or d.due_at is None:
        for p in open_pauses:
            p.ended_at = now
        return {}
    return _close_pauses(session, d, open_pauses, now)


def _stop(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    reason = _require(data, "reason", "Nhập lý do dừng xử lý (thông báo mẫu 05).")
    change = _end_open_pauses(session, d, now)
    _finish_open_leg(session, d, actor=actor, now=now)
    return {"reason": reason, **change}


def attached_kinds(session: Session, d: Dossier) -> dict[str, int]:
    """How many files of each kind (component scans, result documents) the dossier has."""
    rows = session.execute(select(DossierFile.kind, func.count()).where(DossierFile.dossier_id == d.id)
                           .group_by(DossierFile.kind)).all()
    return {str(kind): int(n) for kind, n in rows}


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


def _complete(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    """Result ready (Đã xử lý xong): irreversible, so it needs the result itself, a result
    document when the dossier's components are attached files, and — for liên thông — every
    planned leg of the chain, or an explicit reason that is recorded with the event."""
    if any(lg.acknowledged_at is None for lg in d.legs):
        raise DomainError("Hồ sơ đang chờ cơ quan nhận liên thông xác nhận.")
    errors: dict[str, str] = {}
    result = normalize_text(str(data.get("result") or ""))
    if not result:
        errors["result"] = "Nhập kết quả giải quyết (văn bản, giấy tờ trả cho công dân)."
    elif len(result) > 4000:
        errors["result"] = "Kết quả giải quyết tối đa 4000 ký tự."
    payload: dict[str, Any] = {"result": result}
    files = attached_kinds(session, d)
    if files.get("component") and not files.get("result"):
        # A digitised dossier gets its result digitised too (docs/integration.md, "Files and
        # digitisation"): the result file is attached before the finish.
        errors["result_document"] = ("Hồ sơ có thành phần đính kèm: đính kèm tệp kết quả giải quyết "
                                     "trước khi xử lý xong.")
    if files.get("result"):
        payload["result_files"] = files["result"]
    missing = unfinished_chain_steps(d)
    if missing:
        reason = normalize_text(str(data.get("reason") or ""))
        names = chain_step_names(session, d, missing)
        if not reason:
            errors["reason"] = (f"Hồ sơ liên thông chưa qua đủ các bước của quy trình (còn: {', '.join(names)}). "
                                "Chuyển liên thông tiếp, hoặc nhập lý do kết thúc trước khi đủ các bước.")
        payload.update(chain_incomplete_reason=reason, skipped_steps=[
            {"seq": step.seq, "agency_kind": step.agency_kind, "name": name}
            for step, name in zip(missing, names, strict=True)])
    if errors:
        raise ValidationFailed(errors)
    d.result_note = result
    leg = _finish_open_leg(session, d, actor=actor, now=now)
    assert d.due_at is not None
    timing = classify_finished(now, d.due_at, supplement_requests=d.supplement_count,
                               tz=calendar_of(session, d).tz)
    # The result goes back to the desk that received the dossier.
    d.current_agency_id = d.receiving_agency_id
    d.current_agency = d.receiving_agency
    payload.update(timing=timing.value, finished_leg=leg.seq if leg else None)
    return payload


def _return_result(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    method = str(data.get("method") or "direct")
    if method not in ("direct", "postal", "online"):
        raise ValidationFailed({"method": "Hình thức trả: trực tiếp, bưu chính hoặc trực tuyến."})
    d.returned_at = now
    return {"method": method, "receiver": normalize_text(str(data.get("receiver") or ""))}


def _withdraw(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    reason = _require(data, "reason", "Nhập lý do rút hồ sơ (theo đề nghị của công dân).")
    change = _end_open_pauses(session, d, now)
    _finish_open_leg(session, d, actor=actor, now=now)
    return {"reason": reason, **change}


def _replan(session: Session, d: Dossier, *, actor: User | None, now: datetime, **data: Any) -> dict[str, Any]:
    """A calendar edit moves the statutory due time: recorded with old and new."""
    old = d.due_at
    due = compute_dossier_due(session, d)
    d.due_at = due.due_at
    return {"old_due_at": old, "due_at": d.due_at, "reason": str(data.get("reason") or "")}


_HANDLERS: dict[A, Any] = {
    A.RECEIVE: _receive,
    A.REQUEST_SUPPLEMENT: _request_supplement,
    A.PROVIDE_SUPPLEMENT: _provide_supplement,
    A.REQUEST_PAYMENT: _request_payment,
    A.CONFIRM_PAYMENT: _confirm_payment,
    A.REFUSE: _refuse,
    A.TRANSFER: _transfer,
    A.ASSIGN: _assign,
    A.HAND_OFF: _hand_off,
    A.ACKNOWLEDGE: _acknowledge,
    A.HAND_BACK: _hand_back,
    A.APOLOGISE: _apologise,
    A.STOP: _stop,
    A.COMPLETE: _complete,
    A.RETURN_RESULT: _return_result,
    A.WITHDRAW: _withdraw,
    A.REPLAN: _replan,
}


def get_by_code(session: Session, code: str) -> Dossier:
    d: Dossier | None = session.scalar(select(Dossier).where(Dossier.code == code.strip().upper()))
    if d is None:
        raise NotFound(f"Không tìm thấy hồ sơ {code}.")
    return d


__all__ = [
    "Applicant",
    "IllegalTransition",
    "ReceptionInput",
    "ReceptionResult",
    "apply_action",
    "compute_dossier_due",
    "fold",
    "get_by_code",
    "normalize_text",
    "receive_dossier",
    "reissue_secret",
]
