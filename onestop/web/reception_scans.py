"""Component scans attached in the reception form itself (docs/integration.md, "Files and digitisation";
docs/security.md, "Dossier files").

The same checks as an upload on the dossier page (type sniffed from the content, size limit, SHA-256)
and the same order of work: nothing is stored while the form still has errors; once it has none every
scan is written under a fresh key, then the dossier and its file rows are added and committed together.
A failed commit deletes the objects again (the ``files`` job deletes what a crash left behind), so a
reception that fails never leaves a stored object nor a half-written dossier.

A browser cannot keep a chosen file across a re-rendered form: when the reception has errors the
scans are dropped, and the form says so (the clerk chooses them again)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from ..integrations.storage import Storage, StorageError
from ..models import Dossier, User
from ..services.dossiers import files as files_svc
from ..services.errors import ValidationFailed
from .sentences import error_text

# The widest procedure in the catalogue lists fewer components; the request body is bounded by it.
MAX_SCANS = 12
FIELD = "scan_{}"


@dataclass(frozen=True)
class Scan:
    component_no: int
    upload: files_svc.CheckedUpload


@dataclass(frozen=True)
class StoredScan:
    scan: Scan
    key: str


def file_limit() -> int:
    return int(current_app.config.get("FILE_MAX_BYTES") or 10 * 1024 * 1024)


def body_limit() -> int:
    """The reception form's body: up to MAX_SCANS files plus the form's own fields."""
    return file_limit() * MAX_SCANS + 256 * 1024


def chosen_count() -> int:
    """How many scan inputs carry a file (to tell the clerk what was not kept)."""
    return sum(1 for name, fs in request.files.items(multi=True)
               if name.startswith("scan_") and isinstance(fs, FileStorage) and fs.filename)


def read_scans(components: int) -> tuple[list[Scan], dict[str, str]]:
    """Each chosen scan of components 1..``components`` checked (nothing stored), and the errors
    keyed by their input's name."""
    limit = file_limit()
    scans: list[Scan] = []
    errors: dict[str, str] = {}
    for no in range(1, min(components, MAX_SCANS) + 1):
        fs = request.files.get(FIELD.format(no))
        if fs is None or not fs.filename:
            continue
        try:
            upload = files_svc.check_upload(fs.read(limit + 1), fs.filename, max_bytes=limit)
        except ValidationFailed as exc:
            errors[FIELD.format(no)] = error_text(exc.errors.get("file", "Tệp không hợp lệ."))
            continue
        scans.append(Scan(no, upload))
    return scans, errors


def store_scans(store: Storage, scans: list[Scan], now: datetime) -> list[StoredScan]:
    """Write every scan; on a storage failure delete what was written and raise StorageError."""
    stored: list[StoredScan] = []
    try:
        for scan in scans:
            stored.append(StoredScan(scan, files_svc.store_upload(store, scan.upload, now)))
    except StorageError:
        discard(store, stored)
        raise
    return stored


def attach_scans(session: Session, dossier: Dossier, stored: list[StoredScan], *, actor: User,
                 now: datetime) -> None:
    """The file rows (state 1, digitised here, pending approval) in the reception's transaction."""
    for s in stored:
        files_svc.attach(session, dossier, actor=actor, kind="component", component_no=s.scan.component_no,
                         key=s.key, upload=s.scan.upload, meta=files_svc.DocMeta(), now=now)


def discard(store: Storage, stored: list[StoredScan]) -> None:
    for s in stored:
        try:
            store.delete(s.key)
        except StorageError:  # the ``files`` job deletes it after its grace period
            current_app.logger.warning("could not delete orphan %s; the files job will", s.key)
