"""The citizen look-up as JSON: ``GET /api/v1/lookup/<code>`` (Open311 GeoReport v2 style,
docs/architecture.md §3). Stateless: no session cookie, no login; ``?lang=en`` picks English.

Unknown code, malformed code and wrong secret all answer the same 404 after the same work
(services.public.lookup.summary_for_lookup); NUL anywhere is refused with 400 by the app's
common hook before any guess is counted; each request counts one guess in the citizen's shared
look-up bucket (web/public/guard.py), 429 with Retry-After past it. Every answer is
``Cache-Control: no-store`` (a found one is personal data).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests

from ...database.events import autocommit_read
from ...domain.codes import MAX_CODE_LENGTH
from ...domain.status import DossierStatus
from ...extensions import db
from ...services.public import lookup as lookup_svc
from .. import openapi, sentences
from ..auth import utcnow
from ..errors import error_body
from . import guard

bp = Blueprint("lookup_api", __name__)
guard.guess_limit(bp)

_NOT_FOUND_MESSAGE = _l("Không tìm thấy hồ sơ khớp với mã hồ sơ và mã bí mật (hoặc 4 số cuối điện thoại).")
_NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/api/v1/lookup/<code>")
def api_lookup(code: str) -> Response:
    """The same indexed statement and two HMAC checks on every path; one read outside any
    transaction (onestop/database/events.py ``autocommit_read``)."""
    args = request.args
    lang = _locale(args)
    secret = (args.get("secret") or "")[: lookup_svc.MAX_SECRET_LENGTH + 1]
    phone4 = (args.get("phone4") or "")[:5]
    view = None
    key = guard.secret_key()
    with autocommit_read(db.session, db.engine) as conn:
        if len(secret) <= lookup_svc.MAX_SECRET_LENGTH and len(phone4) <= 4:
            view = guard.verify_guarded(code, phone4.strip(), lambda p4, check: lookup_svc.summary_for_lookup(
                db.session, code[: MAX_CODE_LENGTH + 1], secret=secret.strip(), phone4=p4, key=key,
                now=utcnow(), connection=conn, check=check))
        else:  # keep the same work on every path
            lookup_svc.summary_for_lookup(db.session, "", secret="-", key=key, now=utcnow(), connection=conn)
    with force_locale(lang):
        if view is None:
            return _json(404, error_body("not_found", str(_NOT_FOUND_MESSAGE)))
        body = lookup_svc.open311(view, tz=view.tz or ZoneInfo(current_app.config["TIMEZONE"]),
                                  texts=sentences.lookup_texts(view))
    return _json(200, body)


@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> Response:
    """The shared bucket is empty: JSON, in the asked language, with when to retry."""
    retry = guard.retry_after_seconds()
    with force_locale(_locale(request.args)):
        message = _("Quá nhiều lần tra cứu. Vui lòng thử lại sau %(s)s giây.", s=retry)
    resp = _json(429, error_body("too_many_requests", message, retry_after=retry))
    resp.headers["Retry-After"] = str(retry)
    return resp


def _json(status: int, body: dict[str, Any]) -> Response:
    """Compact, through the app's JSON provider (the keys' order and escaping of ``jsonify``)."""
    payload = current_app.json.dumps(body, separators=(",", ":")) + "\n"
    return Response(payload, status, _NO_STORE, mimetype="application/json")


def _locale(args: Mapping[str, str]) -> str:
    wanted = args.get("lang")
    langs = current_app.config["LANGUAGES"]
    return str(wanted) if wanted in langs else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _describe() -> None:
    """The OpenAPI document's entry for this endpoint, with the exact shape served above."""
    s, dt = {"type": "string"}, {"type": "string", "format": "date-time", "nullable": True}
    ns = {"type": "string", "nullable": True}
    openapi.register_schema("Lookup", {
        "type": "object",
        "description": ("Open311 GeoReport v2 style service request (service_request_id … "
                        "expected_datetime), plus the national status code (1–10), the internal "
                        "status and the working time left. Times ISO 8601 with the agency's offset."),
        "required": ["service_request_id", "status", "status_notes", "service_name", "agency_responsible",
                     "requested_datetime", "updated_datetime", "expected_datetime", "national_status_code",
                     "status_code"],
        "properties": {
            "service_request_id": s, "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": s, "service_name": s, "service_code": s, "agency_responsible": s,
            "requested_datetime": dt, "updated_datetime": dt, "expected_datetime": dt,
            "national_status_code": {"type": "integer", "minimum": 1, "maximum": 10},
            "status_code": {"type": "string", "enum": [x.value for x in DossierStatus]},
            "status_label": s, "timing": ns,
            "working_time_left_minutes": {"type": "integer", "nullable": True,
                                          "description": "Signed working minutes to the statutory due time "
                                                         "(negative = late); null when finished or paused."},
            "time_left_label": s, "promised_datetime": dt, "apology_reason": ns,
        },
    })
    text_q = {"type": "string"}
    openapi.register_path("/api/v1/lookup/{code}", {"get": {
        "operationId": "lookupDossier", "summary": "Tra cứu công khai (mã hồ sơ + mã bí mật)", "security": [],
        "description": ("Give `secret` (printed on the receipt) or `phone4` (last four digits of the "
                        "registered phone). Unknown code, malformed code and wrong secret all answer the "
                        "same 404. Rate limited per client address (config LOOKUP_RATE_LIMIT, shared with "
                        "the web look-up); 429 carries Retry-After. Every wrong `phone4` counts against "
                        "the code's daily budget (config LOOKUP_PHONE4_FAILURES), whatever `secret` is sent "
                        "with it; past it `phone4` no longer opens that dossier (the same 404), `secret` "
                        "still does."),
        "parameters": [
            {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}},
            {"name": "secret", "in": "query", "required": False,
             "schema": {**text_q, "maxLength": lookup_svc.MAX_SECRET_LENGTH}},
            {"name": "phone4", "in": "query", "required": False,
             "schema": {**text_q, "pattern": "^[0-9]{4}$"}},
        ],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": openapi.ref("Lookup")}}},
            "404": {"description": "Không tìm thấy (mã sai, mã bí mật sai hoặc mã không đúng định dạng).",
                    "content": {"application/json": {"schema": openapi.ref("Error")}}},
            "429": {"description": "Quá nhiều yêu cầu; xem header Retry-After.",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": openapi.ref("Error")}}},
        },
    }})


_describe()
