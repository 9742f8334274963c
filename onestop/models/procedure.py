"""The procedure catalogue (TTHC) with its liên thông chain."""
from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database.base import enum_check
from ..domain.deadlines import DeadlineRule, LimitUnit
from ..extensions import db
from .base import Model

PROCEDURE_LEVELS = ("xa", "tinh", "trung_uong")
ONLINE_LEVELS = ("none", "mot_phan", "toan_trinh")
SUPPLEMENT_REGIMES = ("pause", "restart")


class Procedure(Model):
    __tablename__ = "procedures"
    __table_args__ = (
        CheckConstraint("limit_value >= 0", name="limit_nonneg"),
        CheckConstraint("online_limit_value IS NULL OR online_limit_value >= 0", name="online_limit_nonneg"),
        CheckConstraint(enum_check("limit_unit", LimitUnit), name="unit_known"),
        CheckConstraint(enum_check("level", PROCEDURE_LEVELS), name="level_known"),
        CheckConstraint(enum_check("online_level", ONLINE_LEVELS), name="online_level_known"),
        CheckConstraint(enum_check("supplement_regime", SUPPLEMENT_REGIMES), name="regime_known"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # national TTHC code, e.g. 1.001193
    name: Mapped[str] = mapped_column(Text)
    name_search: Mapped[str] = mapped_column(Text, default="")  # accent-folded, for search
    field: Mapped[str] = mapped_column(String(120), index=True)  # lĩnh vực
    level: Mapped[str] = mapped_column(String(12))
    limit_value: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    limit_unit: Mapped[str] = mapped_column(String(20))
    limit_note: Mapped[str] = mapped_column(Text, default="")
    online_limit_value: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    cutoff: Mapped[time | None]
    supplement_regime: Mapped[str] = mapped_column(String(10), default="pause")
    online_level: Mapped[str] = mapped_column(String(12), default="none")
    fee: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    receiving_kind: Mapped[str] = mapped_column(String(40), default="commune_service_centre")
    lead_kind: Mapped[str] = mapped_column(String(60), default="people_committee")
    effective_from: Mapped[date] = mapped_column(default=date(2025, 7, 1))
    effective_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    steps: Mapped[list[ProcedureStep]] = relationship(
        order_by="ProcedureStep.seq", cascade="all, delete-orphan", back_populates="procedure"
    )

    @property
    def is_lien_thong(self) -> bool:
        return len(self.steps) > 1

    def deadline_rule(self, channel: str = "direct") -> DeadlineRule:
        limit = self.limit_value
        if channel == "online" and self.online_limit_value is not None:
            limit = self.online_limit_value
        return DeadlineRule(
            limit=Decimal(limit), unit=LimitUnit(self.limit_unit), cutoff=self.cutoff,
            legal_basis=f"TTHC {self.code}",
        )

    def __repr__(self) -> str:
        return f"<Procedure {self.code}>"


class ProcedureStep(Model):
    """One agency's leg in a liên thông chain, with its share of the total time
    (the internal process approved by the province, docs/domain.md §2)."""

    __tablename__ = "procedure_steps"
    __table_args__ = (
        UniqueConstraint("procedure_id", "seq", name="uq_procedure_steps_seq"),
        CheckConstraint("share_percent > 0 AND share_percent <= 100", name="share_in_range"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    seq: Mapped[int]
    agency_kind: Mapped[str] = mapped_column(String(60))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    role: Mapped[str] = mapped_column(String(10), default="officer")
    share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    name: Mapped[str] = mapped_column(String(200), default="")

    procedure: Mapped[Procedure] = relationship(back_populates="steps")
