"""Local calendar exceptions over the national calendar (docs/architecture.md §2: the calendar is data)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model


class CalendarExceptionRow(Model):
    """An extra closure (working=False) or an extra working day (working=True),
    nationwide (agency_id NULL) or for one agency and its subtree."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (UniqueConstraint("on_date", "agency_id", name="uq_calendar_exceptions_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    on_date: Mapped[date] = mapped_column(index=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class CalendarState(Model):
    """One row (id 1): the calendar *generation*, bumped in the same transaction as every edit that
    changes a working calendar (an exception, an agency's office hours, zone or place in the tree).
    Each process keeps its built calendars with the generation they were built under and compares
    it with this row once per unit of work (docs/operations.md, "Lịch làm việc giữa các tiến trình").
    ``stamp`` is random per bump, so a bump that was rolled back is never mistaken for a later one
    that happens to reach the same number."""

    __tablename__ = "calendar_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),
                      CheckConstraint("generation >= 0", name="generation_nonneg"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    stamp: Mapped[str] = mapped_column(String(32), default="")
    changed_at: Mapped[datetime | None]


class TetConfirmation(Model):
    """An admin's confirmation of one year's Tết Nguyên đán days. Years not yet announced come from
    the ``holidays`` package as estimates and are flagged to admins until confirmed or edited
    (docs/guide-admin.md). ``package_days`` keeps the package's days as they were confirmed (ISO
    dates, comma-separated): if an upgraded package moves them, the year is flagged again."""

    __tablename__ = "calendar_tet_confirmations"
    __table_args__ = (CheckConstraint("via IN ('confirm', 'edit')", name="via_known"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    package_days: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(10))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime]
