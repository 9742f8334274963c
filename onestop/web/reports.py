"""Blueprint 'reports': the head dashboard, Form 06 (page, XLSX, close period, JSON API), delay
attribution along liên thông chains, and charts. Read-only except closing a period."""
from __future__ import annotations

from datetime import date
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..database.replica import reports_session
from ..domain.errors import DomainError
from ..domain.metrics import FORM06_COLUMNS
from ..extensions import csrf, db
from ..models import Agency, Procedure, User
from ..services.admin.accounts import user_for_token
from ..services.admin.agencies import in_subtree
from ..services.admin.calendars import calendar_for
from ..services.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from ..services.public import feedback as citizen_svc
from ..services.reporting import exports, reports
from ..services.reporting.replica import replica_as_of
from . import sentences
from .auth import View, roles_required, utcnow
from .errors import json_error
from .i18n import local_tz
from .sentences import error_text

bp = Blueprint("reports", __name__)
ROLES = ("head", "admin")
PERIOD_KINDS = ("month", "quarter", "year", "custom")


# ---------------------------------------------------------------- helpers

def _root_of(user: User) -> Agency:
    if user.role == "admin":
        root = db.session.scalar(select(Agency).where(Agency.parent_id.is_(None)).order_by(Agency.id))
        return root or user.agency
    return user.agency


def _pick_agency(user: User, identifier: str | None) -> Agency:
    """The agency asked for, which must lie in the user's subtree (admins: anywhere)."""
    base = _root_of(user)
    if not identifier:
        return base
    agency: Agency | None = db.session.scalar(select(Agency).where(Agency.identifier == identifier.strip()))
    if agency is None:
        raise NotFound(f"Không có cơ quan với mã '{identifier}'.")
    if user.role != "admin" and not in_subtree(base, agency):
        raise Forbidden("Chỉ xem được báo cáo của cơ quan mình và các đơn vị trực thuộc.")
    return agency


def _default_by(user: User) -> str:
    """A head's default view is their agency as resolver (docs/rules.md, "Form 06 and the on-time
    rate"); an admin sees the province by receiving desk."""
    return "resolver" if user.role == "head" else "desk"


def _period_from_args(args: Any) -> tuple[str, str, date, date]:
    kind = args.get("kind") or "month"
    if kind not in PERIOD_KINDS:
        kind = "month"
    today = utcnow().astimezone(_tz()).date()
    value = (args.get("value") or "").strip()
    if not value and (args.get("year") or "").strip():
        value = _picked_value(kind, args)
    if not value:
        value = {"month": f"{today.year:04d}-{today.month:02d}",
                 "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
                 "year": str(today.year), "custom": ""}[kind]
    start, end = reports.parse_period(kind, value, args.get("from", ""), args.get("to", ""))
    return kind, value, start, end


def _picked_value(kind: str, args: Any) -> str:
    """The period picked from the year / month / quarter lists, as the value ``parse_period`` reads
    (``YYYY-MM``, ``YYYY-Qn``, ``YYYY``); bad picks get parse_period's clear error."""
    year = (args.get("year") or "").strip()[:4]
    if kind == "month":
        return f"{year}-{(args.get('month') or '').strip()[:2].zfill(2)}"
    if kind == "quarter":
        return f"{year}-Q{(args.get('quarter') or '').strip()[:1]}"
    return year if kind == "year" else ""


def _tz() -> Any:
    return local_tz()


def _int_arg(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


def _filters() -> reports.OverdueFilters:
    channel = request.args.get("channel", "")
    return reports.OverdueFilters(
        department_id=_int_arg("department"),
        officer_id=_int_arg("officer"),
        procedure_code=(request.args.get("procedure") or "").strip()[:20],
        field=(request.args.get("field") or "").strip()[:120],
        channel=channel if channel in ("direct", "online", "postal", "direct_postal") else "",
        min_days_late=min(_int_arg("late") or 0, 365),
    )


def _flash_error(exc: Exception) -> None:
    if isinstance(exc, ValidationFailed):
        for msg in exc.errors.values():
            flash(error_text(msg), "danger")
    else:
        flash(str(exc.args[0] if exc.args else exc), "danger")


# ---------------------------------------------------------------- dashboard

@bp.get("/reports/dashboard")
@roles_required(*ROLES)
def dashboard() -> Any:
    now = utcnow()
    try:
        agency = _pick_agency(current_user, request.args.get("agency"))
        filters = _filters()
        # ?by=desk|resolver counts exactly Form 06's "in progress" for that scope (docs/rules.md);
        # without it, what the lists below show: received by the subtree or held by it now.
        by = request.args.get("by") or None
        counts = reports.head_dashboard(db.session, agency, now=now, by=by)
        overdue = reports.overdue_list(db.session, agency, filters, now=now, after=request.args.get("after"))
        soon = reports.due_soon_list(db.session, agency, now=now, limit=20)
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(url_for("reports.dashboard"), 303)
    agencies = reports.subtree_agencies(db.session, _root_of(current_user))
    scope = reports.subtree_agencies(db.session, agency)
    officers = list(db.session.scalars(
        select(User).where(User.agency_id.in_([a.id for a in scope]), User.role.in_(("officer", "head")),
                           User.active.is_(True)).order_by(User.full_name)))
    procedures = list(db.session.scalars(select(Procedure).order_by(Procedure.code)))
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template(
        "reports/dashboard.html", agency=agency, counts=counts, overdue=overdue, soon=soon, filters=filters,
        agencies=agencies, scope=scope, officers=officers, procedures=procedures,
        fields=reports.fields_in_use(db.session), args=args, now=now,
    )


@bp.get("/reports/overdue.<fmt>")
@roles_required(*ROLES)
def overdue_export(fmt: str) -> Any:
    if fmt not in ("xlsx", "csv"):
        abort(404)
    try:
        agency = _pick_agency(current_user, request.args.get("agency"))
        filters = _filters()
        rows: list[reports.OpenRow] = []
        after = None
        with reports_session() as rs:  # the read replica when configured; its moment tolerates lag
            now = replica_as_of(rs, utcnow())
            while len(rows) < 20000:  # keyset pages of 500: the export never loads more than it writes
                page = reports.overdue_list(rs, agency, filters, now=now, after=after, limit=500)
                rows += page.rows
                after = page.next_after
                if after is None:
                    break
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(url_for("reports.dashboard"), 303)
    stamp = now.astimezone(_tz()).strftime("%Y%m%d")
    name = f"ho-so-qua-han-{agency.identifier}-{stamp}.{fmt}"
    if fmt == "csv":
        body = exports.overdue_csv(rows, late_text=sentences.time_left_text, tz=agency.timezone)
        mime = "text/csv; charset=utf-8"
    else:
        title = _("Danh sách hồ sơ quá hạn — %(name)s", name=agency.name)
        body = exports.overdue_workbook(rows, title=title, late_text=sentences.time_left_text,
                                        tz=agency.timezone)
        mime = exports.XLSX_MIME
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------- Form 06

@bp.get("/reports/form06")
@roles_required(*ROLES)
def form06() -> Any:
    try:
        agency = _pick_agency(current_user, request.args.get("agency"))
        kind, value, start, end = _period_from_args(request.args)
        by = reports.check_by(request.args.get("by") or _default_by(current_user))
        with reports_session() as rs:  # the read replica when configured; its moment tolerates lag
            report = reports.form06(rs, agency, start, end, now=replica_as_of(rs, utcnow()), by=by)
        snapshot = reports.snapshot_for(db.session, agency, start, end) if by == "desk" else None
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(url_for("reports.form06"), 303)
    if request.args.get("format") == "xlsx":
        return _form06_xlsx(report)
    today = utcnow().astimezone(_tz()).date()
    return render_template(
        "reports/form06.html", report=report, agency=agency, kind=kind, value=value, start=start, end=end,
        snapshot=snapshot, closable=snapshot is None and end < today and by == "desk", columns=FORM06_COLUMNS,
        by=by,
        agencies=reports.subtree_agencies(db.session, _root_of(current_user)),
        headers=exports.FORM06_SUBHEADERS, groups=exports.FORM06_GROUPS,
        args={k: v for k, v in request.args.items() if v},
    )


def _form06_xlsx(report: reports.Form06) -> Response:
    body = exports.form06_workbook(report, generated_at=utcnow())
    name = f"mau-06-{report.agency.identifier}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.xlsx"
    return Response(body, mimetype=exports.XLSX_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/reports/form06/close")
@roles_required(*ROLES)
def close_period() -> Any:
    form = request.form
    period: dict[str, Any] = {"from": form.get("from"), "to": form.get("to")}
    back = url_for("reports.form06", agency=form.get("agency"), kind=form.get("kind"),
                   value=form.get("value"), **period)
    try:
        agency = _pick_agency(current_user, form.get("agency"))
        _kind, _value, start, end = _period_from_args(form)
        reports.close_period(db.session, agency, start, end, actor=current_user, now=utcnow(),
                             note=(form.get("note") or "").strip())
        db.session.commit()
    except Forbidden:
        db.session.rollback()
        abort(403)
    except (ServiceError, DomainError) as exc:
        db.session.rollback()
        _flash_error(exc)
        return redirect(back, 303)
    flash(_("Đã chốt số liệu kỳ báo cáo %(a)s – %(b)s.", a=start.strftime("%d/%m/%Y"),
            b=end.strftime("%d/%m/%Y")),
          "success")
    return redirect(back, 303)


# ---------------------------------------------------------------- delays, charts

@bp.get("/reports/delays")
@roles_required(*ROLES)
def delays() -> Any:
    try:
        agency = _pick_agency(current_user, request.args.get("agency"))
        kind, value, start, end = _period_from_args(request.args)
        report = reports.delay_attribution(db.session, agency, start, end, now=utcnow())
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(url_for("reports.delays"), 303)
    # Minutes are shown as working days and hours of this agency's office day (docs/guide-head.md).
    minutes_per_day = calendar_for(db.session, agency).minutes_per_day
    return render_template("reports/delays.html", report=report, agency=agency, kind=kind, value=value,
                           start=start, end=end, minutes_per_day=minutes_per_day,
                           agencies=reports.subtree_agencies(db.session, _root_of(current_user)),
                           args={k: v for k, v in request.args.items() if v})


@bp.get("/reports/charts")
@roles_required(*ROLES)
def charts() -> Any:
    try:
        agency = _pick_agency(current_user, request.args.get("agency"))
    except Forbidden:
        abort(403)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(url_for("reports.charts"), 303)
    return render_template("reports/charts.html", agency=agency,
                           agencies=reports.subtree_agencies(db.session, _root_of(current_user)))


@bp.get("/reports/charts/data.json")
@roles_required(*ROLES)
def chart_data() -> Any:
    try:
        agency = _pick_agency(current_user, request.args.get("agency"))
    except Forbidden:
        return json_error(403, "forbidden", "Không có quyền với cơ quan này.")
    except ServiceError as exc:
        return json_error(exc.status_code, exc.code, str(exc))
    now = utcnow()
    data = reports.chart_series(db.session, agency, now=now)
    # The citizens' ratings over the same window, for the satisfaction chart (docs/guide-head.md).
    start = reports.period_bounds(date.fromisoformat(data["from"]), date.fromisoformat(data["to"]),
                                  _tz())[0]
    sat = citizen_svc.satisfaction_figures(db.session, agency, start, now, now=now)
    data["satisfaction"] = {"ratings": sat.ratings, "satisfied": sat.satisfied,
                            "dissatisfied": sat.dissatisfied, "complaints": sat.complaints}
    return jsonify(data)


# ---------------------------------------------------------------- JSON API

def _api_user() -> User | None:
    """A bearer token (staff systems) or the signed-in session (the app's own pages); a GET that
    changes nothing, so a cookie carries no CSRF risk here."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        token = raw.strip()
        return user_for_token(db.session, token, now=utcnow()) if len(token) <= 200 else None
    return current_user if current_user.is_authenticated else None


def api_auth(fn: View) -> View:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        user = _api_user()
        if user is None or not user.active:
            db.session.rollback()
            resp, status = json_error(401, "unauthorized", "Cần token Bearer hoặc đăng nhập.")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="onestop"'
            return resp, status
        if user.role not in ROLES:
            return json_error(403, "forbidden", "Chỉ lãnh đạo hoặc quản trị được xem báo cáo.")
        g.report_user = user
        return fn(*args, **kwargs)
    return wrapper


@bp.get("/api/v1/reports/form06")
@csrf.exempt
@api_auth
def api_form06() -> Any:
    args = request.args
    missing = {k: "Bắt buộc." for k in ("agency", "from", "to") if not (args.get(k) or "").strip()}
    if missing:
        return json_error(422, "validation_failed", "Thiếu tham số agency, from, to.", fields=missing)
    try:
        start, end = reports.parse_period("custom", "", args["from"].strip(), args["to"].strip())
        agency = _pick_agency(g.report_user, args["agency"])
        by = reports.check_by(args.get("by") or _default_by(g.report_user))
        with reports_session() as rs:
            report = reports.form06(rs, agency, start, end, now=replica_as_of(rs, utcnow()), by=by)
    except ValidationFailed as exc:
        db.session.rollback()
        return json_error(422, "validation_failed", str(exc), fields=exc.errors)
    except ServiceError as exc:
        db.session.rollback()
        return json_error(exc.status_code, exc.code, str(exc))
    db.session.commit()  # read-only; keeps the token's last_used_at, ends the SET LOCAL
    data = report.as_json()
    data.pop("agency_name", None)
    return jsonify(data)


__all__ = ["Conflict", "bp"]
