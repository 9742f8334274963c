"""Dossier files on the web (docs/security.md, "Dossier files"):

* ``POST /dossiers/<code>/files`` — attach a scan of a component or a result (multipart). The object
  is stored first, then the row is committed; a failed commit deletes the object again (and the
  ``files`` job deletes what a crash left behind).
* ``POST /dossiers/<code>/files/reuse`` — attach the citizen's earlier approved document.
* ``POST /dossiers/<code>/files/<id>/approval`` — approve or reject a digitised document.
* ``GET /files/<id>`` — staff with view rights on the dossier open the file.

A citizen downloads a RESULT from the citizen app (web/public/page.py) through :func:`send_file_row`.

Every download is an attachment with the sniffed type and ``nosniff``: never rendered inline, so a
file cannot run as a page of this site.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain import files as fdom
from ..domain.status import Channel
from ..extensions import db
from ..integrations.dvcqg.client import PortalClient, PortalError
from ..integrations.storage import Storage, StorageError, storage_for
from ..models import Dossier
from ..services.dossiers import files as files_svc
from ..services.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from .auth import roles_required, utcnow
from .forms import SimplePostForm
from .sentences import error_text

bp = Blueprint("files", __name__)

STATE_LABELS = {0: "Chưa số hóa", 1: "Số hóa tại đây", 2: "Tái sử dụng thành phần", 3: "Tái sử dụng kết quả"}
APPROVAL_LABELS = {1: "Chờ duyệt", 2: "Đã duyệt", 3: "Từ chối"}


def storage() -> Storage:
    """The app's one store, built from its settings on first use."""
    store = current_app.extensions.get("onestop_storage")
    if store is None:
        store = storage_for(current_app.config)
        current_app.extensions["onestop_storage"] = store
    return store


def _dossier(code: str) -> Dossier:
    from .dossiers import load_visible  # here: web.dossiers → web.reception → web.files is a cycle

    return load_visible(code)


def _parse_date(field: str, errors: dict[str, str]) -> date | None:
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    errors[field] = "Ngày theo dạng dd/mm/yyyy."
    return None


def _back(d: Dossier) -> Any:
    return redirect(url_for("dossiers.show", code=d.code, _anchor="files"), code=303)


def _fail(d: Dossier, exc: ServiceError) -> Any:
    db.session.rollback()
    messages = exc.errors.values() if isinstance(exc, ValidationFailed) else [str(exc)]
    for m in messages:
        flash(error_text(m), "danger")
    return _back(d)


def _file_limit() -> int:
    return int(current_app.config.get("FILE_MAX_BYTES") or 10 * 1024 * 1024)


@bp.before_app_request
def _upload_body_limit() -> None:
    """The upload route alone accepts a body as large as one file plus the form's own fields (the
    app's MAX_CONTENT_LENGTH stays small for every other route). Registered before the app's own
    hooks, which read the form."""
    if request.endpoint == "files.upload":
        request.max_content_length = _file_limit() + 64 * 1024


@bp.post("/dossiers/<code>/files")
@roles_required("clerk", "officer", "head")
def upload(code: str) -> Any:
    limit = _file_limit()
    d = _dossier(code)
    if not SimplePostForm().validate():
        abort(400)
    now = utcnow()
    errors: dict[str, str] = {}
    meta = files_svc.DocMeta(
        doc_number=(request.form.get("doc_number") or "")[:200],
        issuer=(request.form.get("issuer") or "")[:400],
        issued_on=_parse_date("issued_on", errors), valid_until=_parse_date("valid_until", errors),
        result_code=(request.form.get("result_code") or "")[:100],
    )
    kind = request.form.get("kind") or "component"
    raw_no = (request.form.get("component_no") or "").strip()
    component_no = int(raw_no) if raw_no.isdigit() else None
    if kind == "component" and component_no is None:
        errors["component_no"] = "Chọn thành phần hồ sơ của tệp."
    if errors:
        return _fail(d, ValidationFailed(errors))
    if not files_svc.may_attach(current_user, d):
        abort(403)
    fs = request.files.get("file")
    try:
        upload_ = files_svc.check_upload(fs.read(limit + 1) if fs else b"", fs.filename or "" if fs else "",
                                         max_bytes=limit)
    except ValidationFailed as exc:
        return _fail(d, exc)
    store = storage()
    try:
        key = files_svc.store_upload(store, upload_, now)
    except StorageError:
        flash("Không lưu được tệp (kho lưu trữ không phản hồi). Hồ sơ không thay đổi; vui lòng thử lại.",
              "danger")
        return _back(d)
    try:
        files_svc.attach(db.session, d, actor=current_user, kind=kind, component_no=component_no, key=key,
                         upload=upload_, meta=meta, now=now)
        db.session.commit()
    except ServiceError as exc:
        _discard(store, key)
        return _fail(d, exc)
    except Exception:
        db.session.rollback()
        _discard(store, key)
        raise
    flash(f"Đã đính kèm tệp {upload_.filename}.", "success")
    return _back(d)


def _discard(store: Storage, key: str) -> None:
    try:
        store.delete(key)
    except StorageError:  # the ``files`` job deletes it later
        current_app.logger.warning("could not delete orphan %s; the files job will", key)


@bp.post("/dossiers/<code>/files/reuse")
@roles_required("clerk", "officer", "head")
def reuse(code: str) -> Any:
    d = _dossier(code)
    if not SimplePostForm().validate():
        abort(400)
    source = (request.form.get("source_id") or "").strip()
    comp = (request.form.get("component_no") or "").strip()
    if not source.isdigit() or not comp.isdigit():
        missing = ValidationFailed({"component_no": "Chọn giấy tờ và thành phần hồ sơ để tái sử dụng."})
        return _fail(d, missing)
    try:
        row = files_svc.reuse(db.session, d, actor=current_user, source_id=int(source),
                              component_no=int(comp), now=utcnow())
        db.session.commit()
    except (Forbidden, NotFound, ValidationFailed) as exc:
        return _fail(d, exc)
    flash(f"Đã tái sử dụng giấy tờ cho thành phần: {row.title}.", "success")
    return _back(d)


@bp.post("/dossiers/<code>/files/<int:file_id>/approval")
@roles_required("clerk", "officer", "head")
def approval(code: str, file_id: int) -> Any:
    d = _dossier(code)
    if not SimplePostForm().validate():
        abort(400)
    try:
        row = files_svc.get_visible(db.session, current_user, file_id)
        if row.dossier_id != d.id:
            abort(404)
        state = int(request.form.get("state") or 0)
        files_svc.set_approval(db.session, row, actor=current_user, state=state, now=utcnow())
        db.session.commit()
    except (Forbidden, NotFound, ValidationFailed, ValueError) as exc:
        return _fail(d, exc if isinstance(exc, ServiceError)
                     else ValidationFailed({"state": "Trạng thái sai."}))
    flash("Đã cập nhật trạng thái duyệt.", "success")
    return _back(d)


def send_file_row(row: Any) -> Response:
    """The stored bytes as an attachment of the sniffed type; never inline."""
    try:
        data = storage().get(row.storage_key)
    except KeyError:
        abort(404)
    except StorageError:
        abort(503)
    if fdom.sniff(data[:16]) != row.content_type or fdom.sha256_hex(data) != row.sha256:
        current_app.logger.error("stored file %s does not match its row", row.storage_key)
        abort(500)
    resp = Response(data, mimetype=row.content_type)
    ascii_name = row.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.filename)}")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/files/<int:file_id>")
@roles_required("clerk", "officer", "head", "admin")
def download(file_id: int) -> Any:
    try:
        row = files_svc.get_visible(db.session, current_user, file_id)
    except NotFound:
        abort(404)
    return send_file_row(row)


@bp.app_template_global()
def dossier_files_panel(d: Dossier) -> dict[str, Any]:
    """What the dossier page's files section shows (templates/dossiers/_files.html)."""
    return {
        "components": files_svc.component_states(db.session, d),
        "results": [r for r in files_svc.files_of(db.session, d) if r.kind == "result"],
        "candidates": files_svc.reuse_candidates(db.session, d),
        "may_attach": files_svc.may_attach(current_user, d),
        "state_labels": STATE_LABELS, "approval_labels": APPROVAL_LABELS,
        "form": SimplePostForm(),
    }


@bp.post("/dossiers/<code>/facts")
@roles_required("clerk", "officer", "head")
def facts(code: str) -> Any:
    """VNeID identity, online payment, fee paid and national databases consulted (766 fields)."""
    d = _dossier(code)
    if not SimplePostForm().validate():
        abort(400)
    raw_channel = (request.form.get("payment_channel") or "").strip()
    raw_fee = (request.form.get("fee_paid") or "").strip().replace(".", "").replace(",", "")
    errors: dict[str, str] = {}
    if raw_fee and not raw_fee.isdigit():
        errors["fee_paid"] = "Số tiền phí, lệ phí là số đồng, ví dụ 50.000."
    if raw_channel not in ("", "1", "2"):
        errors["payment_channel"] = "Hình thức thanh toán không hợp lệ."
    if errors:
        return _fail(d, ValidationFailed(errors))
    try:
        files_svc.set_dossier_facts(
            db.session, d, actor=current_user, vneid_verified=request.form.get("vneid_verified") == "1",
            payment_channel=int(raw_channel) if raw_channel else None,
            fee_paid=int(raw_fee) if raw_fee else None,
            csdl_codes=(request.form.get("csdl_codes") or "")[:700].replace(";", ",").split(","),
            now=utcnow())
        db.session.commit()
    except (Forbidden, ValidationFailed) as exc:
        return _fail(d, exc)
    flash("Đã cập nhật định danh, thanh toán và CSDL đã khai thác.", "success")
    return _back(d)


def _national_documents(d: Dossier) -> list[dict[str, Any]]:
    client = PortalClient.from_config(current_app.config)
    try:
        return client.national_documents(d.applicant_id_number, Channel(d.channel).national_code,
                                         d.procedure.code)
    finally:
        client.close()


@bp.post("/dossiers/<code>/files/national")
@roles_required("clerk", "officer", "head")
def national(code: str) -> Any:
    """Look the citizen up in the national document store (through the portal) and, with ``pick``,
    attach the chosen document as a component (state 3, DuocLayTuKhoDMQG)."""

    d = _dossier(code)
    if not SimplePostForm().validate():
        abort(400)
    if not files_svc.may_attach(current_user, d):
        abort(403)
    if not current_app.config.get("DVCQG_URL") or not d.applicant_id_number:
        flash("Chưa cấu hình kết nối Cổng DVCQG hoặc hồ sơ chưa có số định danh của người nộp.", "danger")
        return _back(d)
    try:
        docs = _national_documents(d)
    except PortalError as exc:
        flash(f"Không tra cứu được kho dữ liệu của công dân: {exc}", "danger")
        return _back(d)
    pick = (request.form.get("pick") or "").strip()
    if not pick:
        return render_template("dossiers/national_docs.html", d=d, docs=docs, form=SimplePostForm(),
                               components=files_svc.component_states(db.session, d))
    doc = next((x for x in docs if str(x.get("MaGiayTo")) == pick), None)
    comp = (request.form.get("component_no") or "").strip()
    if doc is None or not comp.isdigit():
        return _fail(d, ValidationFailed({"pick": "Chọn giấy tờ trong kho và thành phần hồ sơ."}))
    store = storage()
    try:
        row = files_svc.import_national(db.session, store, d, actor=current_user, doc=doc,
                                        component_no=int(comp), max_bytes=_file_limit(), now=utcnow())
        db.session.commit()
    except (Forbidden, ValidationFailed) as exc:
        return _fail(d, exc)
    except Exception:
        db.session.rollback()
        raise
    flash(f"Đã lấy giấy tờ từ kho dữ liệu của công dân: {row.title}.", "success")
    return _back(d)
