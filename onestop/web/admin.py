"""Admin screens: the agency tree, staff accounts and API tokens,
the procedure catalogue with its liên thông chain, and calendar exceptions.
Admins only; every change goes through ``services.admin`` and is audited.

One-time secrets (a temporary password, a new API token) are rendered directly
in the POST's answer with ``Cache-Control: no-store`` instead of the usual 303:
putting them in the session to survive a redirect would write them into the
signed — not encrypted — session cookie.
"""
from __future__ import annotations

from datetime import time
from decimal import Decimal
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..domain.calendar import national_holidays
from ..domain.deadlines import LimitUnit
from ..domain.errors import DomainError
from ..extensions import db
from ..models import (
    AGENCY_KINDS,
    Agency,
    AgencyName,
    ApiToken,
    AuditLog,
    CalendarExceptionRow,
    Procedure,
    User,
)
from ..services.admin import agencies as agencies_svc
from ..services.admin import calendar_changes, calendars, people
from ..services.admin import procedures as procedures_svc
from ..services.dossiers.applicant import fold
from ..services.errors import ValidationFailed
from .auth import client_ip, roles_required, utcnow
from .forms import VNDateField, attach_errors
from .sentences import error_text

bp = Blueprint("admin", __name__, url_prefix="/admin")

REQUIRED = _l("Trường này là bắt buộc.")
LEVEL_LABELS = {"province": _l("Tỉnh"), "department": _l("Sở, ngành"), "centre": _l("Trung tâm"),
                "commune": _l("Xã, phường"), "unit": _l("Đơn vị")}
KIND_LABELS = {
    "people_committee": _l("Ủy ban nhân dân"), "service_centre": _l("Trung tâm PVHCC tỉnh"),
    "department": _l("Sở, ngành"), "police": _l("Công an"), "social_insurance": _l("Bảo hiểm xã hội"),
    "land_registry": _l("Văn phòng đăng ký đất đai"), "tax": _l("Thuế"),
    "commune_service_centre": _l("Trung tâm PVHCC xã"), "commune_police": _l("Công an xã"),
    "other": _l("Khác"),
}
ROLE_LABELS = {"clerk": _l("Cán bộ một cửa"), "officer": _l("Chuyên viên"), "head": _l("Lãnh đạo"),
               "admin": _l("Quản trị")}
UNIT_LABELS = {"working_days": _l("ngày làm việc"), "working_hours": _l("giờ làm việc"),
               "calendar_days": _l("ngày"), }
HOURS_RE = r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$"


def _agency_choices(blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(a.identifier, f"{'— ' * depth}{a.name} ({a.identifier})")
                            for a, depth in agencies_svc.agency_tree(db.session)]


# ------------------------------------------------------------------ forms

class AgencyCreateForm(FlaskForm):
    identifier = StringField(_l("Mã định danh"), validators=[DataRequired(REQUIRED), Length(max=20)])
    name = StringField(_l("Tên cơ quan"), validators=[DataRequired(REQUIRED), Length(max=255)])
    short_name = StringField(_l("Tên viết tắt"), validators=[Length(max=120)])
    level = SelectField(_l("Cấp"), choices=[(k, v) for k, v in LEVEL_LABELS.items()])
    kind = SelectField(_l("Loại"), choices=[(k, v) for k, v in KIND_LABELS.items()])
    parent = SelectField(_l("Cơ quan cấp trên"), choices=[], validate_choice=False)
    office_hours = StringField(_l("Giờ làm việc"), default="07:30-11:30,13:30-17:00", validators=[
        DataRequired(REQUIRED), Regexp(HOURS_RE, message=_l("Giờ làm việc dạng 07:30-11:30,13:30-17:00."))])
    valid_from = DateField(_l("Hoạt động từ ngày"), validators=[DataRequired(_l("Nhập ngày (dd/mm/yyyy)."))])


class AgencyEditForm(FlaskForm):
    name = StringField(_l("Tên cơ quan"), validators=[DataRequired(REQUIRED), Length(max=255)])
    short_name = StringField(_l("Tên viết tắt"), validators=[Length(max=120)])
    parent = SelectField(_l("Cơ quan cấp trên"), choices=[], validate_choice=False)
    office_hours = StringField(_l("Giờ làm việc"), validators=[
        DataRequired(REQUIRED), Regexp(HOURS_RE, message=_l("Giờ làm việc dạng 07:30-11:30,13:30-17:00."))])
    valid_to = DateField(_l("Thôi hoạt động từ ngày (sáp nhập, giải thể)"), validators=[Optional()])
    successor = SelectField(_l("Cơ quan tiếp nhận nhiệm vụ (sáp nhập)"), choices=[], validate_choice=False)


class UserCreateForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[
        DataRequired(REQUIRED), Length(min=3, max=60, message=_l("Tên đăng nhập 3–60 ký tự.")),
        Regexp(r"^[a-z0-9][a-z0-9._-]*$", message=_l("Chỉ gồm chữ thường không dấu, số, dấu . _ -"))])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Vai trò"), choices=[(k, v) for k, v in ROLE_LABELS.items()])
    agency = SelectField(_l("Cơ quan"), choices=[], validate_choice=False,
                         validators=[DataRequired(_l("Chọn cơ quan."))])


class UserEditForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)])
    role = SelectField(_l("Vai trò"), choices=[(k, v) for k, v in ROLE_LABELS.items()])
    agency = SelectField(_l("Cơ quan"), choices=[], validate_choice=False,
                         validators=[DataRequired(_l("Chọn cơ quan."))])


class AuditFilterForm(FlaskForm):
    """GET filters of the audit log; no CSRF on a read."""

    class Meta:
        csrf = False

    actor = StringField(_l("Người thực hiện (tên đăng nhập)"), validators=[Optional(), Length(max=60)])
    action = SelectField(_l("Thao tác"), choices=[], validate_choice=False, default="")
    date_from = VNDateField(_l("Từ ngày"), validators=[Optional()])
    date_to = VNDateField(_l("Đến ngày"), validators=[Optional()])
    dossier = StringField(_l("Mã hồ sơ"), validators=[Optional(), Length(max=40)])


class TokenForm(FlaskForm):
    name = StringField(_l("Tên token (hệ thống sử dụng)"),
                       validators=[DataRequired(REQUIRED), Length(max=80)])


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token (deactivate, reset, revoke, delete)."""


class StepForm(Form):
    # Chosen from the agency kinds and the departments that exist, never typed (choices per request).
    agency_kind = SelectField(_l("Cơ quan thực hiện"), choices=[], validate_choice=False)
    share_percent = DecimalField(_l("Tỷ lệ thời gian (%)"), places=2, validators=[
        Optional(), NumberRange(min=0.01, max=100, message=_l("Tỷ lệ từ 0 đến 100%."))])
    name = StringField(_l("Tên bước"), validators=[Optional(), Length(max=200)])


class ProcedureForm(FlaskForm):
    name = TextAreaField(_l("Tên thủ tục"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    field = StringField(_l("Lĩnh vực"), validators=[DataRequired(REQUIRED), Length(max=120)])
    level = SelectField(_l("Cấp thực hiện"), choices=[("xa", _l("Cấp xã")), ("tinh", _l("Cấp tỉnh")),
                                                       ("trung_uong", _l("Cấp trung ương"))])
    fee = TextAreaField(_l("Phí, lệ phí"), validators=[Optional(), Length(max=4000)])
    limit_value = DecimalField(_l("Thời hạn giải quyết"), places=2, validators=[
        InputRequired(_l("Nhập thời hạn (0 = trong ngày).")),
        NumberRange(min=0, max=1000, message=_l("Thời hạn từ 0 đến 1000."))])
    limit_unit = SelectField(_l("Đơn vị"),
                             choices=[(u.value, UNIT_LABELS.get(u.value, u.value)) for u in LimitUnit])
    cutoff = StringField(_l("Giờ chốt nhận trong ngày (HH:MM)"), validators=[
        Optional(), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Giờ dạng HH:MM, ví dụ 15:00."))])
    supplement_regime = SelectField(_l("Khi bổ sung hồ sơ"), choices=[
        ("pause", _l("Tạm dừng thời hạn, tính tiếp")), ("restart", _l("Tính lại thời hạn từ đầu"))])
    documents = TextAreaField(_l("Thành phần hồ sơ (mỗi dòng một giấy tờ)"), validators=[Length(max=20000)])
    steps = FieldList(FormField(StepForm), min_entries=6, max_entries=6)


class ProcedureCreateForm(ProcedureForm):
    code = StringField(_l("Mã thủ tục (CSDL quốc gia)"), validators=[DataRequired(REQUIRED), Length(max=20)])


class CalendarForm(FlaskForm):
    on_date = DateField(_l("Ngày"), validators=[DataRequired(_l("Nhập ngày (dd/mm/yyyy)."))])
    working = SelectField(_l("Loại ngoại lệ"), choices=[
        ("0", _l("Ngày nghỉ (đóng cửa)")), ("1", _l("Ngày làm việc bù"))])
    note = StringField(_l("Lý do"), validators=[DataRequired(REQUIRED), Length(max=255)])
    agency = SelectField(_l("Phạm vi"), choices=[], validate_choice=False)


# ------------------------------------------------------------------ helpers

def _flash_errors(exc: ValidationFailed | DomainError) -> None:
    if isinstance(exc, ValidationFailed):
        for msg in exc.errors.values():
            flash(error_text(msg), "danger")
    else:
        flash(exc.message, "danger")


class _Saving:
    """One admin change as one unit of work: committed when the ``with`` block ends; a change the
    service refuses (field errors; with ``rules``, a domain rule too) is rolled back and shown beside
    the form's fields — flashed when there is no form — and ``saved`` stays False
    (docs/architecture.md §4: forms validate shape, services rules)."""

    def __init__(self, form: FlaskForm | None = None, *, rules: bool = False) -> None:
        self.form = form
        self.refused: tuple[type[Exception], ...] = ((ValidationFailed, DomainError) if rules
                                                     else (ValidationFailed,))
        self.saved = False

    def __enter__(self) -> _Saving:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if exc is None:
            db.session.commit()
            self.saved = True
            return False
        if not isinstance(exc, self.refused):
            return False
        db.session.rollback()
        if self.form is not None and isinstance(exc, ValidationFailed):
            attach_errors(self.form, exc)
        else:
            assert isinstance(exc, ValidationFailed | DomainError)
            _flash_errors(exc)
        return True


def _secret_page(title: str, secret: str, who: User, back: str, note: str) -> Any:
    resp = make_response(render_template("admin/secret_once.html", title=title, secret=secret, who=who,
                                         back=back, note=note))
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ------------------------------------------------------------------ index

@bp.get("")
@roles_required("admin")
def index() -> Any:
    counts = {
        "agencies": db.session.scalar(select(func.count()).select_from(Agency)),
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "procedures": db.session.scalar(select(func.count()).select_from(Procedure)),
        "exceptions": db.session.scalar(select(func.count()).select_from(CalendarExceptionRow)),
    }
    recent = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(15)).all()
    actors = dict(db.session.execute(select(User.id, User.username).where(
        User.id.in_({r.actor_id for r in recent if r.actor_id}))).all()) if recent else {}
    return render_template("admin/index.html", counts=counts, recent=recent, actors=actors)


# ------------------------------------------------------------------ agencies

@bp.route("/agencies", methods=["GET", "POST"])
@roles_required("admin")
def agencies() -> Any:
    form = AgencyCreateForm()
    form.parent.choices = _agency_choices(_("(cơ quan gốc)"))
    if form.validate_on_submit():
        assert form.valid_from.data is not None  # DataRequired has passed
        with _Saving(form) as saving:
            a = agencies_svc.create_agency(
                db.session, identifier=form.identifier.data or "", name=form.name.data or "",
                short_name=form.short_name.data or "", level=form.level.data or "", kind=form.kind.data or "",
                parent_identifier=form.parent.data or "", office_hours=form.office_hours.data or "",
                valid_from=form.valid_from.data, actor=current_user, now=utcnow(), ip=client_ip())
        if saving.saved:
            flash(_("Đã thêm cơ quan %(name)s.", name=a.name), "success")
            return redirect(url_for("admin.agencies"), code=303)
    tree = agencies_svc.agency_tree(db.session)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/agencies.html", form=form, tree=tree, levels=LEVEL_LABELS,
                           kinds=KIND_LABELS), status


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@roles_required("admin")
def agency_edit(agency_id: int) -> Any:
    agency = db.session.get(Agency, agency_id) or abort(404)
    successor = db.session.get(Agency, agency.successor_id) if agency.successor_id else None
    parent = db.session.get(Agency, agency.parent_id) if agency.parent_id else None
    form = AgencyEditForm(data=None if request.method == "POST" else {
        "name": agency.name, "short_name": agency.short_name, "office_hours": agency.office_hours,
        "valid_to": agency.valid_to, "parent": parent.identifier if parent else "",
        "successor": successor.identifier if successor else ""})
    form.parent.choices = _agency_choices(_("(cơ quan gốc)"))
    form.successor.choices = _agency_choices(_("(không)"))
    if form.validate_on_submit():
        with _Saving(form) as saving:
            agencies_svc.update_agency(
                db.session, agency, name=form.name.data or "", short_name=form.short_name.data or "",
                parent_identifier=form.parent.data or "", office_hours=form.office_hours.data or "",
                valid_to=form.valid_to.data, successor_identifier=form.successor.data or "",
                actor=current_user, now=utcnow(), ip=client_ip())
        if saving.saved:
            flash(_("Đã lưu thay đổi của cơ quan."), "success")
            return redirect(url_for("admin.agency_edit", agency_id=agency_id), code=303)
    names = db.session.scalars(select(AgencyName).where(AgencyName.agency_id == agency.id)
                               .order_by(AgencyName.valid_from)).all()
    status = 422 if request.method == "POST" else 200
    return render_template("admin/agency_edit.html", form=form, agency=agency, names=names), status


# ------------------------------------------------------------------ users

@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users() -> Any:
    form = UserCreateForm()
    form.agency.choices = _agency_choices(_("(chọn cơ quan)"))
    if form.validate_on_submit():
        with _Saving(form) as saving:
            u, password = people.create_staff(
                db.session, username=form.username.data or "", full_name=form.full_name.data or "",
                role=form.role.data or "", agency_identifier=form.agency.data or "",
                email=form.email.data or "", actor=current_user, now=utcnow(), ip=client_ip())
        if saving.saved:
            return _secret_page(_("Đã tạo tài khoản"), password, u,
                                url_for("admin.user_detail", user_id=u.id),
                                _("Mật khẩu tạm thời chỉ hiển thị một lần. Người dùng phải đổi mật khẩu khi "
                                  "đăng nhập lần đầu."))
    q = (request.args.get("q") or "").strip()[:60]
    rows = people.search_users(db.session, q)  # accents ignored: "nguyen" finds "Nguyễn"
    status = 422 if request.method == "POST" else 200
    return render_template("admin/users.html", form=form, rows=rows, q=q, roles=ROLE_LABELS), status


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/users/<int:user_id>")
@roles_required("admin")
def user_detail(user_id: int) -> Any:
    u = _user(user_id)
    return _render_user(u, _user_edit_form(u))


def _user_edit_form(u: User, formdata: Any = None) -> UserEditForm:
    form = UserEditForm(formdata=formdata, data={"full_name": u.full_name, "role": u.role,
                                                 "agency": u.agency.identifier if u.agency else ""})
    form.agency.choices = _agency_choices(_("(chọn cơ quan)"))
    return form


def _render_user(u: User, edit_form: UserEditForm, status: int = 200) -> Any:
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == u.id)
                                .order_by(ApiToken.id.desc())).all()
    return render_template("admin/user_detail.html", u=u, tokens=tokens, token_form=TokenForm(),
                           confirm=ConfirmForm(), roles=ROLE_LABELS, edit_form=edit_form), status


@bp.post("/users/<int:user_id>/edit")
@roles_required("admin")
def user_edit(user_id: int) -> Any:
    """Name, role and agency; a role or agency change ends the user's sessions (docs/guide-admin.md)."""
    u = _user(user_id)
    form = _user_edit_form(u, formdata=request.form)
    if form.validate():
        with _Saving(form) as saving:
            changes = people.update_staff(
                db.session, u, full_name=form.full_name.data or "", role=form.role.data or "",
                agency_identifier=form.agency.data or "", actor=current_user, now=utcnow(), ip=client_ip())
        if saving.saved:
            if not changes:
                flash(_("Không có thay đổi."), "info")
            elif "role" in changes or "agency" in changes:
                flash(_("Đã lưu tài khoản %(u)s; các phiên đăng nhập của người này đã kết thúc.",
                        u=u.username), "success")
            else:
                flash(_("Đã lưu tài khoản %(u)s.", u=u.username), "success")
            return redirect(url_for("admin.user_detail", user_id=u.id), code=303)
    return _render_user(u, form, 422)


@bp.get("/audit")
@roles_required("admin")
def audit_log() -> Any:
    """The audit log with filters (actor, action, dd/mm/yyyy range, dossier code) and paging."""
    form = AuditFilterForm(request.args)
    labels = {k: _(v) for k, v in people.AUDIT_LABELS.items()}
    form.action.choices = [("", _("Tất cả"))] + sorted(labels.items(), key=lambda kv: kv[1])
    page = request.args.get("page", "1")
    result = None
    status = 200
    if form.validate():
        try:
            result = people.audit_log(
                db.session, actor=form.actor.data or "", action=form.action.data or "",
                date_from=form.date_from.data, date_to=form.date_to.data,
                dossier_code=form.dossier.data or "",
                page=int(page) if page.isdigit() else 1)
        except ValidationFailed as exc:
            attach_errors(form, exc)
            status = 422
    else:
        status = 422
    actors: dict[int, str] = {}
    if result is not None and result.rows:
        actors = dict(db.session.execute(select(User.id, User.username).where(
            User.id.in_({r.actor_id for r in result.rows if r.actor_id}))).all())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, result=result, actors=actors, labels=labels,
                           args=args), status


@bp.post("/users/<int:user_id>/active")
@roles_required("admin")
def user_active(user_id: int) -> Any:
    u = _user(user_id)
    if ConfirmForm().validate_on_submit():
        want = request.form.get("active") == "1"
        with _Saving() as saving:
            people.set_active(db.session, u, want, actor=current_user, now=utcnow(), ip=client_ip())
        if saving.saved:
            flash(_("Đã mở khóa tài khoản.") if want else _("Đã khóa tài khoản."), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id), code=303)


@bp.post("/users/<int:user_id>/password")
@roles_required("admin")
def user_reset_password(user_id: int) -> Any:
    u = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.user_detail", user_id=user_id), code=303)
    password = people.reset_password(db.session, u, actor=current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    return _secret_page(_("Đã đặt lại mật khẩu"), password, u, url_for("admin.user_detail", user_id=u.id),
                        _("Mật khẩu tạm thời chỉ hiển thị một lần. "
                          "Người dùng phải đổi mật khẩu khi đăng nhập."))


@bp.post("/users/<int:user_id>/tokens")
@roles_required("admin")
def user_issue_token(user_id: int) -> Any:
    u = _user(user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        for errs in form.errors.values():
            for e in errs:
                flash(str(e), "danger")
        return redirect(url_for("admin.user_detail", user_id=user_id), code=303)
    with _Saving() as saving:
        raw = people.issue_api_token(db.session, u, name=form.name.data or "", actor=current_user,
                                     now=utcnow(), ip=client_ip())
    if not saving.saved:
        return redirect(url_for("admin.user_detail", user_id=user_id), code=303)
    return _secret_page(_("Đã cấp token API"), raw, u, url_for("admin.user_detail", user_id=u.id),
                        _("Token chỉ hiển thị một lần; hệ thống chỉ lưu mã băm. Token mang quyền của "
                          "người dùng này (Authorization: Bearer …)."))


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@roles_required("admin")
def user_revoke_token(user_id: int, token_id: int) -> Any:
    tok = db.session.get(ApiToken, token_id)
    if tok is None or tok.user_id != user_id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        people.revoke_api_token(db.session, token_id, actor=current_user, now=utcnow(), ip=client_ip())
        db.session.commit()
        flash(_("Đã thu hồi token."), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id), code=303)


# ------------------------------------------------------------------ procedures

@bp.get("/procedures")
@roles_required("admin")
def procedures() -> Any:
    q = (request.args.get("q") or "").strip()[:100]
    stmt = select(Procedure).options(selectinload(Procedure.steps)).order_by(Procedure.field, Procedure.code)
    if q:
        stmt = stmt.where(Procedure.code.like(f"%{q}%") | Procedure.name_search.like(f"%{fold(q)}%"))
    rows = db.session.scalars(stmt).all()
    return render_template("admin/procedures.html", rows=rows, q=q, units=UNIT_LABELS)


@bp.route("/procedures/<code>", methods=["GET", "POST"])
@roles_required("admin")
def procedure_edit(code: str) -> Any:
    p = db.session.scalar(select(Procedure).where(Procedure.code == code)) or abort(404)
    if request.method == "POST":
        form = ProcedureForm()
        # Identity fields a client did not send stay as they are (older forms post only the limit).
        for name in ("name", "field", "level", "fee"):
            if name not in request.form:
                getattr(form, name).data = getattr(p, name)
    else:
        form = ProcedureForm(data={
            "name": p.name, "field": p.field, "level": p.level, "fee": p.fee,
            "limit_value": p.limit_value, "limit_unit": p.limit_unit,
            "cutoff": p.cutoff.strftime("%H:%M") if p.cutoff else "",
            "supplement_regime": p.supplement_regime,
            "documents": "\n".join(p.documents or []),
            "steps": [{"agency_kind": s.agency_kind, "share_percent": s.share_percent, "name": s.name}
                      for s in p.steps]})
        while len(form.steps) < 6:
            form.steps.append_entry()
    _chain_choices(form)
    if form.validate_on_submit() and _save_procedure(form, p) is not None:
        flash(_("Đã lưu thủ tục %(code)s.", code=p.code), "success")
        return redirect(url_for("admin.procedure_edit", code=p.code), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/procedure_edit.html", form=form, p=p, kinds=AGENCY_KINDS), status


def _save_procedure(form: ProcedureForm, p: Procedure | None) -> Procedure | None:
    """Create (``p`` None: ``form`` is a ProcedureCreateForm) or edit a procedure — what identifies
    it, then its limit, documents and liên thông chain — in one unit of work. None when the services
    refuse it; the messages are then beside the form's fields."""
    steps, cutoff = _steps_and_cutoff(form)
    limit = Decimal(form.limit_value.data if form.limit_value.data is not None
                    else p.limit_value if p is not None else 0)
    name, field, level, fee = (form.name.data or "", form.field.data or "", form.level.data or "",
                               form.fee.data or "")
    actor, now, ip = current_user, utcnow(), client_ip()
    with _Saving(form) as saving:
        if p is None:
            assert isinstance(form, ProcedureCreateForm)
            p = procedures_svc.create_procedure(
                db.session, code=form.code.data or "", name=name, field=field, level=level, fee=fee,
                limit_value=limit, limit_unit=form.limit_unit.data or "", actor=actor, now=now, ip=ip)
        else:
            procedures_svc.update_identity(db.session, p, name=name, field=field, level=level, fee=fee,
                                           actor=actor, now=now, ip=ip)
        procedures_svc.update_procedure(
            db.session, p, limit_value=limit, limit_unit=form.limit_unit.data or "", cutoff=cutoff,
            supplement_regime=form.supplement_regime.data or "",
            documents=procedures_svc.parse_documents(form.documents.data or ""), steps=steps,
            actor=actor, now=now, ip=ip)
    return p if saving.saved else None


def _chain_choices(form: ProcedureForm) -> None:
    choices = [("", _("(không)"))] + [(k, str(v)) for k, v in procedures_svc.chain_choices(
        db.session, {k: str(v) for k, v in KIND_LABELS.items()})]
    known = {k for k, _v in choices}
    for entry in form.steps:
        current = entry.form.agency_kind.data or ""
        extra = [(current, current)] if current and current not in known else []
        entry.form.agency_kind.choices = choices + extra


def _steps_and_cutoff(form: ProcedureForm) -> tuple[list[procedures_svc.StepInput], time | None]:
    rows = [e.form for e in form.steps]  # FormField.name is the entry's own name: use .form
    steps = [procedures_svc.StepInput(agency_kind=(f.agency_kind.data or "").strip(),
                           share_percent=Decimal(f.share_percent.data or 0), name=f.name.data or "")
             for f in rows if (f.agency_kind.data or "").strip() or f.share_percent.data]
    cutoff = None
    if form.cutoff.data:
        hh, mm = form.cutoff.data.split(":")
        cutoff = time(int(hh), int(mm))
    return steps, cutoff


@bp.route("/procedures/new", methods=["GET", "POST"])
@roles_required("admin")
def procedure_new() -> Any:
    form = ProcedureCreateForm()
    if request.method == "GET":
        while len(form.steps) < 6:
            form.steps.append_entry()
    _chain_choices(form)
    if form.validate_on_submit() and (p := _save_procedure(form, None)) is not None:
        flash(_("Đã tạo thủ tục %(code)s.", code=p.code), "success")
        return redirect(url_for("admin.procedure_edit", code=p.code), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/procedure_edit.html", form=form, p=None, kinds=AGENCY_KINDS), status


# ------------------------------------------------------------------ calendar

@bp.route("/calendar", methods=["GET", "POST"])
@roles_required("admin")
def calendar() -> Any:
    form = CalendarForm()
    form.agency.choices = _agency_choices(_("Toàn quốc"))
    if form.validate_on_submit():
        agency = None
        if form.agency.data:
            agency = db.session.scalar(select(Agency).where(Agency.identifier == form.agency.data))
        assert form.on_date.data is not None  # DataRequired has passed
        with _Saving(rules=True) as saving:
            row, moved = calendar_changes.add_calendar_exception(
                db.session, on=form.on_date.data, working=form.working.data == "1", note=form.note.data or "",
                agency=agency, actor=current_user, now=utcnow(), ip=client_ip())
        if saving.saved:
            flash(_("Đã thêm ngày ngoại lệ %(day)s; tính lại hạn cho %(n)d hồ sơ.",
                    day=row.on_date.strftime("%d/%m/%Y"), n=moved), "success")
            return redirect(url_for("admin.calendar"), code=303)
    rows = db.session.execute(
        select(CalendarExceptionRow, Agency.name)
        .outerjoin(Agency, Agency.id == CalendarExceptionRow.agency_id)
        .order_by(CalendarExceptionRow.on_date.desc()).limit(500)
    ).all()
    status = 422 if request.method == "POST" else 200
    tet = calendars.tet_years(db.session, utcnow())
    year, year_days = _year_calendar(rows)
    return render_template("admin/calendar.html", form=form, rows=rows, confirm=ConfirmForm(), tet=tet,
                           last_year=calendars.covered_years(db.session)[-1], year=year,
                           year_days=year_days), status


def _year_calendar(rows: Any) -> tuple[int, list[tuple[Any, str, str, str]]]:
    """One year's national holidays and working Saturdays (Labour Code 2019 art. 112, from the
    ``holidays`` package) beside the admin's exceptions of that year, by date:
    (day, kind, reason, scope) with kind national_off / national_work / local_off / local_work."""
    covered = calendars.covered_years(db.session)
    today = utcnow().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() and covered[0] <= int(raw) <= covered[-1] else today.year
    closed, working = national_holidays(year, year)
    days: list[tuple[Any, str, str, str]] = [(d, "national_off", r, "") for d, r in closed.items()]
    days += [(d, "national_work", r, "") for d, r in working.items()]
    for row, agency_name in rows:
        if row.on_date.year == year:
            kind = "local_work" if row.working else "local_off"
            days.append((row.on_date, kind, row.note, agency_name or ""))
    return year, sorted(days, key=lambda t: (t[0], t[1]))


@bp.post("/calendar/<int:row_id>/delete")
@roles_required("admin")
def calendar_delete(row_id: int) -> Any:
    if ConfirmForm().validate_on_submit():
        try:
            moved = calendar_changes.delete_calendar_exception(db.session, row_id, actor=current_user,
                                                               now=utcnow(), ip=client_ip())
            db.session.commit()
        except (ValidationFailed, DomainError) as exc:
            db.session.rollback()
            _flash_errors(exc)
            if getattr(exc, "status_code", 400) == 404:
                abort(404)
        else:
            flash(_("Đã xóa ngày ngoại lệ; tính lại hạn cho %(n)d hồ sơ.", n=moved), "success")
    return redirect(url_for("admin.calendar"), code=303)


@bp.post("/calendar/tet/<int:year>/confirm")
@roles_required("admin")
def calendar_confirm_tet(year: int) -> Any:
    """An admin has checked the year's Tết days against the Government's announcement."""
    if ConfirmForm().validate_on_submit():
        with _Saving(rules=True) as saving:
            calendar_changes.confirm_tet_year(db.session, year, actor=current_user, now=utcnow(),
                                              ip=client_ip())
        if saving.saved:
            flash(_("Đã xác nhận ngày nghỉ Tết Nguyên đán năm %(year)d.", year=year), "success")
    return redirect(url_for("admin.calendar") + f"#tet-{year}", code=303)


__all__ = ["bp"]
