"""The one-stop desk: reception (three outcomes) and the register (form 07).

Reception follows Decree 61/2018 art. 18 (Decree 118/2025 from 2025-07-01): a
complete dossier is received with a code and a receipt (form 01); an incomplete
one gets ONE supplement request listing all missing items (form 02); an
ineligible one is refused with reasons (form 03).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..domain.codes import lookup_key
from ..domain.errors import DomainError
from ..domain.status import STATUS_LABELS_VI, DossierStatus
from ..extensions import db
from ..integrations.storage import StorageError
from ..models import Procedure
from ..services.dossiers import queries, reception_panel
from ..services.dossiers.applicant import Applicant
from ..services.dossiers.estimates import estimate_for_dossier
from ..services.dossiers.reception import ReceptionInput, receive_dossier, reception_errors
from ..services.errors import Forbidden, ValidationFailed
from . import reception_scans, sentences
from .auth import roles_required, utcnow
from .files import storage
from .forms import ReceptionForm, RegisterFilterForm
from .i18n import local_tz
from .sentences import error_text

bp = Blueprint("reception", __name__)

CODE_RE = re.compile(r"^\s*(\d{1,2}\.\d{6})\b")
SECRET_SESSION_KEY = "receipt_secret"
SECRET_HANDOVER_SECONDS = 600
OUTCOMES = ("receive", "request_supplement", "refuse")


def resolve_procedure(text: str) -> Procedure | None:
    """The clerk typed a code ("1.004884"), picked a datalist entry
    ("1.004884 — Đăng ký …") or typed a name that matches exactly one procedure."""
    text = (text or "").strip()
    if not text:
        return None
    m = CODE_RE.match(text)
    if m:
        return db.session.scalar(select(Procedure).where(Procedure.code == m.group(1),
                                                         Procedure.active.is_(True)))
    found = queries.search_procedures(db.session, text, limit=2)
    return found[0] if len(found) == 1 else None


def wall_clock() -> float:
    """The hand-over's lifetime is technical (seconds between a redirect and the page it leads
    to), so it follows the machine's clock, not the dossier's business time."""
    return time.time()


def _seal_keys() -> tuple[bytes, bytes]:
    base = str(current_app.config["SECRET_KEY"]).encode()
    return (hmac.new(base, b"onestop receipt secret: encrypt", hashlib.sha256).digest(),
            hmac.new(base, b"onestop receipt secret: authenticate", hashlib.sha256).digest())


def _seal_tag(mac_key: bytes, code: str, expires: int, nonce: bytes, body: bytes) -> str:
    return hmac.new(mac_key, f"{code}|{expires}|".encode() + nonce + body, hashlib.sha256).hexdigest()


def remember_secret(code: str, secret: str) -> None:
    """One-time hand-over of the lookup secret to the receipt page across the redirect after
    reception (a reload of the receipt must not receive the dossier again). Flask's session
    cookie is signed, not encrypted, so the secret is SEALED in it: XOR with an HMAC-SHA256
    keystream over a fresh nonce (a key derived from SECRET_KEY), authenticated with a second
    derived key, valid ten minutes and popped on first display; never put in a URL
    (docs/security.md, "Accountability")."""
    enc_key, mac_key = _seal_keys()
    data = secret.encode()
    nonce = secrets.token_bytes(16)
    pad = hmac.new(enc_key, nonce, hashlib.sha256).digest()
    if len(data) > len(pad):
        raise ValueError("look-up secret longer than the keystream")
    body = bytes(a ^ b for a, b in zip(data, pad, strict=False))
    expires = int(wall_clock()) + SECRET_HANDOVER_SECONDS
    session[SECRET_SESSION_KEY] = {"code": code, "exp": expires, "n": nonce.hex(), "c": body.hex(),
                                   "t": _seal_tag(mac_key, code, expires, nonce, body)}


def pop_secret(code: str) -> str | None:
    """The secret sealed for ``code`` (once), or None: another dossier's, expired or tampered."""
    held = session.get(SECRET_SESSION_KEY)
    if not isinstance(held, dict) or held.get("code") != code:
        return None
    session.pop(SECRET_SESSION_KEY, None)
    try:
        expires, nonce, body = int(held["exp"]), bytes.fromhex(held["n"]), bytes.fromhex(held["c"])
        tag = str(held["t"])
    except (KeyError, TypeError, ValueError):
        return None
    enc_key, mac_key = _seal_keys()
    if not hmac.compare_digest(tag, _seal_tag(mac_key, code, expires, nonce, body)):
        return None
    if wall_clock() > expires:
        return None
    pad = hmac.new(enc_key, nonce, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(body, pad, strict=False)).decode("utf-8", "replace")


@bp.before_app_request
def _reception_body_limit() -> None:
    """The reception form carries the component scans: its body may be as large as the scans allow
    (the app's MAX_CONTENT_LENGTH stays small for every other route)."""
    if request.endpoint == "reception.new" and request.method == "POST":
        request.max_content_length = reception_scans.body_limit()


@bp.route("/reception/new", methods=["GET", "POST"])
@roles_required("clerk")
def new() -> Any:
    form = ReceptionForm()
    if request.method == "GET" and request.args.get("procedure"):
        form.procedure.data = request.args["procedure"]
    procedure = resolve_procedure(form.procedure.data or "")
    documents = list(procedure.documents) if procedure is not None else []
    form.documents.choices = [(str(i), doc) for i, doc in enumerate(documents)]
    if request.method != "POST":
        return _render_new(form, procedure, {}, "receive")
    outcome = request.form.get("outcome") or "receive"
    if outcome not in OUTCOMES:
        outcome = "receive"
    data, errors = _reception_input(form, procedure, documents, outcome)
    scans, scan_errors = reception_scans.read_scans(len(documents))
    errors.update({k: _(v) for k, v in scan_errors.items()})
    if not errors:
        assert procedure is not None
        answer = _receive(form, procedure, data, outcome, scans)
        if not isinstance(answer, dict):
            return answer
        errors = answer
    # The summary above the form lists every error (reception/new.html); no separate banner.
    return _render_new(form, procedure, errors, outcome, dropped=reception_scans.chosen_count()), 422


def _reception_input(form: ReceptionForm, procedure: Procedure | None, documents: list[str],
                     outcome: str) -> tuple[ReceptionInput, dict[str, str]]:
    """The service's input from the form, and every error at once: the form's (shape) and the
    service's (rules), each next to its field."""
    form.validate()
    errors = {name: str(msgs[0]) for name, msgs in form.errors.items() if msgs}
    if procedure is None and "procedure" not in errors:
        errors["procedure"] = _("Không tìm thấy thủ tục '%(q)s' — chọn một thủ tục trong danh sách.",
                                q=form.procedure.data or "")
    chosen = set(form.documents.data or [])
    data = ReceptionInput(
        procedure_code=procedure.code if procedure is not None else "",
        applicant=Applicant(name=form.applicant_name.data or "",
                            id_number=form.applicant_id_number.data or "",
                            phone=form.applicant_phone.data or "",
                            email=form.applicant_email.data or "",
                            address=form.applicant_address.data or ""),
        channel=form.channel.data or "direct",
        outcome=outcome,
        documents=[{"name": doc, "provided": str(i) in chosen} for i, doc in enumerate(documents)],
        missing_items=(form.missing_items.data or "").splitlines(),
        reason=form.reason.data or "",
        note=form.note.data or "",
        notify_consent=bool(form.notify_consent.data),
        notify_channel=form.notify_channel.data or "",
        vneid_verified=request.form.get("vneid_verified") == "1",
        payment_channel=_payment_channel(request.form.get("payment_channel")),
    )
    for name, msg in reception_errors(db.session, data).items():
        if name == "procedure" and procedure is None:
            continue
        errors.setdefault(name, error_text(msg))
    return data, errors


def _receive(form: ReceptionForm, procedure: Procedure, data: ReceptionInput, outcome: str,
             scans: list[reception_scans.Scan]) -> Any:
    """Store the scans, then add the dossier and their rows and commit (reception_scans: a failure
    deletes the stored objects again). Returns the response, or the errors to show on the form."""
    now = utcnow()
    # A refused dossier is handed back to the citizen (form 03): its scans are not kept.
    kept = scans if outcome != "refuse" else []
    store = storage()
    try:
        stored = reception_scans.store_scans(store, kept, now)
    except StorageError:
        return {"scans": _("Không lưu được bản quét (kho lưu trữ không phản hồi). Hồ sơ chưa được tiếp nhận; "
                           "vui lòng thử lại.")}
    try:
        result = receive_dossier(db.session, data, agency=current_user.agency, actor=current_user, now=now,
                                 lookup_key=lookup_key(current_app.config))
        reception_scans.attach_scans(db.session, result.dossier, stored, actor=current_user, now=now)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        reception_scans.discard(store, stored)
        return {name: error_text(msg) for name, msg in exc.errors.items()}
    except (Forbidden, DomainError) as exc:
        db.session.rollback()
        reception_scans.discard(store, stored)
        flash(str(getattr(exc, "message", exc)), "danger")
        return _render_new(form, procedure, {}, outcome, dropped=len(scans)), 403
    except Exception:
        db.session.rollback()
        reception_scans.discard(store, stored)
        raise
    if scans and not kept:
        flash(_("Hồ sơ bị từ chối tiếp nhận: %(n)d bản quét đã chọn không được lưu.", n=len(scans)), "info")
    elif stored:
        flash(_("Đã lưu %(n)d bản quét thành phần hồ sơ.", n=len(stored)), "success")
    d = result.dossier
    if outcome == "receive":
        remember_secret(d.code, result.secret)
        flash(_("Đã tiếp nhận hồ sơ %(code)s. In giấy tiếp nhận và hẹn trả kết quả.", code=d.code), "success")
        return redirect(url_for("dossiers.print_form", code=d.code, form_no="01"), code=303)
    if outcome == "request_supplement":
        flash(_("Đã lập phiếu yêu cầu bổ sung, hoàn thiện hồ sơ %(code)s.", code=d.code), "success")
        return redirect(url_for("dossiers.print_form", code=d.code, form_no="02"), code=303)
    flash(_("Đã lập phiếu từ chối tiếp nhận hồ sơ %(code)s.", code=d.code), "success")
    return redirect(url_for("dossiers.print_form", code=d.code, form_no="03"), code=303)


FIELD_ORDER = ("procedure", "applicant_name", "applicant_id_number", "applicant_phone", "applicant_email",
               "applicant_address", "channel", "notify_consent", "notify_channel", "missing_items", "reason",
               "note", "outcome")


def _render_new(form: ReceptionForm, procedure: Procedure | None, errors: dict[str, str], outcome: str, *,
                dropped: int = 0) -> str:
    ordered = sorted(errors.items(), key=lambda kv: FIELD_ORDER.index(kv[0]) if kv[0] in FIELD_ORDER else 99)
    panel = None
    if procedure is not None:
        panel = reception_panel.preview(db.session, procedure, current_user.agency,
                                        channel=form.channel.data or "direct", now=utcnow())
    return render_template("reception/new.html", form=form, procedure=procedure, errors=errors,
                           ordered_errors=ordered, outcome=outcome, panel=panel, dropped_scans=dropped)


@bp.get("/reception/preview")
@roles_required("clerk")
def preview() -> Any:
    """The procedure panel before submitting: legal limit ("trả trong ngày" for a same-day
    procedure, with its reason), fees, the liên thông chain, the due time the receipt will print
    if received now, its "why" (domain/deadlines.py) and the estimate."""
    procedure = resolve_procedure(request.args.get("procedure", "")[:300])
    if procedure is None:
        return jsonify({"error": {"code": "not_found", "message": _("Không tìm thấy thủ tục.")}}), 404
    channel = request.args.get("channel", "direct")
    if channel not in ("direct", "online", "postal"):
        channel = "direct"
    panel = reception_panel.preview(db.session, procedure, current_user.agency, channel=channel, now=utcnow())
    html = render_template("reception/_panel.html", panel=panel)
    return jsonify({**sentences.panel_json(panel), "html": html})


@bp.get("/reception/procedures")
@roles_required("clerk", "officer", "head", "admin")
def search_procedures() -> Any:
    """JSON for the reception form's procedure search (code prefix or accent-folded name)."""
    q = request.args.get("q", "")[:200]
    items = queries.search_procedures(db.session, q, limit=20)
    return jsonify([
        {"code": p.code, "name": p.name, "documents": list(p.documents or []),
         "limit": f"{p.limit_value.normalize():f}", "unit": p.limit_unit, "lien_thong": p.is_lien_thong,
         "label": f"{p.code} — {p.name}"}
        for p in items
    ])


def _register_filter(form: RegisterFilterForm) -> queries.RegisterFilter:
    return queries.RegisterFilter(
        date_from=form.date_from.data, date_to=form.date_to.data,
        procedure_code=(form.procedure.data or "").strip(), status=form.status.data or "",
        channel=form.channel.data or "", name=form.name.data or "", code=form.code.data or "",
    )


@bp.get("/reception/register")
@roles_required("clerk", "officer", "head", "admin")
def register() -> Any:
    """Form 07: the dossier register (sổ theo dõi hồ sơ), filterable, keyset-paged;
    ``?print=1`` renders the A4 landscape print version of the filtered list."""
    form = RegisterFilterForm(request.args)
    form.status.choices = [("", _("Tất cả"))] + [(s.value, _(STATUS_LABELS_VI[s])) for s in DossierStatus]
    if form.status.data and form.status.data not in {s.value for s in DossierStatus}:
        abort(400)
    now = utcnow()
    args = {k: v for k, v in request.args.items() if k not in ("after", "print", "page") and v}
    if not form.validate() and (form.date_from.errors or form.date_to.errors):
        # A date that is not dd/mm/yyyy, or a reversed range: refused, the message under the field
        # and no list (a read: the page itself answers 200). Other bad values simply match nothing.
        return render_template("reception/register.html", form=form, page=None, timings={}, args=args,
                               status_labels=STATUS_LABELS_VI, now=now, agency=current_user.agency,
                               total=None, page_no=1, pages=0, per_page=REGISTER_PER_PAGE)
    flt = _register_filter(form)
    printing = request.args.get("print") == "1"
    page = queries.register_page(db.session, current_user, flt, tz=local_tz(),
                                 cursor=request.args.get("after"),
                                 limit=500 if printing else REGISTER_PER_PAGE)
    timings = {d.id: queries.timing_of(db.session, d, now) for d in page.rows}
    template = "print/07_register.html" if printing else "reception/register.html"
    total = queries.register_total(db.session, current_user, flt, tz=local_tz(), cap=REGISTER_COUNT_CAP)
    try:
        page_no = max(1, int(request.args.get("page", "1"))) if request.args.get("after") else 1
    except ValueError:
        page_no = 1
    # Past the cap the count is "more than" and the last page is not known (the pager still goes on).
    capped = total > REGISTER_COUNT_CAP
    pages = 0 if capped else max(1, -(-total // REGISTER_PER_PAGE))
    return render_template(template, form=form, page=page, timings=timings, args=args,
                           status_labels=STATUS_LABELS_VI, now=now, agency=current_user.agency,
                           total=min(total, REGISTER_COUNT_CAP), capped=capped,
                           page_no=page_no if capped else min(page_no, pages), pages=pages,
                           per_page=REGISTER_PER_PAGE)


REGISTER_PER_PAGE = 50
REGISTER_COUNT_CAP = 10_000  # the register counts exactly up to here, then says "more than"


@bp.get("/search")
@roles_required("clerk", "officer", "head", "admin")
def search() -> Any:
    """The menu's search box: code, name (accents optional), citizen ID or phone, over what the
    user may see. A whole dossier code that matches goes straight to the dossier."""
    text = request.args.get("q", "")[:120]
    rows = queries.search_dossiers(db.session, current_user, text, limit=50) if text.strip() else []
    if len(rows) == 1 and rows[0].code == text.strip().upper():
        return redirect(url_for("dossiers.show", code=rows[0].code), code=303)
    return render_template("reception/search.html", q=text, rows=rows, status_labels=STATUS_LABELS_VI,
                           parsed=queries.parse_search(text))


@bp.get("/reception/waiting-return")
@roles_required("clerk", "head", "admin")
def waiting_return() -> Any:
    """Results ready at the desk, not yet returned: oldest first, with how long each has waited."""
    now = utcnow()
    rows = queries.waiting_to_return(db.session, current_user)
    counts = queries.waiting_to_return_counts(db.session, current_user, now=now)
    return render_template("reception/waiting_return.html", rows=rows, counts=counts, now=now,
                           long_days=queries.WAITING_LONG_DAYS, status_labels=STATUS_LABELS_VI)


@bp.app_template_global("limit_text")
def limit_text_global(limit: Any, unit: str | None) -> str:
    """The legal limit as printed: "5 ngày làm việc", or "trả trong ngày" for a same-day procedure."""
    return sentences.limit_text(limit, unit)


@bp.app_template_global("same_day_reason")
def same_day_reason_global(d: Any) -> str:
    """Why a same-day dossier's appointment is that day (empty for other limits)."""
    if not reception_panel.is_same_day(d.limit_value, d.limit_unit):
        return ""
    return sentences.same_day_reason(d.procedure.cutoff)


@bp.app_template_global("estimate_text")
def estimate_text_global(d: Any) -> str:
    """The honest estimate for a dossier (services/dossiers/estimates.py), "" when too few cases."""

    return sentences.estimate_text(estimate_for_dossier(db.session, d))


def _payment_channel(raw: str | None) -> int | None:
    """The reception form's payment select: "" not online, "1"/"2" the two online ways; anything
    else is passed on as -1 so that the service refuses it next to its field."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw in ("1", "2") else -1

