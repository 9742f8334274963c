"""Criterion scores (Decision 766/QĐ-TTg; the provincial PAR INDEX "TTHC reform" set): the score
page for heads and admins, ``GET /api/v1/scores`` and the admin's editing of the scoring rules."""
from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..database.replica import reports_session
from ..domain.errors import DomainError
from ..extensions import db
from ..models import Agency, ScoringRuleRow
from ..services.errors import ValidationFailed
from ..services.reporting.replica import replica_as_of
from ..services.reporting.scores import MEASURES, ScoreReport, score_agency, seed_scoring_rules, update_rule
from . import sentences
from .auth import roles_required, utcnow
from .errors import json_error
from .forms import attach_errors
from .sentences import error_text

bp = Blueprint("scores", __name__)

ROLES = ("head", "admin")


def _tz() -> str:
    return str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(_tz())).date()


def _agencies() -> list[Agency]:
    """Agencies the user may score: an admin all, a head their own subtree."""
    q = select(Agency).where(Agency.valid_to.is_(None)).order_by(Agency.path)
    if current_user.role != "admin":
        q = q.where(Agency.path.like(current_user.agency.path + "%"))
    return list(db.session.scalars(q))


def _parse_date(value: str | None, default: date, name: str, errors: dict[str, str]) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = _("Ngày không hợp lệ: %(v)s (dạng YYYY-MM-DD).", v=value)
        return default


def _by(args: Any, errors: dict[str, str]) -> str:
    """``by=desk|resolver``; a head's default is their agency as resolver (docs/rules.md)."""
    by = (args.get("by") or ("resolver" if current_user.role == "head" else "desk")).strip()
    if by not in ("desk", "resolver"):
        errors["by"] = _("Tham số 'by' phải là 'desk' (theo nơi tiếp nhận) hoặc 'resolver' (theo cơ quan "
                         "giải quyết).")
        by = "desk"
    return by


def _inputs(args: Any) -> tuple[Agency | None, date, date, int, dict[str, str]]:
    errors: dict[str, str] = {}
    today = _today()
    start = _parse_date(args.get("from"), date(today.year, 1, 1), "from", errors)
    end = _parse_date(args.get("to"), today, "to", errors)
    if end < start:
        errors["to"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
    try:
        days = int(args.get("days", 3))
    except ValueError:
        days = 3
        errors["days"] = _("Số ngày làm việc phải là số nguyên.")
    if not 0 <= days <= 60:
        errors["days"] = _("Số ngày làm việc từ 0 đến 60.")
        days = 3
    allowed = {a.identifier: a for a in _agencies()}
    ident = (args.get("agency") or current_user.agency.identifier).strip()
    agency = allowed.get(ident)
    if agency is None:
        errors["agency"] = _("Không có cơ quan %(a)s trong phạm vi của bạn.", a=ident)
    return agency, start, end, days, errors


def _score(agency: Agency, start: date, end: date, days: int | None, by: str) -> ScoreReport:
    """The scores and what-if read through the reports session (docs/operations.md, "The reports
    replica"), at its lag-tolerant moment; the default rules are seeded on the primary first."""
    if seed_scoring_rules(db.session, utcnow()):  # a replica takes no writes
        db.session.commit()  # the default rules, seeded on first use
    with reports_session() as rs:  # the read replica when configured; its moment tolerates lag
        report = score_agency(rs, agency, start, end, now=replica_as_of(rs, utcnow()), tz=_tz(),
                              what_if_days=days, by=by)
    db.session.commit()  # read-only from here; ends the request's transaction on the primary
    return report


@bp.get("/scores")
@roles_required(*ROLES)
def index() -> Any:
    agency, start, end, days, errors = _inputs(request.args)
    for msg in errors.values():
        flash(msg, "danger")
    report: ScoreReport | None = None
    if agency is not None and not errors:
        try:
            report = _score(agency, start, end, days, _by(request.args, errors))
        except (ValidationFailed, DomainError) as exc:
            db.session.rollback()
            flash("; ".join(map(error_text, exc.errors.values())) if isinstance(exc, ValidationFailed)
                  else str(exc), "danger")
    return render_template("scores/index.html", report=report, agencies=_agencies(),
                           agency=agency, start=start, end=end, days=days, measures=MEASURES,
                           by=report.by if report else _by(request.args, {})), \
        (200 if not errors else 422)

# ------------------------------------------------------------------ the score readers' JSON answers
# Shared by /api/v1/scores and /api/v1/index766 (web/index766.py): the same callers, the same errors.

def api_refusal() -> Any | None:
    """401 without a session or token, 403 for a role that may not read scores; None when allowed."""
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", "Cần đăng nhập hoặc mã truy cập (Bearer token).")
    if current_user.role not in ROLES:
        return json_error(403, "forbidden", "Chỉ lãnh đạo và quản trị xem được điểm chỉ số.")
    return None


def input_error(errors: dict[str, str]) -> Any:
    """An unknown agency alone is a 404; any other bad parameter a 400 naming the fields."""
    status = 404 if set(errors) == {"agency"} else 400
    return json_error(status, "not_found" if status == 404 else "invalid", "; ".join(errors.values()),
                      fields=errors)


def rule_error(exc: ValidationFailed | DomainError) -> Any:
    if isinstance(exc, ValidationFailed):
        return json_error(400, exc.code, str(exc), fields=exc.errors)
    return json_error(400, "invalid", str(exc))


@bp.get("/api/v1/scores")
def api_scores() -> Any:
    """``GET /api/v1/scores?agency=&from=&to=[&days=]`` (bearer token or session)."""
    refused = api_refusal()
    if refused is not None:
        return refused
    agency, start, end, days, errors = _inputs(request.args)
    by = _by(request.args, errors)
    if errors:
        return input_error(errors)
    assert agency is not None
    try:
        report = _score(agency, start, end, days if "days" in request.args else None, by)
    except (ValidationFailed, DomainError) as exc:
        db.session.rollback()
        return rule_error(exc)
    return jsonify(report.as_json(sentences.scoring_rule_text))


# ------------------------------------------------------------------ admin: the rules


class RuleForm(FlaskForm):
    rule_id = HiddenField()
    title = StringField(_l("Tên tiêu chí"), validators=[Optional(), Length(max=500)])
    max_points = StringField(_l("Điểm tối đa"),
                             validators=[DataRequired(_l("Nhập điểm tối đa.")), Length(max=12)])
    kind = SelectField(_l("Cách tính điểm"), choices=[
        ("proportional", _l("Tỷ lệ (đủ điểm khi đạt ngưỡng)")), ("tiers", _l("Theo bậc"))])
    threshold = StringField(_l("Ngưỡng đạt điểm tối đa (ví dụ 0.9 hoặc 90%)"), validators=[Optional(),
                                                                                           Length(max=12)])
    tiers = TextAreaField(_l("Các bậc tỷ lệ:điểm, cách nhau bởi dấu ; (ví dụ 1:2; 0.95:1.5)"),
                          validators=[Optional(), Length(max=500)])
    effective_from = DateField(_l("Hiệu lực từ ngày"), validators=[DataRequired(_l("Nhập ngày hiệu lực."))])
    effective_to = DateField(_l("Hiệu lực đến ngày (để trống: chưa hết hiệu lực)"), validators=[Optional()])
    note = TextAreaField(_l("Căn cứ, ghi chú"), validators=[Optional(), Length(max=2000)])


@bp.route("/scores/rules", methods=["GET", "POST"])
@roles_required("admin")
def rules() -> Any:
    now = utcnow()
    if seed_scoring_rules(db.session, now):
        db.session.commit()
    rows = list(db.session.scalars(
        select(ScoringRuleRow).order_by(ScoringRuleRow.rule_set, ScoringRuleRow.id)))
    form = RuleForm()
    status = 200
    edit: ScoringRuleRow | None = None
    if request.method == "POST":
        rule_id = form.rule_id.data or ""
        edit = db.session.get(ScoringRuleRow, int(rule_id)) if rule_id.isdigit() else None
        if edit is None:
            abort(404)
        if form.validate():
            assert form.effective_from.data is not None  # DataRequired has passed
            try:
                update_rule(db.session, edit.id, title=form.title.data or "",
                            max_points=form.max_points.data or "",
                            kind=form.kind.data, threshold=form.threshold.data or "",
                            tiers=form.tiers.data or "",
                            effective_from=form.effective_from.data, effective_to=form.effective_to.data,
                            note=form.note.data or "", actor_id=current_user.id, now=now)
                db.session.commit()
                flash(_("Đã lưu tiêu chí %(c)s.", c=edit.criterion), "success")
                return redirect(url_for("scores.rules"), 303)
            except ValidationFailed as exc:
                db.session.rollback()
                attach_errors(form, exc)
        status = 422
    else:
        edit_id = request.args.get("edit", type=int)
        if edit_id:
            edit = db.session.get(ScoringRuleRow, edit_id)
            if edit is None:
                abort(404)
            form = RuleForm(data={
                "rule_id": str(edit.id), "title": edit.title, "max_points": str(edit.max_points),
                "kind": edit.kind, "threshold": str(edit.threshold) if edit.threshold is not None else "",
                "tiers": "; ".join(f"{b}:{p}" for b, p in (edit.tiers or [])),
                "effective_from": edit.effective_from, "effective_to": edit.effective_to, "note": edit.note})
    return render_template("scores/rules.html", rows=rows, form=form, edit=edit, measures=MEASURES), status
