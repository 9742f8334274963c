"""The dossier page, its actions, printed forms, worklists, the department inbox
and the in-app notifications.

Choices (documented for reviewers):
* Optimistic locking: every action form carries the dossier ``version``. A stale
  version (or a concurrent flush caught by the ORM version column) raises Conflict;
  the view rolls back and RE-RENDERS the dossier page with HTTP 409 and the flash
  "Hồ sơ đã thay đổi trong lúc bạn thao tác — vui lòng tải lại", showing the fresh
  state, so the user sees what changed before acting again. Other refusals re-render
  with 403 (permission), 409 (illegal in this status) or 422 (field errors, shown next
  to the fields of the action's form). Success: commit, flash, 303 to the page.
* Viewing is 404 (not 403) for dossiers outside the user's scope: a code must not
  reveal that a dossier exists.
* Reprinting the receipt (form 01): only a hash of the lookup secret is stored, so a
  reprint cannot show the old secret; it offers "cấp lại mã tra cứu" (POST →
  services.dossiers.reception.reissue_secret), which invalidates the old one and RENDERS the receipt
  with the new one as the POST's own answer (no-store): the secret never travels in the
  session cookie, which is signed but not encrypted (docs/security.md, "Accountability").
* Irreversible actions (finish, stop, withdraw, return) are confirmed: the dossier page's
  script asks in a dialog and posts ``confirmed=1``; without script, the first post is
  checked (in a savepoint rolled back) and answered with a confirmation page that posts
  the same fields again with ``confirmed=1``. The API needs no confirmation.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain.codes import lookup_key
from ..domain.errors import DomainError
from ..domain.status import ACTION_LABELS_VI, STATUS_LABELS_VI
from ..domain.status import DossierAction as A
from ..domain.workflow import IllegalTransition
from ..extensions import db
from ..models import Agency, Dossier, DossierEvent, HandoffLeg, OutboxMessage, User
from ..services import policy
from ..services.admin.agencies import resolve_kind
from ..services.admin.calendars import calendar_for
from ..services.dossiers import queries
from ..services.dossiers.actions import apply_action, get_by_code, input_type_for
from ..services.dossiers.assignment import bulk_assign, officer_loads
from ..services.dossiers.clock import compute_dossier_due
from ..services.dossiers.handoffs import chain_step_names, unfinished_chain_steps
from ..services.dossiers.inputs import ActionInput, input_from
from ..services.dossiers.reception import reissue_secret
from ..services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..services.public.lookup import lookup_url as build
from .auth import roles_required, utcnow
from .forms import RETURN_METHOD_CHOICES, ActionForm, SimplePostForm
from .reception import pop_secret
from .sentences import error_text, trace_lines

bp = Blueprint("dossiers", __name__)

CONFLICT_MESSAGE = "Hồ sơ đã thay đổi trong lúc bạn thao tác — vui lòng tải lại"

# Which fields each action's small form shows (and the view reads).
ACTION_FIELDS: dict[A, tuple[str, ...]] = {
    A.RECEIVE: (),
    A.REQUEST_SUPPLEMENT: ("missing_items", "reason"),
    A.PROVIDE_SUPPLEMENT: ("note",),
    A.REQUEST_PAYMENT: ("reason",),
    A.CONFIRM_PAYMENT: ("note",),
    A.REFUSE: ("reason",),
    A.TRANSFER: ("note",),
    A.ASSIGN: ("officer",),
    A.HAND_OFF: ("to_agency", "note"),
    A.ACKNOWLEDGE: (),
    A.HAND_BACK: ("to_agency", "note"),
    A.APOLOGISE: ("reason", "new_due_on"),
    A.STOP: ("reason",),
    A.COMPLETE: ("result", "chain_reason"),
    A.RETURN_RESULT: ("method", "receiver"),
    A.WITHDRAW: ("reason",),
}
# Button colour per action: the dangerous ones stand out.
ACTION_STYLES: dict[A, str] = {
    A.REFUSE: "outline-danger", A.STOP: "outline-danger", A.WITHDRAW: "outline-danger",
    A.APOLOGISE: "warning", A.COMPLETE: "success", A.RETURN_RESULT: "success",
    A.RECEIVE: "primary", A.TRANSFER: "primary", A.ACKNOWLEDGE: "primary", A.ASSIGN: "primary",
}
# Irreversible: a finished dossier cannot be reopened, a returned result not taken back.
IRREVERSIBLE: frozenset[A] = frozenset({A.COMPLETE, A.STOP, A.WITHDRAW, A.RETURN_RESULT})
CONFIRM_MESSAGES: dict[A, str] = {
    A.COMPLETE: "Xác nhận hồ sơ đã xử lý xong? Hồ sơ sẽ chuyển về bộ phận trả kết quả và không thể mở lại.",
    A.STOP: "Xác nhận dừng xử lý hồ sơ? Thao tác không thể hoàn tác.",
    A.WITHDRAW: "Xác nhận công dân rút hồ sơ? Thao tác không thể hoàn tác.",
    A.RETURN_RESULT: "Xác nhận đã trả kết quả cho công dân? Thao tác không thể hoàn tác.",
}
FORM_TITLES: dict[str, str] = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Thông báo dừng giải quyết hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}


def lookup_url(code: str) -> str:
    """The citizen lookup URL printed as a QR code on the receipt (one definition,
    in services.public.lookup)."""

    return build(str(current_app.config.get("PUBLIC_BASE_URL", "")), code)


def qr_data_uri_for(code: str) -> str:
    """The receipt's QR as an inline PNG (CSP allows img-src data:), drawn by the
    citizen app's qr module so the receipt and /lookup/qr/<code>.png are the same image."""
    from .public.qr import qr_data_uri  # here: web.public → public.page → web.files → web.dossiers

    return qr_data_uri(code)


def load_visible(code: str) -> Dossier:
    """The dossier if the user may see it, else 404 (existence is not leaked)."""
    try:
        d = get_by_code(db.session, code)
    except NotFound:
        abort(404)
    if not policy.can_view(current_user, d):
        abort(404)
    return d


# ---------------------------------------------------------------- dossier page

def next_step_agency(d: Dossier) -> Agency | None:
    """Default receiver of a hand-off: the next step of the procedure's chain."""
    done = max((lg.step_seq or 0 for lg in d.legs), default=0)
    step = next((s for s in d.procedure.steps if s.seq > done), None)
    if step is None:
        return None
    try:
        return resolve_kind(db.session, step.agency_kind, d.receiving_agency)
    except NotFound:
        return None


def _action_form(d: Dossier, action: A, errors: dict[str, str] | None = None,
                 posted: ActionForm | None = None) -> ActionForm:
    form = posted if posted is not None else ActionForm(formdata=None)
    form.version.data = d.version
    if action == A.ASSIGN:
        officers = queries.assignable_officers(db.session, d.current_agency)
        form.officer.choices = [(str(u.id), f"{u.full_name} ({u.username})") for u in officers]
        if posted is None and d.assignee_id:
            form.officer.data = str(d.assignee_id)
    if action in (A.HAND_OFF, A.HAND_BACK):
        agencies = db.session.scalars(
            select(Agency).where(Agency.valid_to.is_(None), Agency.id != d.current_agency_id)
            .order_by(Agency.path)).all()
        default = next_step_agency(d) if action == A.HAND_OFF else None
        blank = _("— Theo quy trình liên thông —") if action == A.HAND_OFF else _("— Cơ quan đã chuyển đến —")
        form.to_agency.choices = [("", blank)] + [(a.identifier, a.name) for a in agencies]
        if posted is None:
            form.to_agency.data = default.identifier if default is not None else ""
    form.action_errors = errors or {}
    return form


def _timeline(d: Dossier) -> list[DossierEvent]:
    return list(db.session.scalars(
        select(DossierEvent).options(joinedload(DossierEvent.actor), joinedload(DossierEvent.agency))
        .where(DossierEvent.dossier_id == d.id).order_by(DossierEvent.seq)))


def _legs(d: Dossier) -> list[HandoffLeg]:
    return list(db.session.scalars(
        select(HandoffLeg).options(joinedload(HandoffLeg.from_agency), joinedload(HandoffLeg.to_agency),
                                   joinedload(HandoffLeg.sent_by), joinedload(HandoffLeg.acknowledged_by))
        .where(HandoffLeg.dossier_id == d.id).order_by(HandoffLeg.seq)).unique())


def printable_forms(d: Dossier, events: list[DossierEvent]) -> list[tuple[str, str]]:
    acts = {e.action for e in events}
    out = []
    if d.received_at is not None:
        out.append("01")
    if A.REQUEST_SUPPLEMENT.value in acts:
        out.append("02")
    if A.REFUSE.value in acts:
        out.append("03")
    if d.promised_due_at is not None:
        out.append("04")
    if A.STOP.value in acts:
        out.append("05")
    if d.legs or d.received_at is not None:
        out.append("06")
    return [(n, FORM_TITLES[n]) for n in out]


def render_show(d: Dossier, *, status: int = 200, failed: A | None = None,
                errors: dict[str, str] | None = None,
                posted: ActionForm | None = None) -> Any:
    now = utcnow()
    # The policy decides what can be taken now; the page offers those it has a form for.
    actions = [a for a in policy.actions_for(current_user, d) if a in ACTION_FIELDS]
    forms = {a: _action_form(d, a, errors if a == failed else None, posted if a == failed else None)
             for a in actions}
    events = _timeline(d)
    waiting = policy.waiting_leg(d)
    chain_missing = (chain_step_names(db.session, d, unfinished_chain_steps(d)) if A.COMPLETE in actions
                     else [])
    trace: list[str] = []
    if d.clock_base_at is not None:
        try:
            trace = trace_lines(compute_dossier_due(db.session, d, explain=True).steps)
        except DomainError as exc:
            trace = [exc.message]
    timing = queries.timing_of(db.session, d, now)
    cal = calendar_for(db.session, d.receiving_agency)
    body = render_template(
        "dossiers/show.html", d=d, actions=actions, forms=forms, failed=failed, events=events,
        legs=_legs(d), trace=trace, timing=timing, printable=printable_forms(d, events),
        status_labels=STATUS_LABELS_VI, action_labels=ACTION_LABELS_VI, action_fields=ACTION_FIELDS,
        action_styles=ACTION_STYLES, apologise_prompt=timing.needs_apology and A.APOLOGISE in actions,
        now=now, tz=cal.tz, parse_dt=_parse_dt, waiting=waiting, chain_missing=chain_missing,
        irreversible=IRREVERSIBLE, confirm_messages=CONFIRM_MESSAGES,
        citizen_messages=db.session.scalars(select(OutboxMessage).where(OutboxMessage.dossier_id == d.id)
                                            .order_by(OutboxMessage.id)).all(),
    )
    return body, status


@bp.get("/dossiers/<code>")
@roles_required("clerk", "officer", "head", "admin")
def show(code: str) -> Any:
    return render_show(load_visible(code))


# Text fields of the form that go to the input as typed: the form's name → the input's.
_TEXT_FIELDS = {"reason": "reason", "note": "note", "result": "result", "chain_reason": "reason"}


def _parse_action_data(action: A, form: ActionForm, d: Dossier) -> ActionInput:
    """Turn the posted fields into the action's typed input (names resolved to ids here)."""
    fields = ACTION_FIELDS[action]
    data: dict[str, object] = {to: form[name].data or "" for name, to in _TEXT_FIELDS.items()
                               if name in fields}
    if "missing_items" in fields:
        data["missing_items"] = tuple((form.missing_items.data or "").splitlines())
    if "method" in fields:
        data["method"] = form.method.data or "direct"
        data["receiver"] = form.receiver.data or ""
    if "officer" in fields:
        data["officer_id"] = _officer_id(form.officer.data or "")
    if "to_agency" in fields and form.to_agency.data:
        data["to_agency_id"] = _agency_id(form.to_agency.data)
    if "new_due_on" in fields:
        data["new_due_at"] = _new_due_at(form.new_due_on.data, d)
    return input_from(input_type_for(action), data)


def _officer_id(raw: str) -> int:
    officer = db.session.get(User, int(raw)) if raw.isdigit() else None
    if officer is None:
        raise ValidationFailed({"officer": _("Chọn một chuyên viên.")})
    return officer.id


def _agency_id(identifier: str) -> int:
    to = db.session.scalar(select(Agency).where(Agency.identifier == identifier))
    if to is None:
        raise ValidationFailed({"to_agency": _("Cơ quan nhận không tồn tại.")})
    return to.id


def _new_due_at(day: date | None, d: Dossier) -> datetime:
    """The new appointment is the close of office hours of that day at the desk."""
    if day is None:
        raise ValidationFailed({"new_due_at": _("Nhập ngày hẹn trả mới (dd/mm/yyyy).")})
    try:
        return calendar_for(db.session, d.receiving_agency).closing(day)
    except DomainError as exc:
        raise ValidationFailed({"new_due_at": exc.message}) from exc


@bp.post("/dossiers/<code>/actions/<action>")
@roles_required("clerk", "officer", "head", "admin")
def act(code: str, action: str) -> Any:
    try:
        act_enum = A(action)
    except ValueError:
        abort(404)
    if act_enum not in ACTION_FIELDS:
        abort(404)
    d = load_visible(code)
    form = ActionForm()
    if not form.validate():
        errors = {k: str(v[0]) for k, v in form.errors.items() if v}
        if "version" in errors:
            flash(_("Thiếu phiên bản hồ sơ; vui lòng tải lại trang."), "danger")
            return render_show(d, status=400)
        flash(_("Thao tác chưa thực hiện: vui lòng sửa các mục được đánh dấu."), "danger")
        return render_show(d, status=422, failed=act_enum, errors=errors, posted=form)
    label = _(ACTION_LABELS_VI[act_enum])
    confirm_first = act_enum in IRREVERSIBLE and request.form.get("confirmed") != "1"
    try:
        data = _parse_action_data(act_enum, form, d)
        # Not yet confirmed: the action is checked in full inside a savepoint that is rolled
        # back, so the confirmation page is only offered for what would succeed.
        attempt = db.session.begin_nested() if confirm_first else None
        apply_action(db.session, d, act_enum, data, actor=current_user, now=utcnow(),
                     expected_version=form.version.data)
        if attempt is not None:
            attempt.rollback()
            return _render_confirm(_reload(code), act_enum, form)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Thao tác “%(a)s” chưa thực hiện: vui lòng sửa các mục được đánh dấu.", a=label), "danger")
        return render_show(_reload(code), status=422, failed=act_enum, errors=_form_errors(act_enum, exc),
                           posted=form)
    except Conflict:
        db.session.rollback()
        flash(_(CONFLICT_MESSAGE), "warning")
        return render_show(_reload(code), status=409)
    except Forbidden:
        db.session.rollback()
        flash(_("Bạn không có quyền “%(a)s” với hồ sơ này.", a=label), "danger")
        return render_show(_reload(code), status=403)
    except IllegalTransition:
        db.session.rollback()
        flash(_("Không thể “%(a)s” khi hồ sơ đang ở trạng thái hiện tại.", a=label), "danger")
        return render_show(_reload(code), status=409)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return render_show(_reload(code), status=409)
    db.session.commit()
    flash(_("Đã thực hiện: %(a)s — hồ sơ %(code)s.", a=label, code=d.code), "success")
    return _after(act_enum, d)


def _after(action: A, d: Dossier) -> Any:
    """Where a done action goes: the printed notice it issues (form 04, 05), the page it was
    taken from, or the dossier."""
    if action == A.APOLOGISE:
        return redirect(url_for(".print_form", code=d.code, form_no="04"), code=303)
    if action == A.STOP:
        return redirect(url_for(".print_form", code=d.code, form_no="05"), code=303)
    nxt = request.form.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt, code=303)
    return redirect(url_for(".show", code=d.code), code=303)


def _form_errors(action: A, exc: ValidationFailed) -> dict[str, str]:
    """The service's field errors under the names of the form's fields."""
    errors = {name: error_text(message) for name, message in exc.errors.items()}
    if "new_due_at" in errors:
        errors["new_due_on"] = errors.pop("new_due_at")
    if action == A.COMPLETE and "reason" in errors:
        errors["chain_reason"] = errors.pop("reason")
    if action == A.COMPLETE and "result_document" in errors:  # shown by the result field
        errors["result"] = " ".join(filter(None, (errors.get("result"), errors.pop("result_document"))))
    return errors


def _reload(code: str) -> Dossier:
    db.session.expire_all()
    return load_visible(code)


def _render_confirm(d: Dossier, action: A, form: ActionForm) -> Any:
    """The no-script confirmation step of an irreversible action: what will be recorded, and
    the same fields posted again with ``confirmed=1`` (or back to the dossier)."""
    posted = [(name, str(form[name].data or "")) for name in ACTION_FIELDS[action]
              if str(form[name].data or "").strip()]
    methods = dict(RETURN_METHOD_CHOICES)
    shown = [(str(form[name].label.text), str(methods.get(value, value)) if name == "method" else value)
             for name, value in posted]
    return render_template(
        "dossiers/confirm.html", d=d, action=action, label=ACTION_LABELS_VI[action],
        message=CONFIRM_MESSAGES[action], posted=posted, shown=shown, next=request.form.get("next", ""),
        status_labels=STATUS_LABELS_VI,
    ), 200


# ---------------------------------------------------------------- printed forms

def _last_event(events: list[DossierEvent], action: A) -> DossierEvent | None:
    return next((e for e in reversed(events) if e.action == action.value), None)


def _parse_dt(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def _receipt_context(d: Dossier, secret: str | None,
                     events: list[DossierEvent] | None = None) -> dict[str, Any]:
    """Form 01 (receipt and appointment), with the look-up secret when one was just made."""
    events = events if events is not None else _timeline(d)
    event = _last_event(events, A.RECEIVE)
    return {"d": d, "events": events, "form_no": "01", "title": FORM_TITLES["01"],
            "status_labels": STATUS_LABELS_VI, "now": utcnow(), "parse_dt": _parse_dt, "secret": secret,
            "lookup": lookup_url(d.code), "qr": qr_data_uri_for(d.code), "event": event,
            "can_reissue": policy.can_reissue_secret(current_user, d),
            "issuer": event.agency if event is not None and event.agency else d.receiving_agency}


@bp.get("/dossiers/<code>/print/<form_no>")
@roles_required("clerk", "officer", "head", "admin")
def print_form(code: str, form_no: str) -> Any:
    d = load_visible(code)
    events = _timeline(d)
    if form_no not in dict(printable_forms(d, events)):
        abort(404)
    ctx: dict[str, Any] = {"d": d, "events": events, "form_no": form_no, "title": FORM_TITLES[form_no],
                           "status_labels": STATUS_LABELS_VI, "now": utcnow(), "parse_dt": _parse_dt}
    if form_no == "01":
        ctx.update(_receipt_context(d, pop_secret(d.code), events))
    elif form_no == "02":
        ctx["event"] = _last_event(events, A.REQUEST_SUPPLEMENT)
    elif form_no == "03":
        ctx["event"] = _last_event(events, A.REFUSE)
    elif form_no == "04":
        ctx["event"] = _last_event(events, A.APOLOGISE)
    elif form_no == "05":
        ctx["event"] = _last_event(events, A.STOP)
    elif form_no == "06":
        ctx["legs"] = _legs(d)
        ctx["event"] = _last_event(events, A.RECEIVE)
    ctx["issuer"] = ctx["event"].agency if ctx.get("event") is not None and ctx["event"].agency else \
        d.receiving_agency
    if form_no == "01":
        resp = make_response(render_template("print/01.html", **ctx))
        resp.headers["Cache-Control"] = "no-store"  # the first display carries the secret
        return resp
    return render_template(f"print/{form_no}.html", **ctx)


@bp.post("/dossiers/<code>/reissue-secret")
@roles_required("clerk", "officer", "head")
def reissue(code: str) -> Any:
    """Reprint of the receipt: a NEW lookup secret (only its hash is stored), shown on this
    POST's own answer — the receipt itself, never stored in the session (docs/security.md)."""
    d = load_visible(code)
    form = SimplePostForm()
    if not form.validate():
        abort(400)
    try:
        secret = reissue_secret(db.session, d, actor=current_user, now=utcnow(),
                                lookup_key=lookup_key(current_app.config), ip=request.remote_addr or "")
    except Forbidden as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return render_show(_reload(code), status=403)
    db.session.commit()
    flash(_("Đã cấp lại mã tra cứu; mã cũ không còn dùng được. Mã mới chỉ hiện một lần: in giấy hẹn ngay."),
          "success")
    resp = make_response(render_template("print/01.html", **_receipt_context(d, secret)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ---------------------------------------------------------------- worklists

@bp.get("/worklist")
@roles_required("officer", "head")
def worklist() -> Any:
    now = utcnow()
    rows = queries.worklist(db.session, current_user)
    timings = {d.id: queries.timing_of(db.session, d, now) for d in rows}
    can_apologise = {d.id: policy.can_take(current_user, A.APOLOGISE, d) for d in rows}
    return render_template("dossiers/worklist.html", rows=rows, timings=timings, now=now,
                           status_labels=STATUS_LABELS_VI, can_apologise=can_apologise)


@bp.get("/inbox")
@roles_required("head", "officer", "clerk")
def inbox() -> Any:
    now = utcnow()
    rows = queries.inbox(db.session, current_user)
    timings = {d.id: queries.timing_of(db.session, d, now) for d in rows}
    can_assign = {d.id: policy.can_take(current_user, A.ASSIGN, d) for d in rows}
    officers = queries.officers_by_agency(db.session, {d.current_agency_id for d in rows if can_assign[d.id]})
    everyone = {u.id: u for group in officers.values() for u in group}
    loads = officer_loads(db.session, everyone, now=now)
    bulk_officers = sorted(everyone.values(), key=lambda u: (u.full_name, u.id))
    return render_template("dossiers/inbox.html", rows=rows, timings=timings, now=now,
                           status_labels=STATUS_LABELS_VI, can_assign=can_assign, officers=officers,
                           loads=loads, bulk_officers=bulk_officers, form=SimplePostForm())


@bp.post("/inbox/assign")
@roles_required("head", "officer", "clerk")
def inbox_assign() -> Any:
    """Assign the selected dossiers to one officer: one transaction of ordinary assign actions."""
    form = SimplePostForm()
    if not form.validate():
        abort(400)
    ids = [int(v) for v in request.form.getlist("dossier") if v.isdigit()]
    raw_officer = request.form.get("officer", "")
    officer = db.session.get(User, int(raw_officer)) if raw_officer.isdigit() else None
    if not ids:
        flash(_("Chọn ít nhất một hồ sơ để giao."), "danger")
        return redirect(url_for(".inbox"), code=303)
    if officer is None:
        flash(_("Chọn chuyên viên để giao hồ sơ."), "danger")
        return redirect(url_for(".inbox"), code=303)
    dossiers = list(db.session.scalars(select(Dossier).where(Dossier.id.in_(ids)).order_by(Dossier.id)))
    versions = {int(k.removeprefix("version-")): int(v) for k, v in request.form.items()
                if k.startswith("version-") and k.removeprefix("version-").isdigit() and v.isdigit()}
    try:
        if len(dossiers) != len(set(ids)):
            raise NotFound("Không tìm thấy hồ sơ.")
        n = bulk_assign(db.session, dossiers, officer, actor=current_user, now=utcnow(), versions=versions)
    except (DomainError, IllegalTransition) as exc:
        db.session.rollback()
        code = getattr(exc, "failed_code", "")
        detail = "; ".join(map(error_text, exc.errors.values())) if isinstance(exc, ValidationFailed) else (
            _(CONFLICT_MESSAGE) if isinstance(exc, Conflict) else
            _("Bạn không có quyền giao hồ sơ này.") if isinstance(exc, Forbidden) else exc.message)
        flash(_("Chưa giao hồ sơ nào: %(code)s — %(detail)s", code=code or "—", detail=detail), "danger")
        return redirect(url_for(".inbox"), code=303)
    db.session.commit()
    flash(_("Đã giao %(n)s hồ sơ cho %(name)s.", n=n, name=officer.full_name), "success")
    return redirect(url_for(".inbox"), code=303)


@bp.get("/notifications")
@roles_required("officer", "head", "clerk", "admin")
def notifications() -> Any:
    rows = queries.notifications_for(db.session, current_user)
    ids = {n.dossier_id for n in rows if n.dossier_id}
    codes = dict(db.session.execute(select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids))).all()) \
        if ids else {}
    return render_template("dossiers/notifications.html", rows=rows, codes=codes,
                           unread=queries.unread_count(db.session, current_user), form=SimplePostForm())


@bp.post("/notifications/read")
@roles_required("officer", "head", "clerk", "admin")
def notifications_read() -> Any:
    form = SimplePostForm()
    if not form.validate():
        abort(400)
    raw = request.form.get("id", "")
    n = queries.mark_read(db.session, current_user, now=utcnow(),
                          notification_id=int(raw) if raw.isdigit() else None)
    db.session.commit()
    flash(_("Đã đánh dấu %(n)s thông báo là đã đọc.", n=n), "success")
    return redirect(url_for(".notifications"), code=303)
