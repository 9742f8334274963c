"""What citizens give back: satisfaction ratings (SIPAS factors) and feedback (PAKN)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model

_FACTORS = ("score_access", "score_procedure", "score_officer", "score_result", "score_feedback")


class Rating(Model):
    """One rating per dossier, after the result is returned (SIPAS' five factors)."""

    __tablename__ = "ratings"
    __table_args__ = tuple(
        CheckConstraint(f"{f} BETWEEN 1 AND 5", name=f"{f}_range") for f in _FACTORS
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    score_access: Mapped[int]
    score_procedure: Mapped[int]
    score_officer: Mapped[int]
    score_result: Mapped[int]
    score_feedback: Mapped[int]
    satisfied: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(index=True)


class Feedback(Model):
    """Phản ánh, kiến nghị (PAKN) on a dossier: answered within 15 working days."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'answered')", name="status_known"),
        CheckConstraint("(status = 'answered') = (answered_at IS NOT NULL)", name="answered_iff_time"),
        Index("ix_feedback_open_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="complaint")
    content: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str] = mapped_column(Text, default="")
    # A complaint's outcome, decided when it is answered (None = not yet decided; always None for a
    # suggestion): only an upheld complaint makes its dossier dissatisfied (docs/rules.md F5).
    upheld: Mapped[bool | None]
    overdue_flagged_at: Mapped[datetime | None]
