"""The honest estimate printed beside the statutory date (docs/guide-clerk.md, "Ước tính")."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model


class ProcedureEstimate(Model):
    """Median and 90th percentile of the working days from reception to result, over the last
    ``window_days`` days, per procedure and resolving agency; recomputed nightly. Never a deadline:
    the statutory due time alone decides on-time (Decree 61/2018 art. 18)."""

    __tablename__ = "procedure_estimates"
    __table_args__ = (
        UniqueConstraint("procedure_id", "agency_id", name="uq_procedure_estimates_key"),
        CheckConstraint("cases >= 0", name="cases_nonneg"),
        CheckConstraint("median_days >= 0 AND p90_days >= median_days", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    cases: Mapped[int]
    median_days: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    p90_days: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    window_days: Mapped[int]
    computed_at: Mapped[datetime]
