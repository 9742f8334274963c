"""Citizen look-up: find a dossier by code + secret (or phone last 4) without letting codes be
enumerated, and build the plain-words public view of it (docs/domain.md §3–§5, docs/architecture.md §2–§3).

Anti-enumeration (docs/domain.md §4): an unknown code, a malformed code and a wrong secret all take the
same path — one indexed query by code, then an HMAC of *both* factors compared in constant time
(``hmac.compare_digest``) against the stored hashes, or against a dummy hash when there is no such
dossier. Only the boolean outcome differs, and the caller renders the same generic answer for every
failure.

Personal data is masked (Decree 13/2023/NĐ-CP on personal data protection): initials for the name,
the phone's first two and last two digits; no staff names anywhere in the public view.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ...domain.codes import MAX_CODE_LENGTH, normalize_code, verify_secret
from ...domain.deadlines import TraceStep
from ...domain.errors import DomainError
from ...domain.status import DossierAction, DossierStatus
from ...domain.timing import TimeLeft, Timing
from ...models import Agency, Dossier, DossierEvent, Feedback, PauseInterval, Procedure, Rating
from ..admin.calendars import calendar_for
from ..dossiers.clock import compute_dossier_due
from ..dossiers.timing import timing_for, timing_for_row

__all__ = [
    "MAX_PHONE4_LENGTH",
    "MAX_SECRET_LENGTH",
    "FactorCheck",
    "LookupTexts",
    "LookupView",
    "NoteKind",
    "find_for_lookup",
    "lookup_url",
    "mask_name",
    "mask_phone",
    "open311",
    "public_view",
    "summary_for_lookup",
]

MAX_SECRET_LENGTH = 32  # the receipt prints 8 characters; a little room for spaces/dashes
MAX_PHONE4_LENGTH = 4
# Stands in for the stored hash when the code is unknown or malformed, so the same HMAC work and
# the same constant-time comparison happen on every path (a 64-hex string no HMAC will equal).
_DUMMY_HASH = "0" * 64
# A code value that can never exist (lower case, codes are stored upper case): used for the query
# when the typed code is over-long, so every path runs the same single indexed SELECT.
_NO_CODE = "-"


def lookup_url(base_url: str, code: str) -> str:
    """What the receipt's QR encodes: ``PUBLIC_BASE_URL + '/lookup?code=<code>'``."""
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/lookup?code={quote(code, safe='.-')}"


def _lookup_statement(columns: tuple[Any, ...], joins: Any = None) -> Any:
    """``SELECT <both hashes>, <columns> … WHERE code = :code``, built once per shape.

    A look-up is the hottest public path: building the statement and its cache key on every
    call cost more than running it (SQLAlchemy's "bake once, bind per call" pattern)."""
    q = select(Dossier.lookup_secret_hash, Dossier.phone_last4_hash, *columns)
    if joins is not None:
        q = joins(q)
    return q.where(Dossier.code == bindparam("code"))


@dataclass
class FactorCheck:
    """Filled in by a verification for its caller's phone-4 counter: did the phone's last four
    digits match an existing dossier? (A look-up also succeeds on the secret alone, so success
    says nothing about the digits — docs/security.md, "Citizens' look-up and limits".)"""

    phone4_matched: bool = False


def _verified_row(conn: Connection, statement: Any, code: str, secret: str, phone4: str,
                  key: bytes, check: FactorCheck | None = None) -> tuple[Any, ...] | None:
    """The statement's columns (after the two hashes) for dossier ``code`` if ``secret`` (or
    ``phone4``) matches, else ``None``; ``statement`` comes from :func:`_lookup_statement`.

    Inputs are capped *before* any regex or query; one indexed statement by code reads the two
    stored hashes with the columns; both factors are always hashed and compared in constant time
    (against a dummy hash when there is no such dossier, an empty factor as a placeholder), so
    timing does not reveal which part was wrong or whether the code exists. It runs as Core on
    ``conn``: the row needs no ORM identity map."""
    typed = normalize_code(code[: MAX_CODE_LENGTH + 1]) if isinstance(code, str) else ""
    query_code = typed if 0 < len(typed) <= MAX_CODE_LENGTH else _NO_CODE
    secret = (secret or "")[:MAX_SECRET_LENGTH + 8]
    phone4 = (phone4 or "")[:MAX_PHONE4_LENGTH + 4]
    row = conn.execute(statement, {"code": query_code}).first()
    secret_hash = row[0] if row is not None else _DUMMY_HASH
    phone_hash = (row[1] if row is not None else None) or _DUMMY_HASH
    ok_secret = verify_secret(secret or "-", secret_hash, key) and bool(secret)
    ok_phone = verify_secret(phone4 or "-", phone_hash, key) and len(phone4) == 4 and phone4.isdigit()
    if check is not None:
        check.phone4_matched = row is not None and ok_phone
    if row is None or not (ok_secret or ok_phone):
        return None
    return tuple(row)[2:]


_ID_BY_CODE = _lookup_statement((Dossier.id,))


def find_for_lookup(
    session: Session, code: str, *, secret: str = "", phone4: str = "", key: bytes,
    check: FactorCheck | None = None,
) -> Dossier | None:
    """The dossier if ``code`` exists and ``secret`` (or ``phone4``) matches, else ``None``
    (see :func:`_verified_row`). Only the hashes and the id are read for the check (no ORM object
    is built), so a known code with a wrong secret costs the same as an unknown one; the dossier
    is loaded after success only."""
    row = _verified_row(session.connection(), _ID_BY_CODE, code, secret, phone4, key, check)
    if row is None:
        return None
    # One statement for the dossier and what every view shows of it.
    return session.scalars(
        select(Dossier).where(Dossier.id == row[0]).options(
            joinedload(Dossier.procedure), joinedload(Dossier.receiving_agency),
            joinedload(Dossier.current_agency))
    ).one()


# ---------------------------------------------------------------- masking

def mask_name(name: str) -> str:
    """'Nguyễn Văn An' → 'N***** V** A*': each word's first letter, one star per other letter."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in (name or "").split())


def mask_phone(phone: str) -> str:
    """'0912345678' → '09******78'."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 5:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


# ---------------------------------------------------------------- the public view

@dataclass
class TimelineStep:
    """One public event: the action, where it happened, and what the staff recorded with it (a
    reason, the missing items, the agency it was sent to) — data; the words are the web layer's."""

    at: datetime
    action: str
    agency: str
    reason: str = ""
    to_agency: str = ""
    items: list[str] = field(default_factory=list)


@dataclass
class PauseView:
    kind: str
    reason: str
    items: list[str]
    started_at: datetime
    ended_at: datetime | None


@dataclass
class FeedbackView:
    code: str
    kind: str
    content: str
    status: str
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer: str
    agency: str


class NoteKind(StrEnum):
    """Which status note the citizen reads (Open311 ``status_notes``); said by the web layer."""

    NEW_ONLINE = "new_online"
    INCOMPLETE = "incomplete"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESULT_READY = "result_ready"  # come to the receiving agency
    RETURNED = "returned"
    # Waiting for the citizen after the dossier already counts as late (docs/rules.md, "Timing" T4).
    SUPPLEMENT_AFTER_LATE = "supplement_after_late"
    PAYMENT_AFTER_LATE = "payment_after_late"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    PROCESSING = "processing"  # at the current agency, with the working time left


@dataclass
class LookupView:
    """Everything the citizen may see about one dossier, as data: the words (status, timing, time
    left, the note, the timeline, the "why this date" trace) are said in the reader's language by
    onestop/web/sentences.py."""

    code: str
    procedure_code: str
    procedure_name: str
    receiving_agency: str
    current_agency: str
    status: str
    national_code: int
    is_open: bool
    channel: str
    applicant_masked: str
    phone_masked: str
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    promised_due_at: datetime | None
    apology_reason: str
    finished_at: datetime | None
    returned_at: datetime | None
    updated_at: datetime
    timing: str | None
    working_minutes_left: int | None
    left: TimeLeft | None
    paused: bool
    note: NoteKind
    timeline: list[TimelineStep]
    pauses: list[PauseView]
    why: tuple[TraceStep, ...]
    fee: str
    feedback: list[FeedbackView]
    rating: Rating | None
    can_rate: bool
    tz: Any = None  # the receiving agency's zone, for the JSON times


# Payload fields that are safe and useful to show per action (never staff names: the "assign"
# action is internal anyway and its payload names the officer).
_REASON_ACTIONS = frozenset({
    DossierAction.REQUEST_SUPPLEMENT, DossierAction.REFUSE, DossierAction.STOP, DossierAction.WITHDRAW,
    DossierAction.APOLOGISE, DossierAction.REQUEST_PAYMENT,
})


def _agency_name(agency: Any) -> str:
    return (agency.name if agency is not None else "") or ""


def _timeline(events: list[DossierEvent]) -> list[TimelineStep]:
    steps: list[TimelineStep] = []
    for ev in events:
        if not ev.public:
            continue
        try:
            action = DossierAction(ev.action)
        except ValueError:
            continue
        payload = ev.payload or {}
        reason = to_agency = ""
        items: list[str] = []
        if action in _REASON_ACTIONS:
            reason = str(payload.get("reason") or "")
            items = [str(i) for i in payload.get("missing_items") or []]
        elif action in (DossierAction.TRANSFER, DossierAction.HAND_OFF, DossierAction.HAND_BACK):
            to_agency = str(payload.get("to_agency_name") or "")
        steps.append(TimelineStep(at=ev.at, action=action.value, agency=_agency_name(ev.agency),
                                  reason=reason, to_agency=to_agency, items=items))
    return steps


def public_view(
    session: Session, dossier: Dossier, *, now: datetime,
) -> LookupView:
    """The plain-words view of ``dossier`` for the citizen who proved the secret (the page; the
    API's summary is :func:`summary_for_lookup`)."""
    d = dossier
    status = DossierStatus(d.status)
    # THE timing rule (services/dossiers/timing.py; docs/rules.md, "Timing"): the same answer as staff pages.
    tv = timing_for(session, d, now)
    timing = tv.timing
    why: tuple[TraceStep, ...] = ()
    if d.clock_base_at is not None and d.limit_value is not None:
        try:
            why = compute_dossier_due(session, d, explain=True).steps
        except DomainError:
            why = ()
    pauses = [
        PauseView(kind=p.kind, reason=p.reason or "",
                  items=list(p.items or []), started_at=p.started_at, ended_at=p.ended_at)
        for p in d.pauses
    ]
    fbs = session.scalars(
        select(Feedback).where(Feedback.dossier_id == d.id).order_by(Feedback.created_at)
    ).all()
    agencies = {a.id: a for a in (d.receiving_agency, d.current_agency)}
    feedback = [
        FeedbackView(code=f.code, kind=f.kind, content=f.content, status=f.status,
                     created_at=f.created_at, due_at=f.due_at, answered_at=f.answered_at,
                     answer=f.answer,
                     agency=_agency_name(agencies.get(f.agency_id) or session.get(Agency, f.agency_id)))
        for f in fbs
    ]
    rating = session.scalar(select(Rating).where(Rating.dossier_id == d.id))
    events = session.scalars(
        select(DossierEvent).where(DossierEvent.dossier_id == d.id, DossierEvent.public.is_(True))
        .options(selectinload(DossierEvent.agency)).order_by(DossierEvent.seq)
    ).all()
    return LookupView(
        code=d.code, procedure_code=d.procedure.code, procedure_name=d.procedure.name,
        receiving_agency=_agency_name(d.receiving_agency), current_agency=_agency_name(d.current_agency),
        status=status.value, national_code=status.national_code,
        is_open=not status.is_finished, channel=d.channel,
        applicant_masked=mask_name(d.applicant_name), phone_masked=mask_phone(d.applicant_phone),
        submitted_at=d.submitted_at, received_at=d.received_at, due_at=d.due_at,
        promised_due_at=d.promised_due_at, apology_reason=d.apology_reason or "",
        finished_at=d.finished_at, returned_at=d.returned_at, updated_at=d.updated_at,
        timing=timing.value if timing else None, working_minutes_left=tv.minutes_left, left=tv.left,
        paused=tv.paused, note=note_kind(status, timing), timeline=_timeline(list(events)), pauses=pauses,
        why=why, fee=d.procedure.fee or "", feedback=feedback, rating=rating,
        can_rate=status is DossierStatus.RETURNED and rating is None,
    )


_FINISHED_NOTES = {
    DossierStatus.NEW_ONLINE: NoteKind.NEW_ONLINE, DossierStatus.INCOMPLETE: NoteKind.INCOMPLETE,
    DossierStatus.REFUSED: NoteKind.REFUSED, DossierStatus.WITHDRAWN: NoteKind.WITHDRAWN,
    DossierStatus.STOPPED: NoteKind.STOPPED, DossierStatus.RESULT_READY: NoteKind.RESULT_READY,
    DossierStatus.RETURNED: NoteKind.RETURNED,
}


def note_kind(status: DossierStatus, timing: Timing | None) -> NoteKind:
    """Which note the citizen reads for ``status`` with ``timing`` (docs/guide-citizen.md)."""
    if status in _FINISHED_NOTES:
        return _FINISHED_NOTES[status]
    supplement = status is DossierStatus.AWAITING_SUPPLEMENT
    if status.is_paused and timing is Timing.OVERDUE:
        # A request made after the deadline does not stop the clock, and a second supplement request
        # counts as late (docs/rules.md, "Timing" T4): say so rather than promise a stopped clock.
        return NoteKind.SUPPLEMENT_AFTER_LATE if supplement else NoteKind.PAYMENT_AFTER_LATE
    if status.is_paused:
        return NoteKind.AWAITING_SUPPLEMENT if supplement else NoteKind.AWAITING_PAYMENT
    return NoteKind.PROCESSING


def _iso(t: datetime | None, tz: Any) -> str | None:
    return t.astimezone(tz).isoformat(timespec="seconds") if t is not None else None


@dataclass(frozen=True)
class LookupTexts:
    """The look-up's human-readable fields in the reader's language (onestop/web/sentences.py
    says them; the API's answer carries them)."""

    status_label: str
    timing_label: str
    time_left_label: str
    status_notes: str


def open311(view: LookupView, *, tz: Any, texts: LookupTexts) -> dict[str, Any]:
    """Open311 GeoReport v2 "service request" shape (service_request_id, status open|closed,
    status_notes, service_name, agency_responsible, requested/updated/expected_datetime), plus the
    national status code and working time left (docs/architecture.md §3). Times ISO 8601 in the local zone."""
    return {
        "service_request_id": view.code,
        "status": "open" if view.is_open else "closed",
        "status_notes": texts.status_notes,
        "service_name": view.procedure_name,
        "service_code": view.procedure_code,
        "agency_responsible": view.current_agency,
        "requested_datetime": _iso(view.received_at or view.submitted_at, tz),
        "updated_datetime": _iso(view.updated_at, tz),
        "expected_datetime": _iso(view.due_at, tz),
        "national_status_code": view.national_code,
        "status_code": view.status,
        "status_label": texts.status_label,
        "timing": view.timing,
        "working_time_left_minutes": view.working_minutes_left,
        "time_left_label": texts.time_left_label,
        "promised_datetime": _iso(view.promised_due_at, tz),
        "apology_reason": view.apology_reason or None,
    }


# ---------------------------------------------------------------- the JSON summary, in one statement

_RA, _CA = aliased(Agency), aliased(Agency)
_d = Dossier
# The summary's one statement: the hashes, the columns the Open311 answer shows, the procedure and
# the two agencies' names joined (the receiving agency's path/hours/zone pick its calendar).
_SUMMARY_BY_CODE = _lookup_statement(
    (_d.id, _d.code, _d.status, _d.channel, _d.submitted_at, _d.received_at, _d.updated_at, _d.due_at,
     _d.promised_due_at, _d.apology_reason, _d.finished_at, _d.returned_at, _d.supplement_count,
     Procedure.code, Procedure.name, Procedure.fee, _RA.name, _RA.path, _RA.office_hours, _RA.timezone,
     _CA.name),
    joins=lambda q: q.join(Procedure, Procedure.id == _d.procedure_id)
    .join(_RA, _RA.id == _d.receiving_agency_id).join(_CA, _CA.id == _d.current_agency_id),
)


def summary_for_lookup(
    session: Session, code: str, *, secret: str = "", phone4: str = "", key: bytes, now: datetime,
    connection: Connection | None = None, check: FactorCheck | None = None,
) -> LookupView | None:
    """The API's Open311 summary for ``code`` if the secret (or phone last 4) matches, else None.

    One indexed statement reads the hashes *and* the few columns the summary shows (procedure and
    agency names joined), so a look-up costs what a bare query costs. The same statement and the
    same two HMAC comparisons run whatever the input (unknown, malformed, wrong secret), as in
    :func:`find_for_lookup`; only a success builds the answer. Reads run on ``connection`` when
    given (the API's autocommit read, onestop/database/events.py), else on the session's; the session
    itself is used only to build a calendar the process has not seen yet."""
    conn = connection if connection is not None else session.connection()
    row = _verified_row(conn, _SUMMARY_BY_CODE, code, secret, phone4, key, check)
    if row is None:
        return None
    (dossier_id, code_, status_s, channel, submitted_at, received_at, updated_at, due_at,
     promised_due_at, apology_reason, finished_at, returned_at, supplement_count, proc_code, proc_name,
     fee, ra_name, ra_path, ra_hours, ra_tz, ca_name) = row
    status = DossierStatus(status_s)
    # calendar_for reads only the agency's path, hours and zone (its cache key).
    cal = calendar_for(session, cast(Agency, SimpleNamespace(path=ra_path, office_hours=ra_hours,
                                                                timezone=ra_tz)))
    # Only a paused dossier has an open pause (supplement/payment requests pause it; every end
    # closes it), so the pause is looked up only then: the look-up stays one statement otherwise.
    pause_start = conn.scalar(
        select(func.min(PauseInterval.started_at))
        .where(PauseInterval.dossier_id == dossier_id, PauseInterval.ended_at.is_(None))
    ) if status.is_paused and due_at is not None else None
    # THE timing rule, from the Core row (services/dossiers/timing.py; docs/rules.md, "Timing").
    tv = timing_for_row({"status": status_s, "due_at": due_at, "finished_at": finished_at,
                         "supplement_count": supplement_count, "promised_due_at": promised_due_at,
                         "open_pause_start": pause_start}, now, cal)
    return LookupView(
        code=code_, procedure_code=proc_code, procedure_name=proc_name, receiving_agency=ra_name or "",
        current_agency=ca_name or "", status=status.value,
        national_code=status.national_code, is_open=not status.is_finished, channel=channel,
        applicant_masked="", phone_masked="", submitted_at=submitted_at, received_at=received_at,
        due_at=due_at, promised_due_at=promised_due_at, apology_reason=apology_reason or "",
        finished_at=finished_at, returned_at=returned_at, updated_at=updated_at,
        timing=tv.timing.value if tv.timing else None, working_minutes_left=tv.minutes_left, left=tv.left,
        paused=tv.paused, note=note_kind(status, tv.timing), timeline=[], pauses=[], why=(), fee=fee or "",
        feedback=[], rating=None, can_rate=False, tz=cal.tz,
    )
