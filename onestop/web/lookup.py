"""Blueprint 'lookup': the public face (issue 5). No login except the staff feedback inbox.

* ``/lookup`` — a citizen looks a dossier up with its code + the receipt's secret (or the phone's
  last four digits); the receipt's QR opens ``/lookup?code=<code>`` pre-filled.
* ``/api/v1/lookup/<code>`` — the same, as Open311 GeoReport-style JSON (docs/architecture.md §3).
* ``/lookup/rating`` and ``/lookup/feedback`` — SIPAS rating and PAKN, re-verifying the secret.
* ``/feedback`` — staff answer the PAKN routed to their agency subtree.
* ``/public`` — the transparency page provinces publish; data at ``/public/data.json``.

Anti-enumeration (docs/domain.md §4): unknown, malformed and wrong-secret look-ups give the same page,
same status, same generic message, after the same work (see services.public.lookup.find_for_lookup);
look-ups are rate limited per client address (config ``LOOKUP_RATE_LIMIT``, read per request).
"""
from __future__ import annotations

import base64
import contextlib
import io
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from limits import RateLimitItem, parse_many
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request as WerkzeugRequest
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from ..database.events import autocommit_read
from ..domain.codes import MAX_CODE_LENGTH, normalize_code, parse_code
from ..domain.errors import DomainError
from ..domain.status import DossierAction
from ..extensions import csrf, db, limiter
from ..models import Agency, Dossier, DossierEvent
from ..services.public import feedback as citizen_svc
from ..services.public import lookup as lookup_svc
from ..services.dossiers.actions import secret_key
from ..services.errors import ServiceError, ValidationFailed
from . import sentences
from .auth import roles_required, utcnow
from .errors import NUL_MESSAGE, error_body
from .headers import security_headers
from .i18n import local_tz

bp = Blueprint("lookup", __name__)

_VERIFIED_KEY = "lookup_verified"
_VERIFIED_MINUTES = 15
_LIMIT_SCOPE = "citizen-lookup"


def _lookup_limit() -> str:
    """Read at request time so tests and operators can change it without rebuilding the app."""
    return str(current_app.config.get("LOOKUP_RATE_LIMIT") or "30 per minute;300 per hour")


# One shared bucket per client address for every way of proving a secret (page, API, rating,
# feedback): otherwise an attacker would get four times the guesses. The API counts in the same
# bucket through _hit_lookup_bucket (below).
lookup_limit_post = limiter.shared_limit(_lookup_limit, scope=_LIMIT_SCOPE, methods=["POST"])


# ---------------------------------------------------------------- forms

class LookupForm(FlaskForm):
    code = StringField(
        _l("Mã hồ sơ"),
        validators=[DataRequired(_l("Nhập mã hồ sơ in trên giấy tiếp nhận.")),
                    Length(max=MAX_CODE_LENGTH, message=_l("Mã hồ sơ tối đa %(n)s ký tự.", n=MAX_CODE_LENGTH))],
    )
    secret = StringField(
        _l("Mã bí mật (in trên giấy tiếp nhận)"),
        validators=[Optional(), Length(max=lookup_svc.MAX_SECRET_LENGTH,
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
        if ok and not (self.secret.data or "").strip() and not (self.phone4.data or "").strip():
            self.secret.errors = [_l("Nhập mã bí mật in trên giấy tiếp nhận, hoặc 4 số cuối điện thoại.")]
            return False
        return ok


_SCORE_CHOICES = [(str(k), f"{k}") for k, v in citizen_svc.SCORE_LABELS.items()]


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


class AnswerForm(FlaskForm):
    feedback_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,12}$")])
    answer = TextAreaField(_l("Trả lời"), validators=[DataRequired(_l("Nhập nội dung trả lời.")),
                                                     Length(max=citizen_svc.MAX_ANSWER)])
    # A complaint's conclusion (required for complaints by the service, docs/rules.md F5).
    upheld = RadioField(_l("Kết luận"), choices=[("yes", _l("Phản ánh đúng (có cơ sở)")),
                                                ("no", _l("Phản ánh không đúng"))],
                        validate_choice=False, validators=[Optional(), AnyOf(("yes", "no"))])


# ---------------------------------------------------------------- helpers

def _db() -> Session:
    """The request's session, typed for the services (Flask-SQLAlchemy's scoped proxy)."""
    return db.session


def _generic_failure(form: LookupForm) -> Any:
    """THE answer for unknown code, malformed code and wrong secret alike (same template, 200)."""
    return _no_store(Response(render_template(
        "lookup/lookup.html", form=form, failed=True, view=None, rating_form=None, feedback_form=None,
    ), status=200))


def _no_store(resp: Response) -> Response:
    # A verified page holds the secret in hidden fields: keep it out of shared caches and history.
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _mark_verified(dossier: Dossier, now: datetime) -> None:
    """The citizen's look-up session (docs/security.md, "The citizen's look-up session"): after a
    verified look-up, the signed session cookie holds THE one dossier's id and an expiry
    ``_VERIFIED_MINUTES`` later — never the secret or the digits. A later look-up replaces it
    (one dossier at a time); rating and feedback posts use it without extending it."""
    session[_VERIFIED_KEY] = {"id": dossier.id,
                              "until": (now + timedelta(minutes=_VERIFIED_MINUTES)).timestamp()}


def _session_dossier(code: str, now: datetime) -> Dossier | None:
    """The dossier of a live look-up session, if ``code`` is its code; else None."""
    mark = session.get(_VERIFIED_KEY)
    if not isinstance(mark, dict):
        return None
    until, dossier_id = mark.get("until"), mark.get("id")
    if not isinstance(until, (int, float)) or until <= now.timestamp() or not isinstance(dossier_id, int):
        return None
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or dossier.code != normalize_code((code or "")[:MAX_CODE_LENGTH + 1]):
        return None
    # A secret reissued since (a lost receipt: the old one may be in other hands) ends the session.
    opened = datetime.fromtimestamp(until, UTC) - timedelta(minutes=_VERIFIED_MINUTES)
    if db.session.scalar(select(DossierEvent.id).where(
            DossierEvent.dossier_id == dossier.id, DossierEvent.action == DossierAction.REISSUE_SECRET.value,
            DossierEvent.at >= opened).limit(1)) is not None:
        return None
    return dossier


def _verified_in_session(code: str, now: datetime) -> bool:
    return _session_dossier(code, now) is not None


def _find(form: LookupForm) -> Dossier | None:
    code, secret = form.code.data or "", (form.secret.data or "").strip()
    return verify_guarded(code, (form.phone4.data or "").strip(), lambda phone4, check: lookup_svc.find_for_lookup(
        _db(), code, secret=secret, phone4=phone4, key=secret_key(), check=check))


_T = TypeVar("_T")
_PHONE4_SCOPE = "lookup-phone4"


def verify_guarded(code: str, phone4: str, verify: Callable[[str, lookup_svc.FactorCheck], _T | None]) -> _T | None:
    """THE phone-4 guard around every way of proving a look-up — the page, the API (its Flask
    route and its fast path alike), rating and feedback posts: ``verify(phone4, check)`` runs the
    service's verification with the digits this guard lets through, and reports in ``check``
    whether they matched.

    The phone's last four digits are only 10,000 values and a desk's codes are sequential, so
    besides the per-address limit each well-formed dossier code accepts only
    ``LOOKUP_PHONE4_FAILURES`` wrong phone-4 guesses (default 10 a day). Every wrong guess counts,
    whatever else the request carries — a wrong or a right secret included (a look-up succeeds on
    either factor, so success says nothing about the digits). Once the count is reached the phone
    route is closed for that code: the digits are not compared at all, so the right ones fail too,
    with the same generic answer after the same work. The receipt's secret is never refused here:
    an attacker can close the weaker factor, not lock the citizen out. The counter lives in the
    rate limiter's storage (Redis in production: one count for every worker and node) under
    ``[RATELIMIT_KEY_PREFIX/]lookup-phone4/<code>``. docs/security.md, "Citizens' look-up and limits"."""
    keys = _phone4_keys(code) if phone4 and limiter.enabled else None
    limit = _phone4_limit()
    # The guess is counted *before* the digits are compared — one atomic increment in the shared
    # store — so guesses sent in parallel cannot all be compared before the first is counted.
    if keys is not None and not limiter.limiter.hit(limit, *keys):
        phone4, keys = "", None  # closed for this code until the window ends
    check = lookup_svc.FactorCheck()
    found = verify(phone4, check)
    if keys is not None and check.phone4_matched:
        # Right digits never count: give the guess back (the limiter's fixed window, Flask-Limiter's
        # default strategy, which the app does not change: a hit of cost -1 is a decrement).
        limiter.limiter.hit(limit, *keys, cost=-1)
    return found


def _phone4_keys(code: str) -> list[str] | None:
    try:
        parse_code(code[: MAX_CODE_LENGTH + 1])  # only well-formed codes get a counter
    except DomainError:
        return None
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [k for k in (prefix, _PHONE4_SCOPE, normalize_code(code)) if k]


def _phone4_limit() -> RateLimitItem:
    return _parsed_limits(str(current_app.config.get("LOOKUP_PHONE4_FAILURES") or "10 per day"))[0]


def _render_result(dossier: Dossier, form: LookupForm, *, now: datetime,
                   rating_form: RatingForm | None = None, feedback_form: FeedbackForm | None = None) -> Any:
    """The verified page. Its rating and feedback forms carry only the code: the look-up session
    proves the rest (the secret is not echoed into the page). A form given here was just posted
    and comes back with its answers and its errors beside each question."""
    view = lookup_svc.public_view(_db(), dossier, now=now)
    factors = {"code": view.code}
    if rating_form is None:
        rating_form = RatingForm(formdata=None, data=factors) if view.can_rate else None
    elif not view.can_rate:
        rating_form = None
    if feedback_form is None:
        feedback_form = FeedbackForm(formdata=None, data=factors)
    return _no_store(Response(render_template(
        "lookup/lookup.html", form=form, failed=False, view=view, rating_form=rating_form,
        feedback_form=feedback_form, factors=citizen_svc.FACTORS,
        feedback_kinds=citizen_svc.FEEDBACK_KINDS,
    ), status=200))


# ---------------------------------------------------------------- the look-up page

@bp.route("/lookup", methods=["GET", "POST"])
@lookup_limit_post
def lookup_page() -> Any:
    """GET: the form (``?code=`` pre-fills it — the receipt's QR); POST: verify and show the result."""
    if request.method == "POST":
        g.db_read_only = True  # verifying a secret reads only (see onestop/database/events.py)
        return _lookup_submit()
    code = (request.args.get("code") or "")[:MAX_CODE_LENGTH].strip().upper()
    form = LookupForm(formdata=None, data={"code": code})
    now = utcnow()
    dossier = _session_dossier(code, now) if code else None
    if dossier is not None:
        return _render_result(dossier, form, now=now)
    return render_template("lookup/lookup.html", form=form, failed=False, view=None,
                           rating_form=None, feedback_form=None)


def _lookup_submit() -> Any:
    form = LookupForm()
    if not form.validate():
        form.code.data = (form.code.data or "")[:MAX_CODE_LENGTH]  # never echo an over-long input
        return render_template("lookup/lookup.html", form=form, failed=False, view=None,
                               rating_form=None, feedback_form=None), 200
    dossier = _find(form)
    if dossier is None:
        return _generic_failure(form)
    now = utcnow()
    _mark_verified(dossier, now)
    return _render_result(dossier, LookupForm(formdata=None, data={"code": dossier.code}), now=now)


def _verify_citizen_post(form: Any, anchor: str) -> tuple[Dossier | None, datetime, Any]:
    """The start of a citizen's rating or feedback POST (citizens never log in). Proof is either
    the factors sent with it — verified again through the phone-4 guard, and a new look-up
    session — or, with no factor sent, the live look-up session of THIS dossier (the code posted
    must be the session's dossier's). Then the form is validated; its errors come back beside
    each question on the result page. Returns ``(dossier, now, None)`` to go on, or
    ``(None, now, response)`` to answer with."""
    now = utcnow()
    if (form.secret.data or "").strip() or (form.phone4.data or "").strip():
        dossier = _find(form)
        if dossier is None:
            return None, now, _generic_failure(LookupForm(formdata=None, data={"code": form.code.data}))
        _mark_verified(dossier, now)
    else:
        dossier = _session_dossier(form.code.data or "", now)
        if dossier is None:
            return None, now, _session_expired(form.code.data or "")
        form.session_proof = True
    if not form.validate():
        kind = {"rating": "rating_form", "feedback": "feedback_form"}[anchor]
        return None, now, _render_result(dossier, LookupForm(formdata=None, data={"code": dossier.code}),
                                         now=now, **{kind: form})
    return dossier, now, None


def _session_expired(code: str) -> Any:
    """No factor and no live session for this code: ask for the secret again. Says nothing about
    the code (the database is not read), so it reveals no more than the generic failure."""
    form = LookupForm(formdata=None, data={"code": code[:MAX_CODE_LENGTH]})
    return _no_store(Response(render_template(
        "lookup/lookup.html", form=form, failed=False, expired=True, view=None, rating_form=None,
        feedback_form=None,
    ), status=200))


@bp.post("/lookup/rating")
@lookup_limit_post
def rate() -> Any:
    form = RatingForm()
    dossier, now, answer = _verify_citizen_post(form, "rating")
    if dossier is None:
        return answer
    try:
        citizen_svc.submit_rating(
            _db(), dossier,
            scores={name: getattr(form, name).data for name, _label in citizen_svc.FACTORS},
            satisfied={"yes": True, "no": False}.get(form.satisfied.data or ""),
            comment=form.comment.data or "", now=now,
        )
        db.session.commit()
        flash(_("Cảm ơn ông/bà đã đánh giá. Ý kiến đã được ghi nhận."), "success")
    except ValidationFailed as exc:
        db.session.rollback()
        return _with_field_errors(dossier, form, exc, now=now, kind="rating_form")
    except ServiceError as exc:
        db.session.rollback()
        _flash_service_error(exc)
    return redirect(url_for("lookup.lookup_page", code=dossier.code, _anchor="rating"), code=303)


@bp.post("/lookup/feedback")
@lookup_limit_post
def submit_feedback() -> Any:
    form = FeedbackForm()
    dossier, now, answer = _verify_citizen_post(form, "feedback")
    if dossier is None:
        return answer
    try:
        fb = citizen_svc.register_feedback(_db(), dossier, content=form.content.data or "",
                                           kind=form.kind.data or "complaint",
                                           contact=form.contact.data or "", now=now,
                                           max_per_day=int(current_app.config["FEEDBACK_PER_DOSSIER_PER_DAY"]))
        db.session.commit()
        flash(_("Đã tiếp nhận phản ánh, kiến nghị số %(code)s; hạn trả lời: %(due)s.",
                code=fb.code, due=fb.due_at.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")), "success")
    except citizen_svc.FeedbackLimitReached as exc:
        db.session.rollback()
        flash(_("Hồ sơ này đã có đủ %(n)s phản ánh, kiến nghị trong ngày hôm nay (tối đa %(n)s phản ánh, "
                "kiến nghị một ngày cho mỗi hồ sơ). Vui lòng gửi tiếp vào ngày mai, hoặc liên hệ trực tiếp "
                "Bộ phận Tiếp nhận và Trả kết quả.", n=exc.limit), "danger")
    except ValidationFailed as exc:
        db.session.rollback()
        return _with_field_errors(dossier, form, exc, now=now, kind="feedback_form")
    except ServiceError as exc:
        db.session.rollback()
        _flash_service_error(exc)
    return redirect(url_for("lookup.lookup_page", code=dossier.code, _anchor="feedback"), code=303)


def _with_field_errors(dossier: Dossier, form: Any, exc: ValidationFailed, *, now: datetime, kind: str) -> Any:
    """The service's refusal shown like the form's own: beside the field it concerns."""
    for name, msg in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, msg]
        else:
            flash(msg, "danger")
    return _render_result(dossier, LookupForm(formdata=None, data={"code": dossier.code}), now=now,
                          **{kind: form})


def _flash_service_error(exc: ServiceError) -> None:
    if isinstance(exc, ValidationFailed):
        for msg in exc.errors.values():
            flash(msg, "danger")
    else:
        flash(str(exc), "danger")


# ---------------------------------------------------------------- API

@bp.get("/api/v1/lookup/<code>")
@csrf.exempt
def api_lookup(code: str) -> Any:
    """Public JSON look-up (Open311 GeoReport v2 style). Unknown code, malformed code and wrong
    secret all answer the same 404. GET requests are answered by :class:`LookupApiFastPath`
    before they reach this route; HEAD (and GET with the fast path off) come here — both through
    :func:`api_answer`, so the answer is the same either way."""
    g.db_read_only = True
    status, body, headers = api_answer(code, request.args, request.remote_addr or "")
    return Response(api_json(body), status, headers, mimetype="application/json")


_NOT_FOUND_MESSAGE = _l("Không tìm thấy hồ sơ khớp với mã hồ sơ và mã bí mật (hoặc 4 số cuối điện thoại).")


ApiAnswer = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, headers


def api_answer(code: str, args: Mapping[str, str], remote_addr: str) -> ApiAnswer:
    """The look-up API's whole answer as ``(status, body, headers)``; the Flask route and the
    fast path only serialise it. Needs an application context only (no request context, no
    session cookie, no login): the API is stateless — ``?lang=en`` picks English.

    In order: NUL anywhere → 400; one guess counted in the citizen's *shared* look-up bucket
    (page, API, rating and feedback draw on the same one) → 429 with Retry-After; then the same
    indexed statement and two HMAC checks on every path (services.public.lookup.summary_for_lookup).
    Every answer is ``Cache-Control: no-store`` (a found one is personal data)."""
    if "\x00" in code or any("\x00" in v for v in args.values()):
        return _api_error(400, "bad_request", NUL_MESSAGE)
    lang = _api_locale(args)
    retry = _hit_lookup_bucket(remote_addr)
    if retry is not None:
        with force_locale(lang):
            message = _("Quá nhiều lần tra cứu. Vui lòng thử lại sau %(s)s giây.", s=retry)
        status, body, headers = _api_error(429, "too_many_requests", message, retry_after=retry)
        return status, body, {**headers, "Retry-After": str(retry)}
    secret = (args.get("secret") or "")[: lookup_svc.MAX_SECRET_LENGTH + 1]
    phone4 = (args.get("phone4") or "")[:5]
    view = None
    with autocommit_read(_db(), db.engine) as conn:  # one indexed read: no transaction (onestop/database/events.py)
        if len(secret) <= lookup_svc.MAX_SECRET_LENGTH and len(phone4) <= 4:
            view = verify_guarded(code, phone4.strip(), lambda p4, check: lookup_svc.summary_for_lookup(
                _db(), code[: MAX_CODE_LENGTH + 1], secret=secret.strip(), phone4=p4, key=secret_key(),
                now=utcnow(), connection=conn, check=check))
        else:  # keep the same work on every path
            lookup_svc.summary_for_lookup(_db(), "", secret="-", key=secret_key(), now=utcnow(), connection=conn)
    with force_locale(lang):
        if view is None:
            return _api_error(404, "not_found", str(_NOT_FOUND_MESSAGE))
        body = lookup_svc.open311(view, tz=view.tz or ZoneInfo(current_app.config["TIMEZONE"]),
                                  texts=sentences.lookup_texts(view))
    return 200, body, _NO_STORE


_NO_STORE = {"Cache-Control": "no-store"}


def api_json(body: dict[str, Any]) -> bytes:
    """The answer's bytes, one serialisation for both paths: compact, through the app's JSON
    provider (the same keys order and escaping as ``jsonify``)."""
    return (current_app.json.dumps(body, separators=(",", ":")) + "\n").encode()


def _api_error(status: int, code: str, message: str, **extra: Any) -> ApiAnswer:
    return status, error_body(code, message, **extra), _NO_STORE


def _api_locale(args: Mapping[str, str]) -> str:
    wanted = args.get("lang")
    langs = current_app.config["LANGUAGES"]
    return str(wanted) if wanted in langs else str(current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=8)
def _parsed_limits(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(sorted(parse_many(spec)))


def _hit_lookup_bucket(remote_addr: str) -> int | None:
    """Count one guess in the client address's shared look-up bucket: ``None`` if allowed, else
    the seconds until the next guess is.

    The same counters, keys and order as Flask-Limiter's ``shared_limit(scope="citizen-lookup")``
    on the page (storage key ``LIMITER/<prefix>/<address>/citizen-lookup/<limit>``, limits tried
    from the strictest, stop at the first breach), drawn from the extension's own storage and
    strategy (``limiter.limiter``) — so the page and the API share one bucket on one node or
    through Redis on many. Called directly rather than through the decorator because the API is
    answered outside the request hooks the decorator needs."""
    if not limiter.enabled:
        return None
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    keys = [k for k in (prefix, remote_addr or "127.0.0.1", _LIMIT_SCOPE) if k]
    for item in _parsed_limits(_lookup_limit()):
        if not limiter.limiter.hit(item, *keys):
            reset = limiter.limiter.get_window_stats(item, *keys).reset_time
            return max(1, int(reset - time.time()))
    return None


class LookupApiFastPath:
    """WSGI middleware: answers ``GET /api/v1/lookup/<code>`` with :func:`api_answer` inside an
    application context, without the staff application's request pipeline; everything else goes
    on to the Flask app.

    Why (issue 7, docs/benchmarks.md "Lookup vs bare endpoint"): the look-up is the one endpoint
    the public hits at volume, and it is stateless — no login, session cookie, CSRF, flash,
    locale cookie or password-change guard applies to it. Through the full pipeline those hooks
    cost more than the look-up itself (the app's own ``/healthz`` served 67 % of a bare Flask
    endpoint's throughput); here the look-up keeps every rule that matters — the shared rate
    limit, the NUL refusal, anti-enumeration, security headers, JSON errors — at the cost of a
    bare one. Installed inside ProxyFix, so the client address is already the citizen's.
    ``LOOKUP_API_FAST_PATH = False`` sends the API through the Flask route instead."""

    PREFIX = "/api/v1/lookup/"

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO") or ""
        if (environ.get("REQUEST_METHOD") != "GET" or not path.startswith(self.PREFIX)
                or "/" in path[len(self.PREFIX):] or len(path) == len(self.PREFIX)
                or not self.app.config.get("LOOKUP_API_FAST_PATH", True)):
            return self.wsgi_app(environ, start_response)
        req = WerkzeugRequest(environ)
        # Like Flask's own request context: reuse an application context that is already active
        # for this app (tests, CLI), else push one — its teardown closes the ORM session.
        outer = has_app_context() and current_app._get_current_object() is self.app  # type: ignore[attr-defined]
        with contextlib.nullcontext() if outer else self.app.app_context():
            was_read_only = g.get("db_read_only")
            g.db_read_only = True  # a look-up only reads (onestop/database/events.py)
            try:
                status, body, headers = api_answer(req.path[len(self.PREFIX):], req.args, req.remote_addr or "")
            except Exception:
                propagate = self.app.config.get("PROPAGATE_EXCEPTIONS")
                if propagate or (propagate is None and (self.app.testing or self.app.debug)):
                    raise
                self.app.logger.exception("look-up API failed: %s", req.path)
                status, body, headers = _api_error(500, "server_error", "Lỗi hệ thống. Vui lòng thử lại.")
            finally:
                if outer:  # leave the caller's context as it was
                    g.db_read_only = was_read_only
            # Written straight to WSGI: a Response object and its header bookkeeping cost more
            # here than the serialisation.
            payload = api_json(body)
            start_response(f"{status} {HTTP_STATUS_CODES[status]}", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                *headers.items(), *security_headers(secure=req.is_secure)])
            return [payload]


# ---------------------------------------------------------------- 429

@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> Any:
    """Say when to retry (Retry-After header + text). Blueprint-scoped: only the look-up pages
    get this page (the API answers its own JSON 429 in api_answer); the rest of the app keeps the
    generic error page."""
    retry = _retry_after_seconds()
    resp = Response(render_template("lookup/rate_limited.html", retry=retry,
                                    retry_at=utcnow() + timedelta(seconds=retry)), 429)
    resp.headers["Retry-After"] = str(retry)
    return resp


def _retry_after_seconds() -> int:
    lim = limiter.current_limit
    if lim is None:
        return 60
    try:
        return max(1, int(lim.reset_at - time.time()))
    except Exception:  # noqa: BLE001  (storage unreachable: a safe default)
        return 60


# ---------------------------------------------------------------- QR (for the receipt)

def qr_png(code: str, *, box_size: int = 4, border: int = 2) -> bytes:
    """PNG of the QR that the receipt prints: ``PUBLIC_BASE_URL + '/lookup?code=<code>'``."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(lookup_svc.lookup_url(current_app.config["PUBLIC_BASE_URL"], code))
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


@bp.app_template_global("lookup_qr_data_uri")
def lookup_qr_data_uri(code: str) -> str:
    """For print templates (img-src allows data:): ``<img src="{{ lookup_qr_data_uri(d.code) }}">``."""
    return "data:image/png;base64," + base64.b64encode(qr_png(code)).decode("ascii")


@bp.app_template_global("lookup_url")
def lookup_url_for(code: str) -> str:
    return lookup_svc.lookup_url(current_app.config["PUBLIC_BASE_URL"], code)


@bp.get("/lookup/qr/<code>.png")
def qr(code: str) -> Any:
    from ..domain.codes import parse_code

    try:
        parsed = parse_code(code[: MAX_CODE_LENGTH + 1])
    except DomainError:
        abort(404)
    del parsed
    resp = Response(qr_png(code.strip().upper()), mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


# ---------------------------------------------------------------- staff: the PAKN inbox

@bp.route("/feedback", methods=["GET", "POST"])
@roles_required("officer", "head")
def feedback_inbox() -> Any:
    now = utcnow()
    form = AnswerForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                fb = citizen_svc.answer_feedback(_db(), int(form.feedback_id.data or 0),
                                                 answer=form.answer.data or "", actor=current_user, now=now,
                                                 upheld={"yes": True, "no": False}.get(form.upheld.data or ""))
                db.session.commit()
                flash(_("Đã trả lời phản ánh %(code)s; công dân xem được khi tra cứu hồ sơ.", code=fb.code),
                      "success")
            except ServiceError as exc:
                db.session.rollback()
                if getattr(exc, "status_code", 400) == 403:
                    abort(403)
                _flash_service_error(exc)
        else:
            for errors in form.errors.values():
                for e in errors:
                    flash(str(e), "danger")
        return redirect(url_for("lookup.feedback_inbox"), code=303)
    rows = citizen_svc.feedback_inbox(_db(), actor=current_user, now=now)
    return render_template("lookup/feedback_inbox.html", rows=rows, form=form, now=now,
                           kinds=citizen_svc.FEEDBACK_KINDS)


# ---------------------------------------------------------------- public transparency

def _periods(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    tz = local_tz()
    local = now.astimezone(tz)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year = month.replace(month=1)
    return {"month": (month.astimezone(ZoneInfo("UTC")), now), "year": (year.astimezone(ZoneInfo("UTC")), now)}


def _node_and_children(identifier: str | None) -> tuple[Agency | None, list[Agency]]:
    s = db.session
    if identifier is None:
        roots = list(s.scalars(select(Agency).where(Agency.parent_id.is_(None), Agency.valid_to.is_(None))
                               .order_by(Agency.identifier)).all())
        if len(roots) != 1:
            return None, roots
        node: Agency | None = roots[0]
    else:
        node = s.scalar(select(Agency).where(Agency.identifier == identifier[:20]))
        if node is None:
            abort(404)
    assert node is not None
    children = list(s.scalars(select(Agency).where(Agency.parent_id == node.id, Agency.valid_to.is_(None))
                              .order_by(Agency.identifier)).all())
    return node, children


def _transparency(identifier: str | None) -> dict[str, Any]:
    node, children = _node_and_children(identifier)
    now = utcnow()
    listed = ([node] if node is not None else []) + children
    # Periods not yet over are measured as of now, and the page says so (docs/rules.md).
    out: dict[str, Any] = {"agency": None, "periods": {}, "as_of": now.astimezone(local_tz()).isoformat()}
    if node is not None:
        out["agency"] = {"identifier": node.identifier, "name": node.name}
    for key, (start, end) in _periods(now).items():
        figs = citizen_svc.transparency_figures(_db(), listed, start, end, now=now)
        out["periods"][key] = {"from": start.astimezone(local_tz()).date().isoformat(),
                               "to": end.astimezone(local_tz()).date().isoformat(),
                               "total": figs[0] if node is not None else None,
                               "rows": figs[1:] if node is not None else figs}
    return out


@bp.get("/public")
@bp.get("/public/<identifier>")
def transparency(identifier: str | None = None) -> Any:
    data = _transparency(identifier)
    data_url = url_for("lookup.transparency_data", identifier=identifier) if identifier else \
        url_for("lookup.transparency_data")
    return render_template("lookup/transparency.html", data=data, data_url=data_url, identifier=identifier)


@bp.get("/public/data.json")
@bp.get("/public/<identifier>/data.json")
def transparency_data(identifier: str | None = None) -> Any:
    data = _transparency(identifier)
    for period in data["periods"].values():
        period["total"] = period["total"].as_dict() if period["total"] is not None else None
        period["rows"] = [r.as_dict() for r in period["rows"]]
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


# ---------------------------------------------------------------- OpenAPI (refines the pre-described path)

def _describe_api() -> None:
    """Refine the teammate-owned OpenAPI document with the exact shape served above."""
    try:
        from . import openapi
    except ImportError:  # the document module is optional for this blueprint
        return
    if not hasattr(openapi, "register_path"):
        return
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
            "status_code": {"type": "string", "enum": [x.value for x in DossierStatusEnum]},
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


from ..domain.status import DossierStatus as DossierStatusEnum

_describe_api()
