"""Dossier files: scans of components (thành phần hồ sơ) and result documents, with their
digitisation metadata (docs/integration.md, "Files and digitisation")."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model
from .user import User


class DossierFile(Model):
    """One file attached to one dossier. A reused document (state 2 or 3) is a new row pointing at
    the same stored object (``storage_key``, same hash) and at the row it was taken from."""

    __tablename__ = "dossier_files"
    __table_args__ = (
        CheckConstraint("kind IN ('component', 'result')", name="kind_known"),
        CheckConstraint("digitisation_state BETWEEN 1 AND 3", name="state_known"),
        CheckConstraint("approval_state BETWEEN 1 AND 3", name="approval_known"),
        CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                        name="type_allowed"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("valid_until IS NULL OR issued_on IS NULL OR valid_until >= issued_on",
                        name="validity_ordered"),
        Index("ix_dossier_files_dossier", "dossier_id", "kind"),
        Index("ix_dossier_files_owner", "owner_id_number", "approval_state"),
        Index("ix_dossier_files_key", "storage_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    kind: Mapped[str] = mapped_column(String(10))
    # 1-based position in the procedure's document list; None for a result or an extra paper.
    component_no: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    storage_key: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(130))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    digitisation_state: Mapped[int] = mapped_column(Integer, default=1)
    reused_from_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_files.id"))
    from_national_store: Mapped[bool] = mapped_column(default=False)  # DuocLayTuKhoDMQG
    result_code: Mapped[str] = mapped_column(String(60), default="")  # MaKetQua / MaGiayToKetQua
    doc_number: Mapped[str] = mapped_column(String(100), default="")  # SoKyHieu
    issuer: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[date | None]
    valid_until: Mapped[date | None]
    owner_id_number: Mapped[str] = mapped_column(String(12), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    approval_state: Mapped[int] = mapped_column(Integer, default=1)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
