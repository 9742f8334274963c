"""Scoring rules (data, editable) and stored metric/report snapshots."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Model


class ScoringRuleRow(Model):
    __tablename__ = "scoring_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('proportional', 'tiers')", name="kind_known"),
        CheckConstraint("max_points > 0", name="max_positive"),
        CheckConstraint("threshold IS NULL OR (threshold > 0 AND threshold <= 1)", name="threshold_range"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set: Mapped[str] = mapped_column(String(40))  # e.g. "766" or "PAR"
    criterion: Mapped[str] = mapped_column(String(40))  # e.g. "2.1"
    title: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(String(40))  # on_time_rate, satisfaction_rate, ...
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    kind: Mapped[str] = mapped_column(String(12))
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    tiers: Mapped[list[list[str]]] = mapped_column(db.JSON, default=list)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")


class MetricSnapshot(Model):
    """Nightly metrics per agency (rolled up the tree) and field, read by dashboards."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        UniqueConstraint("agency_id", "field", "period_kind", "period_start", name="uq_metric_snapshots_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    field: Mapped[str] = mapped_column(String(120), default="")  # "" = all fields
    period_kind: Mapped[str] = mapped_column(String(8))  # month / quarter / ytd
    period_start: Mapped[date]
    period_end: Mapped[date]
    computed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)


class ReportSnapshot(Model):
    """A closed period's Form 06, kept as it was when the period was closed."""

    __tablename__ = "report_snapshots"
    __table_args__ = (
        UniqueConstraint("agency_id", "report", "period_from", "period_to", name="uq_report_snapshots_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(20), default="form06")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    period_from: Mapped[date]
    period_to: Mapped[date]
    closed_at: Mapped[datetime]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class JobRun(Model):
    """When each scheduled job last ran, and as of what time (for catch-up)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    as_of: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
