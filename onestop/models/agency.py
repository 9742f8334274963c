"""The agency tree (docs/domain.md §1): agencies are data, never hard-coded tiers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database.base import enum_check
from .base import Model

AGENCY_LEVELS = ("province", "department", "centre", "commune", "unit")
AGENCY_KINDS = (
    "people_committee", "service_centre", "department", "police", "social_insurance",
    "land_registry", "tax", "commune_service_centre", "commune_police", "other",
)


class Agency(Model):
    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(enum_check("level", AGENCY_LEVELS), name="level_known"),
        CheckConstraint(enum_check("kind", AGENCY_KINDS), name="kind_known"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_ordered"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_agencies_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # National electronic identifier (Circular 10/2016/TT-BTTTT, V1V2V3.Z1Z2.Y1Y2.MX1X2).
    identifier: Mapped[str] = mapped_column(String(20), unique=True)
    demo_identifier: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(120), default="")
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # Materialised path "/1/4/9/" so a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), default="/")
    office_hours: Mapped[str] = mapped_column(String(60), default="07:30-11:30,13:30-17:00")
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Ho_Chi_Minh")
    valid_from: Mapped[date] = mapped_column(default=date(2025, 7, 1))
    valid_to: Mapped[date | None]
    # Mergers: the agency that took over this one's work (history is kept).
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    parent: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def __repr__(self) -> str:
        return f"<Agency {self.identifier} {self.name}>"


class AgencyName(Model):
    """Former names, so a renamed agency's old forms and reports keep their wording."""

    __tablename__ = "agency_names"
    __table_args__ = (CheckConstraint("valid_to >= valid_from", name="validity_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    changed_at: Mapped[datetime]
