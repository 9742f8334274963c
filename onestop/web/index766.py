"""The province's 766 score predicted: ``GET /index766`` (heads and admins),
``GET /api/v1/index766?agency=&period=[&by=][&trend=0]`` and its monthly trend alone,
``GET /api/v1/index766/trend`` (docs/integration.md, "The 766 index predicted"). The page shows the
index at once and draws the trend when its request answers (static/js/index766.js; without scripts,
``?trend=1`` renders it in the page). The scores page's criteria and what-if are computed by the same
service (services/reporting/scores.py) and shown here with the indicators behind them."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..database.replica import reports_session
from ..domain.errors import DomainError
from ..extensions import db
from ..integrations.dvcqg.client import PortalClient
from ..services.errors import ValidationFailed
from ..services.reporting.index766 import Index766, index766, monthly_trend, parse_index_period
from ..services.reporting.replica import replica_as_of
from ..services.reporting.scores import seed_scoring_rules
from . import sentences
from .auth import roles_required, utcnow
from .scores import ROLES, _agencies, _by, _today, _tz, api_refusal, input_error, rule_error
from .sentences import error_text

bp = Blueprint("index766", __name__)


def _published(period: str) -> dict[str, Any] | None:
    """The score the portal published for the period (report_tinh_766_service), when the portal is
    configured and answers; None otherwise (the page says so)."""
    if not current_app.config.get("DVCQG_URL"):
        return None
    try:
        row = PortalClient.from_config(current_app.config).report_766(period)
    except Exception:  # noqa: BLE001 - the prediction stands without the published score
        current_app.logger.warning("published 766 score for %s not available", period)
        return None
    return row or None


def _inputs(args: Any) -> tuple[Any, str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    allowed = {a.identifier: a for a in _agencies()}
    ident = (args.get("agency") or current_user.agency.identifier).strip()
    agency = allowed.get(ident)
    if agency is None:
        errors["agency"] = _("Không có cơ quan %(a)s trong phạm vi của bạn.", a=ident)
    period = (args.get("period") or f"{_today():%Y-%m}").strip()[:10]
    by = _by(args, errors)
    return agency, period, by, errors


def _compute(agency: Any, period: str, by: str, *, trend: bool) -> Index766:
    parse_index_period(period)  # a bad period is refused before the portal is asked
    published = _published(period.upper())
    _seed_rules()
    with reports_session() as rs:  # the read replica when configured; its moment tolerates lag
        result = index766(rs, agency, period, now=replica_as_of(rs, utcnow()), tz=_tz(), by=by,
                          published=published, trend=trend)
    db.session.commit()  # read-only from here; ends the request's transaction on the primary
    return result


def _seed_rules() -> None:
    if seed_scoring_rules(db.session, utcnow()):  # on the primary: a replica takes no writes
        db.session.commit()  # the default rules, seeded on first use


def _flag(args: Any, name: str, default: bool, errors: dict[str, str]) -> bool:
    value = (args.get(name) or "").strip()
    if value in ("", "0", "1"):
        return default if not value else value == "1"
    errors[name] = _("Tham số '%(name)s' phải là 0 hoặc 1.", name=name)
    return default


def _error_message(exc: ValidationFailed | DomainError) -> str:
    return "; ".join(map(error_text, exc.errors.values())) if isinstance(exc, ValidationFailed) else str(exc)


@bp.get("/index766")
@roles_required(*ROLES)
def page() -> Any:
    agency, period, by, errors = _inputs(request.args)
    with_trend = _flag(request.args, "trend", False, errors)
    result: Index766 | None = None
    if agency is not None and not errors:
        try:
            result = _compute(agency, period, by, trend=with_trend)
        except (ValidationFailed, DomainError) as exc:
            db.session.rollback()
            errors["period"] = _error_message(exc)
    for msg in errors.values():
        flash(msg, "danger")
    trend = json.dumps(result.trend if result else [])
    return render_template("scores/index766.html", result=result, agencies=_agencies(), agency=agency,
                           period=period, by=by, trend_json=trend, with_trend=with_trend), \
        (200 if not errors else 422)


def _api_answer(option: Callable[[dict[str, str]], Any],
                answer: Callable[[Any, str, str, Any], dict[str, Any]]) -> Any:
    """The two API endpoints' one pipeline: who may read, the common parameters and the endpoint's own
    (``option``, adding to the errors), then ``answer`` — a rule refusal leaves nothing behind."""
    refused = api_refusal()
    if refused is not None:
        return refused
    agency, period, by, errors = _inputs(request.args)
    chosen = option(errors)
    if errors:
        return input_error(errors)
    try:
        body = answer(agency, period, by, chosen)
    except (ValidationFailed, DomainError) as exc:
        db.session.rollback()
        return rule_error(exc)
    return jsonify(body)


@bp.get("/api/v1/index766")
def api() -> Any:
    return _api_answer(lambda errors: _flag(request.args, "trend", True, errors),
                       lambda agency, period, by, trend: _compute(agency, period, by, trend=trend).as_json(
                           sentences.scoring_rule_text))


@bp.get("/api/v1/index766/trend")
def trend_api() -> Any:
    """The monthly trend alone: what the page draws after showing the index."""
    return _api_answer(lambda errors: None, _trend_body)


def _trend_body(agency: Any, period: str, by: str, _option: Any) -> dict[str, Any]:
    parse_index_period(period)
    _seed_rules()
    with reports_session() as rs:  # same replica and moment as the index
        trend = monthly_trend(rs, agency, period, now=replica_as_of(rs, utcnow()), tz=_tz(), by=by)
    db.session.commit()
    return {"agency": {"identifier": agency.identifier, "name": agency.name},
            "period": period.strip().upper(), "by": by, "trend": trend}


def _describe_api() -> None:
    """The endpoint in the OpenAPI document (onestop/web/openapi.py's registry)."""
    from .openapi import ERRORS_STAFF, _error_response, _json, ref, register_path, register_schema

    register_schema("Index766", {
        "type": "object", "required": ["agency", "period", "as_of", "indicators", "total", "trend"],
        "properties": {
            "agency": {"type": "object"}, "period": {"type": "string"}, "from": {"type": "string"},
            "to": {"type": "string"}, "as_of": {"type": "string"}, "by": {"type": "string"},
            "indicators": {"type": "array", "items": {"type": "object", "required": [
                "criterion", "measured", "numerator", "denominator", "points", "max_points", "formula",
                "pulling_down"]}},
            "total": {"type": "object"}, "published": {"type": ["object", "null"]},
            "comparison": {"type": "array"}, "trend": {"type": "array"},
            "what_if": {"type": ["object", "null"]},
        }})
    common: list[dict[str, Any]] = [
        {"name": "agency", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 20}},
        {"name": "period", "in": "query", "required": False,
         "schema": {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}|-[Qq][1-4])?$"},
         "description": "YYYY-MM, YYYY-Qn hoặc YYYY"},
        {"name": "by", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["desk", "resolver"]}},
    ]
    register_path("/api/v1/index766", {"get": {
        "operationId": "index766", "summary": "Chỉ số 766 dự tính: từng chỉ số, hồ sơ kéo điểm, so với Cổng",
        "security": [{"bearer": []}],
        "parameters": [
            *common,
            {"name": "trend", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["0", "1"]},
             "description": "1 (mặc định): kèm điểm theo tháng; 0: không kèm"},
        ],
        "responses": {"200": _json(ref("Index766")), "400": _error_response("Tham số không hợp lệ."),
                      **ERRORS_STAFF},
    }})
    register_schema("Index766Trend", {
        "type": "object", "required": ["agency", "period", "by", "trend"],
        "properties": {"agency": {"type": "object"}, "period": {"type": "string"}, "by": {"type": "string"},
                       "trend": {"type": "array", "items": {"type": "object", "required": [
                           "month", "points", "no_data"]}}}})
    register_path("/api/v1/index766/trend", {"get": {
        "operationId": "index766Trend", "summary": "Điểm 766 dự tính theo tháng (từ tháng 1 đến hết kỳ)",
        "security": [{"bearer": []}],
        "parameters": common,
        "responses": {"200": _json(ref("Index766Trend")), "400": _error_response("Tham số không hợp lệ."),
                      **ERRORS_STAFF},
    }})


_describe_api()
