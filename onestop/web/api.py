"""JSON API under /api/v1 for staff systems (docs/architecture.md §3).

Authentication is by bearer token ONLY (``Authorization: Bearer <token>``,
tokens issued by an admin, stored as SHA-256). The signed-in session cookie is
deliberately ignored here: a browser attaches cookies to cross-site requests on
its own, so an API that honoured them would let any page an officer visits post
actions on citizens' dossiers (CSRF). A bearer token is never sent implicitly,
which is why this blueprint is exempt from the CSRF token check.

Every state change goes through ``services.dossiers.actions`` (the one writer of
status); errors become ``{"error": {"code", "message"}}`` (422 adds
``fields``) and the unit of work is rolled back, so a refused request changes
nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import force_locale
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from ..domain.codes import lookup_key
from ..domain.errors import DomainError, InvalidCode
from ..domain.status import STATUS_LABELS_VI, DossierAction, DossierStatus
from ..domain.workflow import IllegalTransition
from ..extensions import csrf, db
from ..models import Agency, Dossier, DossierEvent, Procedure, User
from ..services import policy
from ..services.admin.accounts import user_for_token
from ..services.admin.calendars import calendar_for
from ..services.dossiers import idempotency
from ..services.dossiers.actions import CONFLICT_MESSAGE, apply_action, get_by_code, input_type_for
from ..services.dossiers.applicant import Applicant
from ..services.dossiers.inputs import input_from
from ..services.dossiers.reception import ReceptionInput, receive_dossier
from ..services.dossiers.timing import timing_for
from ..services.errors import NotFound, ServiceError, ValidationFailed
from . import jsonbody, openapi
from .auth import utcnow
from .errors import json_error
from .jsonbody import MalformedBody
from .sentences import time_left_text

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer-only (see the module docstring): no cookie, hence no CSRF exposure.
csrf.exempt(bp)

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_TZ = "Asia/Ho_Chi_Minh"


# ------------------------------------------------------------------ auth

def _unauthorized(message: str, error: str | None = None) -> Any:
    body, status = json_error(401, "unauthorized", message)
    challenge = 'Bearer realm="onestop"' + (f', error="{error}"' if error else "")
    body.headers["WWW-Authenticate"] = challenge
    return body, status


def bearer_required(fn: F) -> F:
    """The token's user in ``g.api_user``; a session cookie does not count."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _unauthorized("Cần token Bearer trong tiêu đề Authorization.")
        raw = raw.strip()
        user = user_for_token(db.session, raw, now=utcnow()) if len(raw) <= 200 else None
        if user is None:
            db.session.rollback()
            return _unauthorized("Token không hợp lệ hoặc đã bị thu hồi.", "invalid_token")
        g.api_user = user
        return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


# ------------------------------------------------------------------ errors

def _fail(status: int, code: str, message: str, **extra: Any) -> Any:
    db.session.rollback()
    return json_error(status, code, message, **extra)


# Field names of the reception service -> the JSON body's paths.
_FIELD_MAP = {"applicant_name": "applicant.name", "applicant_id_number": "applicant.id_number",
              "applicant_phone": "applicant.phone", "applicant_email": "applicant.email",
              "applicant_address": "applicant.address", "procedure": "procedure_code"}


@bp.errorhandler(ValidationFailed)
def _validation(exc: ValidationFailed) -> Any:
    fields = {_FIELD_MAP.get(k, k): v for k, v in exc.errors.items()}
    return _fail(422, exc.code, "Dữ liệu không hợp lệ.", fields=fields)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Any:  # Forbidden 403, NotFound 404, Conflict 409
    return _fail(exc.status_code, exc.code, exc.message)


@bp.errorhandler(IllegalTransition)
def _illegal(exc: IllegalTransition) -> Any:
    return _fail(409, "illegal_transition", exc.message)


@bp.errorhandler(InvalidCode)
def _invalid_code(exc: InvalidCode) -> Any:
    return _fail(422, "validation_failed", exc.message, fields={})


@bp.errorhandler(DomainError)
def _domain(exc: DomainError) -> Any:
    # A rule of the dossier's current state (no open pause, apology already given…).
    return _fail(409, "invalid_state", exc.message)


@bp.errorhandler(StaleDataError)
def _stale(exc: StaleDataError) -> Any:
    return _fail(409, "conflict", CONFLICT_MESSAGE)


@bp.errorhandler(IntegrityError)
def _integrity(exc: IntegrityError) -> Any:
    return _fail(409, "conflict", "Dữ liệu vừa bị thay đổi đồng thời — vui lòng thử lại.")


@bp.app_errorhandler(MalformedBody)
def _malformed(exc: MalformedBody) -> Any:
    return _fail(exc.status_code, exc.code, exc.message, fields=exc.fields)


def _body(schema_name: str, required: bool) -> dict[str, Any]:
    # The one body reader (web/jsonbody.py): not UTF-8, not JSON, too deep, lone surrogates,
    # NUL or non-finite numbers are refused (422; 400 for text) before the schema or a service sees them.
    data = jsonbody.request_json(required=required)
    if data is None:
        return {}
    errors = openapi.validate(data, openapi.ref(schema_name))
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(data, dict)
    return data


# ------------------------------------------------------------------ serialisation

def iso(value: datetime | None, tz: str = DEFAULT_TZ) -> str | None:
    """ISO 8601 with the agency's offset (+07:00), seconds precision."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def dossier_json(d: Dossier, user: User, *, now: datetime, with_events: bool = True) -> dict[str, Any]:
    tz = d.receiving_agency.timezone or DEFAULT_TZ
    status = DossierStatus(d.status)
    # THE timing rule (services/dossiers/timing.py; docs/rules.md, "Timing"): the same answer as the pages.
    tv = timing_for(db.session, d, now)
    timing = tv.timing.value if tv.timing is not None else None
    left = tv.minutes_left
    with force_locale("vi"):  # the staff API speaks Vietnamese, as its status_label does
        label = time_left_text(tv.left, paused=tv.paused) if tv.left is not None or tv.paused else None
    acts = [a.value for a in policy.actions_for(user, d)]
    out: dict[str, Any] = {
        "code": d.code, "status": d.status, "status_label": STATUS_LABELS_VI[status],
        "national_status_code": status.national_code,
        "procedure": {"code": d.procedure.code, "name": d.procedure.name},
        "channel": d.channel,
        "applicant": {"name": d.applicant_name, "id_number": d.applicant_id_number,
                      "phone": d.applicant_phone, "email": d.applicant_email,
                      "address": d.applicant_address},
        "receiving_agency": d.receiving_agency.identifier, "current_agency": d.current_agency.identifier,
        "assignee": d.assignee.username if d.assignee else None,
        "submitted_at": iso(d.submitted_at, tz), "received_at": iso(d.received_at, tz),
        "clock_start_at": iso(d.clock_start_at, tz), "due_at": iso(d.due_at, tz),
        "promised_due_at": iso(d.promised_due_at, tz), "finished_at": iso(d.finished_at, tz),
        "returned_at": iso(d.returned_at, tz), "updated_at": iso(d.updated_at, tz),
        "supplement_count": d.supplement_count, "version": d.version, "timing": timing,
        "working_time_left_minutes": left, "time_left_label": label, "allowed_actions": acts,
    }
    if with_events:
        events = db.session.scalars(
            select(DossierEvent).where(DossierEvent.dossier_id == d.id).order_by(DossierEvent.seq)
        ).all()
        users = _usernames({e.actor_id for e in events if e.actor_id})
        agencies = _identifiers({e.agency_id for e in events if e.agency_id})
        out["events"] = [
            {"seq": e.seq, "at": iso(e.at, tz), "action": e.action, "from_status": e.from_status,
             "to_status": e.to_status, "actor": users.get(e.actor_id) if e.actor_id else None,
             "agency": agencies.get(e.agency_id) if e.agency_id else None, "note": e.note,
             "payload": e.payload}
            for e in events
        ]
    return out


def _usernames(ids: set[int]) -> dict[int, str]:
    return _names(User, User.username, ids)


def _identifiers(ids: set[int]) -> dict[int, str]:
    return _names(Agency, Agency.identifier, ids)


def _names(model: type[User] | type[Agency], column: Any, ids: set[int]) -> dict[int, str]:
    """id → name of the given users or agencies: from the session's identity map when it holds them
    all (the request's own clerk and desk, for a dossier just received), else in one read."""
    held = {i: db.session.identity_map.get(identity_key(model, i)) for i in ids}
    if all(obj is not None and column.key not in inspect(obj).unloaded for obj in held.values()):
        return {i: getattr(obj, column.key) for i, obj in held.items()}
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# ------------------------------------------------------------------ dossiers

@bp.post("/dossiers")
@bearer_required
def create_dossier() -> Any:
    user: User = g.api_user
    key = _idempotency_key()
    body = _body("DossierCreate", required=True)
    a = body["applicant"]
    data = ReceptionInput(
        procedure_code=body["procedure_code"],
        applicant=Applicant(name=a.get("name", ""), id_number=a.get("id_number", ""),
                            phone=a.get("phone", ""), email=a.get("email", ""), address=a.get("address", "")),
        channel=body.get("channel", "direct"), outcome=body.get("outcome", "receive"),
        documents=[{"name": x["name"], "provided": bool(x.get("provided", False))}
                   for x in body.get("documents", [])],
        missing_items=list(body.get("missing_items", [])), reason=body.get("reason", ""),
        note=body.get("note", ""), vneid_verified=bool(body.get("vneid_verified", False)),
        payment_channel=body.get("payment_channel"),
    )
    now = utcnow()
    fp = idempotency.fingerprint("POST", request.path, body) if key is not None else ""
    if key is not None and (replay := idempotency.find_answer(db.session, user, key, fp, now=now)):
        db.session.commit()  # an expired row of the key, if any, is gone
        return _reception_answer(replay.status_code, replay.body, replayed=True)
    result = receive_dossier(db.session, data, agency=user.agency, actor=user, now=now,
                             lookup_key=lookup_key(current_app.config))
    out = dossier_json(result.dossier, user, now=now)
    out["secret"] = result.secret  # shown once: only its hash is stored
    if key is not None:
        try:
            # Same transaction as the dossier: both are committed, or neither.
            idempotency.remember_answer(db.session, user, key, fp, status_code=201, body=out, now=now)
        except IntegrityError:
            # A twin request with this key committed first: answer what it answered.
            db.session.rollback()
            replay = idempotency.find_answer(db.session, user, key, fp, now=now)
            if replay is None:
                raise
            db.session.commit()
            return _reception_answer(replay.status_code, replay.body, replayed=True)
    db.session.commit()
    return _reception_answer(201, out, replayed=False)


def _idempotency_key() -> str | None:
    """The ``Idempotency-Key`` header (docs/security.md): absent → None; malformed → 400."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    if not idempotency.valid_key(raw):
        raise jsonbody.MalformedBody(
            "invalid_idempotency_key",
            "Idempotency-Key phải gồm 1–255 ký tự ASCII in được, không có khoảng trắng (ví dụ một UUID).",
            {"Idempotency-Key": "1–255 ký tự ASCII in được, không khoảng trắng."}, status_code=400)
    return raw


def _reception_answer(status: int, out: dict[str, Any], *, replayed: bool) -> Any:
    resp = jsonify(out)
    resp.status_code = status
    if status == 201:
        resp.headers["Location"] = url_for("api.get_dossier", code=out["code"])
    resp.headers["Cache-Control"] = "no-store"
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _load(code: str) -> Dossier:
    if len(code) > 40:
        raise NotFound("Không tìm thấy hồ sơ.")
    return get_by_code(db.session, code)


@bp.get("/dossiers/<code>")
@bearer_required
def get_dossier(code: str) -> Any:
    user: User = g.api_user
    d = _load(code)
    if not policy.can_view(user, d):
        # Same answer as an unknown code: a code must not reveal that a dossier exists.
        raise NotFound(f"Không tìm thấy hồ sơ {code}.")
    out = dossier_json(d, user, now=utcnow())
    db.session.commit()  # the token's last_used_at
    return jsonify(out)


def _parse_due(value: str, d: Dossier) -> datetime:
    cal = calendar_for(db.session, d.receiving_agency)
    if len(value) == 10:
        day = date.fromisoformat(value)
        # A date promises the end of that office day (the citizen may come until closing).
        try:
            return cal.closing(day)
        except DomainError as exc:  # a year the working calendar does not cover
            raise ValidationFailed({"new_due_at": str(exc)}) from None
    dt = datetime.fromisoformat(value)  # Python 3.11 reads "Z" too
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=cal.tz)


@bp.post("/dossiers/<code>/actions/<action>")
@bearer_required
def act(code: str, action: str) -> Any:
    user: User = g.api_user
    try:
        act_enum = DossierAction(action)
    except ValueError:
        act_enum = None
    if act_enum is None or act_enum is DossierAction.REISSUE_SECRET:  # recorded, not an action
        raise NotFound(f"Không có thao tác '{action[:40]}'.")
    body = _body("ActionRequest", required=False)
    d = _load(code)
    if not policy.can_view(user, d):
        # Another agency's dossier answers exactly like an unknown code: its existence is
        # not revealed (docs/security.md); nothing is read or changed.
        raise NotFound(f"Không tìm thấy hồ sơ {code}.")
    values: dict[str, object] = {k: body[k] for k in ("reason", "note", "missing_items", "result", "method",
                                                      "receiver") if k in body}
    if "officer" in body:
        officer = db.session.scalar(select(User).where(User.username == body["officer"].strip().lower()))
        if officer is None:
            raise ValidationFailed({"officer": "Không có chuyên viên với tên đăng nhập này."})
        values["officer_id"] = officer.id
    if "to_agency" in body:
        to = db.session.scalar(select(Agency).where(Agency.identifier == body["to_agency"].strip()))
        if to is None:
            raise ValidationFailed({"to_agency": "Không có cơ quan với mã định danh này."})
        values["to_agency_id"] = to.id
    if "new_due_at" in body:
        values["new_due_at"] = _parse_due(body["new_due_at"], d)
    data = input_from(input_type_for(act_enum), values)
    now = utcnow()
    apply_action(db.session, d, act_enum, data, actor=user, now=now, expected_version=body.get("version"))
    db.session.commit()
    return jsonify(dossier_json(d, user, now=now))


# ------------------------------------------------------------------ catalogue

@bp.get("/agencies")
@bearer_required
def agencies() -> Any:
    rows = db.session.scalars(select(Agency).order_by(Agency.path)).all()
    by_id = {a.id: a.identifier for a in rows}
    out = [
        {"identifier": a.identifier, "name": a.name, "short_name": a.short_name, "level": a.level,
         "kind": a.kind, "parent": by_id.get(a.parent_id) if a.parent_id else None,
         "office_hours": a.office_hours, "timezone": a.timezone, "valid_from": a.valid_from.isoformat(),
         "valid_to": a.valid_to.isoformat() if a.valid_to else None,
         "successor": by_id.get(a.successor_id) if a.successor_id else None}
        for a in rows
    ]
    db.session.commit()
    return jsonify({"agencies": out})


@bp.get("/procedures")
@bearer_required
def procedures() -> Any:
    rows = db.session.scalars(
        select(Procedure).where(Procedure.active.is_(True)).options(selectinload(Procedure.steps))
        .order_by(Procedure.code)
    ).all()
    out = [
        {"code": p.code, "name": p.name, "field": p.field, "level": p.level, "limit": _num(p.limit_value),
         "unit": p.limit_unit, "online_limit": _num(p.online_limit_value),
         "cutoff": p.cutoff.strftime("%H:%M") if p.cutoff else None, "supplement_regime": p.supplement_regime,
         "documents": list(p.documents or []),
         "steps": [{"seq": s.seq, "agency_kind": s.agency_kind, "share_percent": _num(s.share_percent),
                    "name": s.name} for s in p.steps]}
        for p in rows
    ]
    db.session.commit()
    return jsonify({"procedures": out})


@bp.get("/openapi.json")
def openapi_json() -> Any:
    return jsonify(openapi.document())


__all__ = ["bearer_required", "bp", "dossier_json", "iso"]
