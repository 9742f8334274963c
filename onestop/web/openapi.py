"""The OpenAPI 3 document of the JSON API (docs/architecture.md §3), built as a plain dict.

Every area that serves a path under /api/v1 describes it here with
``register_path(path, spec)`` (from its own module, at import time); the paths
of the public surface that live in other areas (lookup, form 06, scores) are
pre-described below so the document is complete even before they exist.
A test (tests/web/test_api_openapi.py) checks that the document and
``app.url_map`` list the same paths and methods.

The request-body schemas are not only documentation: the staff API validates
what it accepts with :func:`validate` against the very same schemas, so the
document cannot drift from the implementation (and fuzzing from the document,
tests/security/test_sec_fuzz.py, exercises the real rules). The validator is deliberately tiny — the
subset of JSON Schema used below — because no dependency may be added.
"""
from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime
from typing import Any

from ..domain.status import DossierAction, DossierStatus

API_PREFIX = "/api/v1"

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {}


def register_path(path: str, spec: dict[str, Any]) -> None:
    """Describe ``path`` (OpenAPI template, e.g. ``/api/v1/lookup/{code}``); ``spec``
    maps lower-case methods to operation objects. Later registrations of the same
    method replace earlier ones, so an area may refine the pre-described spec."""
    if not path.startswith(API_PREFIX):
        raise ValueError(f"API paths start with {API_PREFIX}: {path}")
    _PATHS.setdefault(path, {}).update(copy.deepcopy(spec))


def register_schema(name: str, schema: dict[str, Any]) -> None:
    _SCHEMAS[name] = copy.deepcopy(schema)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document (a fresh copy)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "onestop API",
            "version": "1.0.0",
            "description": (
                "Hệ thống theo dõi hồ sơ một cửa — API cho hệ thống của cơ quan (token Bearer) và "
                "tra cứu công khai. Staff endpoints need `Authorization: Bearer <token>`; a session "
                "cookie is never accepted here, so a cross-site page cannot act with a signed-in "
                "officer's cookie (CSRF); only the read-only report endpoints (form06, scores) also accept "
                "the app's own signed-in session, and refuse it (403 `password_change_required`) while a "
                "temporary password is unchanged. Errors: `{\"error\": {\"code\", \"message\"}}` (422 adds "
                "`fields`); a body that is not UTF-8 JSON or nests deeper than 32 levels is a 422, text "
                "holding NUL or a lone UTF-16 surrogate a 400 `invalid_text`. Times are ISO 8601 with the "
                "agency's offset (+07:00), years 1900–2199."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": copy.deepcopy(dict(sorted(_PATHS.items()))),
        "components": {
            "schemas": copy.deepcopy(_SCHEMAS),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


# ------------------------------------------------------------------ validator

def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,),
}


def _type_ok(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[name])


# Dates the API accepts: wide enough for any dossier, narrow enough that a service's
# arithmetic (offsets, + days, the working calendar) cannot overflow Python's datetime
# ("9999-12-31T23:59:59-14:00" is year 10000 in UTC).
MIN_YEAR, MAX_YEAR = 1900, 2199
RANGE_MESSAGE = f"Ngày/giờ phải trong khoảng năm {MIN_YEAR}–{MAX_YEAR}."


def _format_error(value: str, fmt: str) -> str | None:
    """None when ``value`` has the format and is within MIN_YEAR–MAX_YEAR, else the message."""
    try:
        if fmt == "date" or (fmt == "date-or-date-time" and len(value) == 10):
            year = date.fromisoformat(value).year
        elif fmt in ("date-time", "date-or-date-time"):
            moment = datetime.fromisoformat(value)
            year = moment.year
            if moment.tzinfo is not None and MIN_YEAR <= year <= MAX_YEAR:
                year = moment.astimezone(UTC).year
        else:
            return None
    except ValueError:
        return "Ngày/giờ phải theo ISO 8601 (YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM+07:00)."
    return None if MIN_YEAR <= year <= MAX_YEAR else RANGE_MESSAGE


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate(value: Any, schema: dict[str, Any], path: str = "") -> dict[str, str]:
    """Errors as {field path: Vietnamese message}; empty when ``value`` conforms.
    Supports: $ref, type (+nullable), enum, properties, required,
    additionalProperties (bool), items, min/maxLength, maxItems, minimum, maximum,
    pattern, format (date, date-time), anyOf."""
    schema = resolve(schema)
    where = path or "body"
    if value is None and schema.get("nullable"):
        return {}
    if "anyOf" in schema:
        if any(not validate(value, s, path) for s in schema["anyOf"]):
            return {}
        return {where: "Giá trị không đúng dạng cho phép."}
    t = schema.get("type")
    if t is not None and not _type_ok(value, t):
        names = {"string": "chuỗi", "integer": "số nguyên", "number": "số", "boolean": "true/false",
                 "array": "danh sách", "object": "đối tượng JSON"}
        return {where: f"Phải là {names.get(t, t)}."}
    if "enum" in schema and value not in schema["enum"]:
        return {where: "Giá trị phải là một trong: " + ", ".join(map(str, schema["enum"])) + "."}
    errors: dict[str, str] = {}
    if isinstance(value, str):
        problem = _string_error(value, schema)
        if problem:
            errors[where] = problem
    if isinstance(value, int | float) and not isinstance(value, bool):
        problem = _number_error(value, schema)
        if problem:
            errors[where] = problem
    if isinstance(value, list):
        errors.update(_array_errors(value, schema, path))
    if isinstance(value, dict):
        errors.update(_object_errors(value, schema, path))
    return errors


def _string_error(value: str, schema: dict[str, Any]) -> str | None:
    if _CONTROL_CHARS.search(value):
        # JSON allows \u0000 and friends; PostgreSQL text does not, and no field needs them.
        return "Không được chứa ký tự điều khiển (ví dụ NUL)."
    if len(value) > schema.get("maxLength", 10**9):
        return f"Tối đa {schema['maxLength']} ký tự."
    if len(value) < schema.get("minLength", 0):
        if schema["minLength"] == 1:
            return "Không được để trống."
        return f"Tối thiểu {schema['minLength']} ký tự."
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return "Sai định dạng."
    if "format" in schema:
        return _format_error(value, schema["format"])
    return None


def _number_error(value: float, schema: dict[str, Any]) -> str | None:
    if "maximum" in schema and value > schema["maximum"]:
        return f"Tối đa {schema['maximum']}."
    if "minimum" in schema and value < schema["minimum"]:
        return f"Tối thiểu {schema['minimum']}."
    return None


def _array_errors(value: list[Any], schema: dict[str, Any], path: str) -> dict[str, str]:
    if len(value) > schema.get("maxItems", 10**9):
        return {path or "body": f"Tối đa {schema['maxItems']} phần tử."}
    errors: dict[str, str] = {}
    if "items" in schema:
        for i, item in enumerate(value):
            errors.update(validate(item, schema["items"], f"{path}[{i}]" if path else f"[{i}]"))
    return errors


def _object_errors(value: dict[Any, Any], schema: dict[str, Any], path: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            errors[f"{path}.{name}" if path else name] = "Bắt buộc."
    for name, item in value.items():
        sub = f"{path}.{name}" if path else str(name)
        if name in props:
            errors.update(validate(item, props[name], sub))
        elif schema.get("additionalProperties", True) is False:
            errors[sub] = "Trường không được hỗ trợ."
    return errors


# ------------------------------------------------------------------ schemas

def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS_STAFF = {
    "401": _error_response("Thiếu, sai hoặc đã thu hồi token (WWW-Authenticate: Bearer)."),
    "403": _error_response("Không có quyền (vai trò hoặc cơ quan khác)."),
}
_DT = {"type": "string", "format": "date-time", "nullable": True}
_STR = {"type": "string"}

register_schema("Error", {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {
            "code": _STR, "message": _STR,
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }},
})
register_schema("Applicant", {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "id_number": {"type": "string", "maxLength": 12, "description": "CCCD: 12 chữ số"},
        "phone": {"type": "string", "maxLength": 20},
        "email": {"type": "string", "maxLength": 254},
        "address": {"type": "string", "maxLength": 255},
    },
})
register_schema("DossierCreate", {
    "type": "object", "required": ["procedure_code", "applicant"], "additionalProperties": False,
    "properties": {
        "procedure_code": {"type": "string", "minLength": 1, "maxLength": 20, "example": "1.004884"},
        "applicant": ref("Applicant"),
        "channel": {"type": "string", "enum": ["direct", "online", "postal"], "default": "direct"},
        "outcome": {"type": "string", "enum": ["receive", "request_supplement", "refuse", "submit_online"],
                    "default": "receive"},
        "documents": {"type": "array", "maxItems": 100, "items": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 500},
                           "provided": {"type": "boolean"}},
        }},
        "missing_items": {"type": "array", "maxItems": 100,
                          "items": {"type": "string", "maxLength": 500}},
        "reason": {"type": "string", "maxLength": 2000},
        "note": {"type": "string", "maxLength": 2000},
        # 766 facts recorded at reception (docs/integration.md, "Files and digitisation").
        "vneid_verified": {"type": "boolean", "default": False},
        "payment_channel": {"type": "integer", "enum": [1, 2],
                            "description": "1 Nền tảng thanh toán quốc gia, 2 cổng của tỉnh; bỏ trống: không "
                                           "trực tuyến"},
    },
})
register_schema("ActionRequest", {
    "type": "object", "additionalProperties": False,
    "description": "Fields used by the action; the rest are ignored by it.",
    "properties": {
        "version": {"type": "integer", "minimum": 1,
                    "description": "The dossier version you read; a different current version → 409."},
        "reason": {"type": "string", "maxLength": 2000},
        "note": {"type": "string", "maxLength": 2000},
        "missing_items": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 500}},
        "officer": {"type": "string", "maxLength": 60, "description": "username (assign)"},
        "new_due_at": {"type": "string", "format": "date-or-date-time", "maxLength": 40,
                       "description": "apologise: a date (end of that office day) or a date-time"},
        "to_agency": {"type": "string", "maxLength": 20, "description": "agency identifier"},
        "result": {"type": "string", "maxLength": 2000,
                   "description": "complete: required (the result handed to the citizen); a dossier with "
                                  "attached components needs an attached result file too"},
        "method": {"type": "string", "enum": ["direct", "postal", "online"]},
        "receiver": {"type": "string", "maxLength": 200},
    },
})
register_schema("Event", {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "action": _STR,
        "from_status": {"type": "string", "nullable": True}, "to_status": _STR,
        "actor": {"type": "string", "nullable": True}, "agency": {"type": "string", "nullable": True},
        "note": _STR, "payload": {"type": "object"},
    },
})
register_schema("Dossier", {
    "type": "object",
    "properties": {
        "code": {"type": "string", "example": "000.01.31.H25-260302-0001"},
        "status": {"type": "string", "enum": [s.value for s in DossierStatus]},
        "status_label": _STR,
        "national_status_code": {"type": "integer", "minimum": 1, "maximum": 10},
        "procedure": {"type": "object", "properties": {"code": _STR, "name": _STR}},
        "channel": _STR,
        "applicant": ref("Applicant"),
        "receiving_agency": _STR, "current_agency": _STR,
        "assignee": {"type": "string", "nullable": True},
        "submitted_at": _DT, "received_at": _DT, "clock_start_at": _DT,
        "due_at": _DT, "promised_due_at": _DT, "finished_at": _DT, "returned_at": _DT,
        "updated_at": _DT,
        "supplement_count": {"type": "integer"}, "version": {"type": "integer"},
        "timing": {"type": "string", "nullable": True},
        "working_time_left_minutes": {"type": "integer", "nullable": True},
        "time_left_label": {"type": "string", "nullable": True},
        "allowed_actions": {"type": "array", "items": _STR},
        "events": {"type": "array", "items": ref("Event")},
        "secret": {"type": "string", "description": "Lookup secret: only in the 201 answer, once."},
    },
})
register_schema("Agency", {
    "type": "object",
    "properties": {
        "identifier": _STR, "name": _STR, "short_name": _STR, "level": _STR, "kind": _STR,
        "parent": {"type": "string", "nullable": True}, "office_hours": _STR, "timezone": _STR,
        "valid_from": {"type": "string", "format": "date"},
        "valid_to": {"type": "string", "format": "date", "nullable": True},
        "successor": {"type": "string", "nullable": True},
    },
})
register_schema("Procedure", {
    "type": "object",
    "properties": {
        "code": _STR, "name": _STR, "field": _STR, "level": _STR,
        "limit": {"type": "number"}, "unit": {"type": "string",
                                               "enum": ["working_days", "working_hours", "calendar_days"]},
        "online_limit": {"type": "number", "nullable": True},
        "cutoff": {"type": "string", "nullable": True, "example": "15:00"},
        "supplement_regime": {"type": "string", "enum": ["pause", "restart"]},
        "documents": {"type": "array", "items": _STR},
        "steps": {"type": "array", "items": {"type": "object", "properties": {
            "seq": {"type": "integer"}, "agency_kind": _STR, "share_percent": {"type": "number"},
            "name": _STR}}},
    },
})
register_schema("Lookup", {
    "type": "object",
    "description": "Open311 GeoReport v2 style service request, plus the national status code.",
    "properties": {
        "service_request_id": _STR, "status": _STR, "status_notes": _STR, "service_name": _STR,
        "agency_responsible": _STR, "requested_datetime": _DT, "updated_datetime": _DT,
        "expected_datetime": _DT, "national_status_code": {"type": "integer"},
        "working_time_left_minutes": {"type": "integer", "nullable": True},
        "time_left_label": {"type": "string", "nullable": True},
    },
})
_FORM06_ROW = {
    "type": "object",
    "properties": {k: {"type": "integer"} for k in (
        "received_total", "received_online", "received_direct_postal", "carried_over",
        "resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
        "in_progress_total", "in_progress_within", "in_progress_overdue")} | {"field": _STR},
}
register_schema("Form06Row", _FORM06_ROW)
register_schema("Form06", {
    "type": "object",
    "properties": {"agency": _STR, "from": {"type": "string", "format": "date"},
                   "to": {"type": "string", "format": "date"},
                   "by": {"type": "string", "enum": ["desk", "resolver"]},
                   "as_of": {"type": "string", "format": "date-time",
                             "description": "Số liệu tính đến: the earlier of now and the period's end"},
                   "rows": {"type": "array", "items": ref("Form06Row")}, "totals": ref("Form06Row")},
})
register_schema("Scores", {
    "type": "object",
    "properties": {
        "agency": _STR, "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "as_of": {"type": "string", "format": "date-time"},
        "by": {"type": "string", "enum": ["desk", "resolver"]},
        "criteria": {"type": "array", "items": {"type": "object", "properties": {
            "rule_set": _STR, "criterion": _STR, "title": _STR, "measure": _STR,
            "value": {"type": "number", "nullable": True}, "points": {"type": "number"},
            "max_points": {"type": "number"}}}},
        "what_if": {"type": "object"},
    },
})

_CODE_PARAM = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}
_AGENCY_Q = {"name": "agency", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 20}}
_FROM_Q = {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}
_TO_Q = {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}
_BY_Q = {"name": "by", "in": "query", "required": False,
         "description": "desk: by receiving desk; resolver: by resolving agency (default for a head)",
         "schema": {"type": "string", "enum": ["desk", "resolver"]}}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

register_path("/api/v1/dossiers", {"post": {
    "operationId": "createDossier",
    "summary": "Tiếp nhận hồ sơ (receive / request supplement / refuse / online)",
    "security": _BEARER,
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": ref("DossierCreate"),
        "example": {"procedure_code": "1.004884", "channel": "direct", "outcome": "receive",
                    "applicant": {"name": "Nguyễn Văn An", "id_number": "001090012345",
                                  "phone": "0912345678", "address": "Xóm Mới, xã Tân Lạc"},
                    "documents": [{"name": "Tờ khai", "provided": True}]},
    }}},
    "parameters": [{
        "name": "Idempotency-Key", "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
        "description": (
            "Optional; a fresh value (e.g. a UUID) per dossier you mean to receive. A retry with the same "
            "key and the same body (any key order or spacing) within 24 hours gets the first answer again "
            "— the same status, dossier code and secret, with `Idempotent-Replayed: true` — and receives "
            "nothing new, even when the first request's answer was lost or two copies race. The same key "
            "with another body is refused (422 `idempotency_key_reused`). Keys are per user (token owner)."
        ),
    }],
    "responses": {"201": _json(ref("Dossier"), "Created (or, with a replayed Idempotency-Key, the first "
                                               "answer again); `secret` is shown only here."),
                  "400": _error_response("Idempotency-Key sai dạng (`invalid_idempotency_key`), hoặc văn "
                                         "bản chứa NUL / ký tự thay thế UTF-16 đứng lẻ (`invalid_text`)."),
                  "422": _error_response("Dữ liệu không hợp lệ (fields; JSON không đọc được), hoặc "
                                         "`idempotency_key_reused`: khóa đã dùng cho nội dung khác."),
                  **ERRORS_STAFF},
}})
register_path("/api/v1/dossiers/{code}", {"get": {
    "operationId": "getDossier", "summary": "Hồ sơ và nhật ký xử lý", "security": _BEARER,
    "parameters": [_CODE_PARAM],
    "responses": {"200": _json(ref("Dossier")),
                  "404": _error_response("Không có, hoặc người dùng không được xem."), **ERRORS_STAFF},
}})
register_path("/api/v1/dossiers/{code}/actions/{action}", {"post": {
    "operationId": "actOnDossier", "summary": "Thực hiện một thao tác trên hồ sơ", "security": _BEARER,
    "parameters": [_CODE_PARAM, {"name": "action", "in": "path", "required": True, "schema": {
        "type": "string",
        "enum": [a.value for a in DossierAction if a is not DossierAction.REISSUE_SECRET]}}],
    "requestBody": {"required": False, "content": {"application/json": {
        "schema": ref("ActionRequest"), "example": {"reason": "Thiếu giấy tờ", "missing_items": ["Tờ khai"],
                                                    "version": 2}}}},
    "responses": {"200": _json(ref("Dossier")), "404": _error_response("Không tìm thấy hồ sơ / thao tác."),
                  "409": _error_response("Sai trạng thái, hoặc hồ sơ đã thay đổi (code=conflict)."),
                  "422": _error_response("Dữ liệu không hợp lệ (fields)."), **ERRORS_STAFF},
}})
register_path("/api/v1/agencies", {"get": {
    "operationId": "listAgencies", "summary": "Danh mục cơ quan (cây)", "security": _BEARER,
    "responses": {"200": _json({"type": "object", "properties": {
        "agencies": {"type": "array", "items": ref("Agency")}}}), **ERRORS_STAFF},
}})
register_path("/api/v1/procedures", {"get": {
    "operationId": "listProcedures", "summary": "Danh mục thủ tục hành chính", "security": _BEARER,
    "responses": {"200": _json({"type": "object", "properties": {
        "procedures": {"type": "array", "items": ref("Procedure")}}}), **ERRORS_STAFF},
}})
register_path("/api/v1/openapi.json", {"get": {
    "operationId": "openapi", "summary": "This document", "security": [],
    "responses": {"200": _json({"type": "object"})},
}})
# Served by other areas (citizen lookup, reports, scoring): described here so the
# document covers the whole public surface of docs/architecture.md §3.
register_path("/api/v1/lookup/{code}", {"get": {
    "operationId": "lookupDossier", "summary": "Tra cứu công khai (mã hồ sơ + mã bí mật)", "security": [],
    "parameters": [
        _CODE_PARAM,
        {"name": "secret", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 40},
         "description": "Mã bí mật in trên giấy tiếp nhận (hoặc dùng phone4)."},
        {"name": "phone4", "in": "query", "required": False,
         "schema": {"type": "string", "pattern": "^[0-9]{4}$"},
         "description": "4 số cuối điện thoại đã đăng ký (thay cho mã bí mật)."},
        {"name": "lang", "in": "query", "required": False, "schema": {"type": "string", "enum": ["vi", "en"]},
         "description": "Ngôn ngữ của nhãn (mặc định vi); API không dùng cookie."},
    ],
    "responses": {"200": _json(ref("Lookup")),
                  "400": _error_response("Dữ liệu chứa ký tự không hợp lệ (NUL)."),
                  "404": _error_response("Sai mã hồ sơ hoặc mã bí mật."),
                  "429": _error_response("Quá nhiều yêu cầu (kèm Retry-After).")},
}})
register_path("/api/v1/reports/form06", {"get": {
    "operationId": "form06", "summary": "Mẫu 06: tình hình giải quyết hồ sơ", "security": _BEARER,
    "parameters": [_AGENCY_Q, _FROM_Q, _TO_Q, _BY_Q],
    "responses": {"200": _json(ref("Form06")), "422": _error_response("Tham số không hợp lệ."),
                  **ERRORS_STAFF},
}})
register_path("/api/v1/scores", {"get": {
    "operationId": "scores", "summary": "Chấm điểm (Quyết định 766, PAR index)", "security": _BEARER,
    "parameters": [_AGENCY_Q, _FROM_Q, _TO_Q, _BY_Q],
    "responses": {"200": _json(ref("Scores")), "422": _error_response("Tham số không hợp lệ."),
                  **ERRORS_STAFF},
}})
