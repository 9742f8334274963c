"""Local calendar exceptions over the national calendar (DESIGN.md §2: the calendar is data)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CalendarExceptionRow(db.Model):  # type: ignore[name-defined,misc]
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
