"""The Form 06 roll-up of closed local days (docs/operations.md, "The report roll-up")."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model


class ReportRollupDay(Model):
    """Dossiers received (kind ``r``) or finished (kind ``f``, bucket E/T/L by the timing rule T3) on one
    local day, per receiving desk, resolving agency, procedure and channel; and the same per month
    (kinds ``R`` / ``F``, ``day`` the month's first), per field and channel class."""

    __tablename__ = "report_rollup_days"
    __table_args__ = (Index("ix_report_rollup_days_day", "day", "kind"),
                      Index("ix_report_rollup_days_desk", "receiving_agency_id", "day"),
                      Index("ix_report_rollup_days_resolver", "resolver_agency_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(1))  # r received / f finished
    receiving_agency_id: Mapped[int]
    resolver_agency_id: Mapped[int]
    procedure_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[str] = mapped_column(String(1), default="")  # f: E early / T on time / L late
    n: Mapped[int]
    # Month rows (kinds R / F) are keyed by field (lĩnh vực) and channel class instead: procedure_id 0,
    # channel "online" / "other" (R) or "" (F), this the field.
    field: Mapped[str | None] = mapped_column(String(120))


class ReportRollupOpen(Model):
    """A dossier open at the moment a closed month starts (local midnight of ``day``, the first of a
    month), with its Form 06 bucket then — ``W`` within (or paused in time, or no clock) / ``O``
    overdue by THE timing rule on the inputs in force at that moment — its receiving desk, resolving
    agency and procedure. One row per dossier and moment, so that the rows of a dossier changed since
    can be set aside and that dossier computed live (services/reporting/rollup.py)."""

    __tablename__ = "report_rollup_open"
    __table_args__ = (Index("ix_report_rollup_open_dossier", "dossier_id"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(primary_key=True)
    receiving_agency_id: Mapped[int]
    resolver_agency_id: Mapped[int]
    procedure_id: Mapped[int]
    bucket: Mapped[str] = mapped_column(String(1))


class ReportRollupState(Model):
    """The watermark: local days before ``closed_before`` are rolled up as of the last run, which had
    seen every event, hand-off and dossier row up to the stored ids."""

    __tablename__ = "report_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    tz: Mapped[str] = mapped_column(String(64))
    closed_before: Mapped[date]
    last_event_id: Mapped[int]
    last_leg_id: Mapped[int]
    last_dossier_id: Mapped[int]
    # The ids of the run before: a row committed late with a lower id than the last run saw is still
    # found (transactions are far shorter than the job's interval).
    prev_event_id: Mapped[int]
    prev_leg_id: Mapped[int]
    prev_dossier_id: Mapped[int]
    updated_at: Mapped[datetime]
    # The first month start whose open dossiers are stored (every month start from it to
    # ``closed_before`` is); None before the job has taken them.
    open_from: Mapped[date | None]
    # The procedures' fields the month rows were keyed with (services/reporting/rollup.fields_digest).
    fields_digest: Mapped[str | None] = mapped_column(String(64))
