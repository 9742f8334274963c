"""The citizen's look-up page: ``/lookup`` (the receipt's QR opens ``/lookup?code=<code>``
pre-filled), the rating and complaint posts (``/lookup/rating``, ``/lookup/feedback``) and the
download of a verified dossier's results (``/lookup/<code>/files/<id>``). Citizens never log in.

Anti-enumeration (docs/domain.md §4): unknown, malformed and wrong-secret look-ups give the same
page, same status, same generic message, after the same work (services.public.lookup
``find_for_lookup``). Guesses are throttled in one bucket per address and the phone-4 factor per
code (web/public/guard.py).

No CSRF token: a post proves its dossier either with the receipt's factors (which a forging site
does not have) or with the look-up session, whose cookie is ``SameSite=Lax`` and so is not sent
with another site's POST (config.py, docs/security.md).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as BaseResponse
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ...domain.codes import MAX_CODE_LENGTH
from ...extensions import db
from ...models import Dossier
from ...services.dossiers import files as files_svc
from ...services.dossiers.estimates import estimate_for_dossier
from ...services.errors import NotFound, ServiceError, ValidationFailed
from ...services.public import feedback as citizen_svc
from ...services.public import lookup as lookup_svc
from .. import sentences
from ..auth import utcnow
from ..files import send_file_row
from ..i18n import local_tz
from . import guard

bp = Blueprint("lookup", __name__)
guard.guess_limit_post(bp)  # the look-up, rating and complaint posts; the GETs prove nothing

_TEMPLATE = "lookup/lookup.html"


# ---------------------------------------------------------------- forms

class LookupForm(FlaskForm):
    class Meta:
        csrf = False  # see the module's docstring

    code = StringField(
        _l("Mã hồ sơ"),
        validators=[DataRequired(_l("Nhập mã hồ sơ in trên giấy tiếp nhận.")),
                    Length(max=MAX_CODE_LENGTH,
                           message=_l("Mã hồ sơ tối đa %(n)s ký tự.", n=MAX_CODE_LENGTH))],
    )
    secret = StringField(
        _l("Mã bí mật (in trên giấy tiếp nhận)"),
        validators=[Optional(),
                    Length(max=lookup_svc.MAX_SECRET_LENGTH,
                           message=_l("Mã bí mật tối đa %(n)s ký tự.", n=lookup_svc.MAX_SECRET_LENGTH))],
    )
    phone4 = StringField(
        _l("hoặc 4 số cuối điện thoại đã đăng ký"),
        validators=[Optional(), Length(max=4, message=_l("Nhập đúng 4 chữ số cuối.")),
                    Regexp(r"^\d{4}$", message=_l("Nhập đúng 4 chữ số cuối."))],
    )

    session_proof = False  # set when the look-up session proves the dossier (no factor posted)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        if ok and self.session_proof:
            return ok
        if ok and not self.has_factor():
            self.secret.errors = [_l("Nhập mã bí mật in trên giấy tiếp nhận, hoặc 4 số cuối điện thoại.")]
            return False
        return ok

    def has_factor(self) -> bool:
        return bool((self.secret.data or "").strip() or (self.phone4.data or "").strip())


_SCORE_CHOICES = [(str(k), f"{k}") for k in citizen_svc.SCORE_LABELS]


class RatingForm(LookupForm):
    score_access = RadioField(choices=_SCORE_CHOICES, validators=[DataRequired(_l("Chọn một mức."))])
    score_procedure = RadioField(choices=_SCORE_CHOICES, validators=[DataRequired(_l("Chọn một mức."))])
    score_officer = RadioField(choices=_SCORE_CHOICES, validators=[DataRequired(_l("Chọn một mức."))])
    score_result = RadioField(choices=_SCORE_CHOICES, validators=[DataRequired(_l("Chọn một mức."))])
    score_feedback = RadioField(choices=_SCORE_CHOICES, validators=[DataRequired(_l("Chọn một mức."))])
    satisfied = RadioField(_l("Nhìn chung ông/bà có hài lòng không?"),
                           choices=[("yes", _l("Hài lòng")), ("no", _l("Không hài lòng"))],
                           validators=[DataRequired(_l("Chọn hài lòng hoặc không hài lòng."))])
    comment = TextAreaField(_l("Ý kiến khác (không bắt buộc)"),
                            validators=[Optional(), Length(max=citizen_svc.MAX_COMMENT,
                                                           message=_l("Ý kiến tối đa 1000 ký tự."))])


class FeedbackForm(LookupForm):
    kind = SelectField(_l("Loại"), choices=[(k, _l(v)) for k, v in citizen_svc.FEEDBACK_KINDS.items()])
    content = TextAreaField(_l("Nội dung phản ánh, kiến nghị"),
                            validators=[DataRequired(_l("Vui lòng nhập nội dung phản ánh.")),
                                        Length(max=citizen_svc.MAX_FEEDBACK,
                                               message=_l("Nội dung tối đa 2000 ký tự."))])
    contact = StringField(_l("Điện thoại hoặc e-mail để nhận trả lời (không bắt buộc)"),
                          validators=[Optional(), Length(max=citizen_svc.MAX_CONTACT)])


# ---------------------------------------------------------------- rendering

def _page(form: LookupForm, **context: Any) -> Response:
    """The page without a dossier: the form, possibly with the generic failure or the expired
    session notice. Never cached (a verified page holds personal data; the others say whether a
    look-up failed)."""
    resp = Response(render_template(_TEMPLATE, form=form, view=None, rating_form=None, feedback_form=None,
                                    **{"failed": False, **context}))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _generic_failure(code: str) -> Response:
    """THE answer for unknown code, malformed code and wrong secret alike (same template, 200)."""
    return _page(LookupForm(formdata=None, data={"code": code}), failed=True)


def _session_expired(code: str) -> Response:
    """No factor and no live session for this code: ask for the secret again. Says nothing about
    the code (the database is not read), so it reveals no more than the generic failure."""
    return _page(LookupForm(formdata=None, data={"code": code[:MAX_CODE_LENGTH]}), expired=True)


def _render_result(dossier: Dossier, *, now: datetime, rating_form: RatingForm | None = None,
                   feedback_form: FeedbackForm | None = None) -> Response:
    """The verified page. Its rating and complaint forms carry only the code: the look-up session
    proves the rest (the secret is not echoed into the page). A form given here was just posted
    and comes back with its answers and its errors beside each question."""
    view = lookup_svc.public_view(db.session, dossier, now=now)
    factors = {"code": view.code}
    if rating_form is None:
        rating_form = RatingForm(formdata=None, data=factors) if view.can_rate else None
    elif not view.can_rate:
        rating_form = None
    if feedback_form is None:
        feedback_form = FeedbackForm(formdata=None, data=factors)
    resp = Response(render_template(
        _TEMPLATE, form=LookupForm(formdata=None, data=factors), failed=False, view=view,
        rating_form=rating_form, feedback_form=feedback_form, factors=citizen_svc.FACTORS,
        feedback_kinds=citizen_svc.FEEDBACK_KINDS,
        result_files=files_svc.results_of(db.session, dossier.id),
    ))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _find(form: LookupForm) -> Dossier | None:
    code, secret = form.code.data or "", (form.secret.data or "").strip()
    return guard.verify_guarded(
        code, (form.phone4.data or "").strip(), lambda phone4, check: lookup_svc.find_for_lookup(
            db.session, code, secret=secret, phone4=phone4, key=guard.secret_key(), check=check))


# ---------------------------------------------------------------- the look-up

@bp.route("/lookup", methods=["GET", "POST"])
def lookup_page() -> Response:
    """GET: the form (``?code=`` pre-fills it — the receipt's QR), or the live session's dossier;
    POST: verify and show the result."""
    if request.method == "POST":
        g.db_read_only = True  # verifying a secret reads only (see onestop/database/events.py)
        return _lookup_submit()
    code = (request.args.get("code") or "")[:MAX_CODE_LENGTH].strip().upper()
    now = utcnow()
    dossier = guard.session_dossier(code, now) if code else None
    if dossier is not None:
        return _render_result(dossier, now=now)
    return Response(render_template(_TEMPLATE, form=LookupForm(formdata=None, data={"code": code}),
                                    failed=False, view=None, rating_form=None, feedback_form=None))


def _lookup_submit() -> Response:
    form = LookupForm()
    if not form.validate():
        form.code.data = (form.code.data or "")[:MAX_CODE_LENGTH]  # never echo an over-long input
        return Response(render_template(_TEMPLATE, form=form, failed=False, view=None,
                                        rating_form=None, feedback_form=None))
    dossier = _find(form)
    if dossier is None:
        return _generic_failure(form.code.data or "")
    now = utcnow()
    guard.mark_verified(dossier, now)
    return _render_result(dossier, now=now)


# ---------------------------------------------------------------- rating and complaint: one path

@dataclass(frozen=True)
class _Post:
    """What differs between the rating and the complaint post; everything else is
    :func:`_citizen_post`."""
    form: type[LookupForm]
    anchor: str  # the page's section, and the name of its form in the template ("rating_form")
    record: Callable[[Any, Dossier, datetime], str]  # calls the service; the thank-you message


def _record_rating(form: RatingForm, dossier: Dossier, now: datetime) -> str:
    citizen_svc.submit_rating(
        db.session, dossier, scores={name: getattr(form, name).data for name, _label in citizen_svc.FACTORS},
        satisfied={"yes": True, "no": False}.get(form.satisfied.data or ""),
        comment=form.comment.data or "", now=now)
    return str(_("Cảm ơn ông/bà đã đánh giá. Ý kiến đã được ghi nhận."))


def _record_feedback(form: FeedbackForm, dossier: Dossier, now: datetime) -> str:
    fb = citizen_svc.register_feedback(
        db.session, dossier, content=form.content.data or "", kind=form.kind.data or "complaint",
        contact=form.contact.data or "", now=now,
        max_per_day=int(current_app.config["FEEDBACK_PER_DOSSIER_PER_DAY"]))
    return str(_("Đã tiếp nhận phản ánh, kiến nghị số %(code)s; hạn trả lời: %(due)s.",
                 code=fb.code, due=fb.due_at.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")))


_RATING = _Post(RatingForm, "rating", _record_rating)
_FEEDBACK = _Post(FeedbackForm, "feedback", _record_feedback)


@bp.post("/lookup/rating")
def rate() -> BaseResponse:
    return _citizen_post(_RATING)


@bp.post("/lookup/feedback")
def submit_feedback() -> BaseResponse:
    return _citizen_post(_FEEDBACK)


def _citizen_post(post: _Post) -> BaseResponse:
    """A citizen's rating or complaint. Proof is either the factors sent with it — verified again
    through the phone-4 guard, and a new look-up session — or, with no factor sent, the live
    look-up session of THIS dossier (the code posted must be the session's dossier's). Then the
    form is validated and the service called; errors come back beside each question on the result
    page, a refusal as a message; success redirects to the page's section (303)."""
    form = post.form()
    now = utcnow()
    if form.has_factor():
        dossier = _find(form)
        if dossier is None:
            return _generic_failure(form.code.data or "")
        guard.mark_verified(dossier, now)
    else:
        dossier = guard.session_dossier(form.code.data or "", now)
        if dossier is None:
            return _session_expired(form.code.data or "")
        form.session_proof = True
    if not form.validate():
        return _render_result(dossier, now=now, **{f"{post.anchor}_form": form})
    try:
        message = post.record(form, dossier, now)
        db.session.commit()
        flash(message, "success")
    except ValidationFailed as exc:
        db.session.rollback()
        for name, refused in exc.errors.items():  # beside the field it concerns, like the form's own
            msg = sentences.error_text(refused)
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, msg]
            else:
                flash(msg, "danger")
        return _render_result(dossier, now=now, **{f"{post.anchor}_form": form})
    except ServiceError as exc:
        db.session.rollback()
        flash(_refusal(exc), "danger")
    return redirect(url_for("lookup.lookup_page", code=dossier.code, _anchor=post.anchor), code=303)


def _refusal(exc: ServiceError) -> str:
    if isinstance(exc, citizen_svc.FeedbackLimitReached):
        return str(_(
            "Hồ sơ này đã có đủ %(n)s phản ánh, kiến nghị trong ngày hôm nay (tối đa %(n)s phản ánh, "
            "kiến nghị một ngày cho mỗi hồ sơ). Vui lòng gửi tiếp vào ngày mai, hoặc liên hệ trực tiếp "
            "Bộ phận Tiếp nhận và Trả kết quả.", n=exc.limit))
    return str(exc)


@bp.app_template_global("estimate_text_for_code")
def estimate_text_for_code(code: str) -> str:
    """The honest estimate on the verified page (services/dossiers/estimates.py), "" when too few
    cases."""
    d = db.session.scalar(select(Dossier).where(Dossier.code == code))
    return sentences.estimate_text(estimate_for_dossier(db.session, d)) if d is not None else ""


# ---------------------------------------------------------------- results

@bp.get("/lookup/<code>/files/<int:file_id>")
def citizen_download(code: str, file_id: int) -> Response:
    """A citizen's result: only within the look-up session of this code."""
    code = code.strip().upper()[:MAX_CODE_LENGTH]
    if guard.session_dossier(code, utcnow()) is None:
        abort(404)
    dossier = db.session.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None:
        abort(404)
    try:
        row = files_svc.result_for_citizen(db.session, dossier, file_id)
    except NotFound:
        abort(404)
    return send_file_row(row)


# ---------------------------------------------------------------- 429

@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> Response:
    """Say when to retry (Retry-After header + text)."""
    retry = guard.retry_after_seconds()
    resp = Response(render_template("lookup/rate_limited.html", retry=retry,
                                    retry_at=utcnow() + timedelta(seconds=retry)), 429)
    resp.headers["Retry-After"] = str(retry)
    return resp
