"""Dossiers, their append-only event log, pauses, hand-off legs and code sequences."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database.base import enum_check
from ..domain.status import FINISHED, Channel, DossierAction, DossierStatus
from ..extensions import db
from .agency import Agency
from .base import Model
from .procedure import Procedure
from .user import User

_finished_sql = ", ".join(f"'{s.value}'" for s in FINISHED)

# Predicates of the scan's partial indexes; services/dossiers/scanning.py repeats them literally
# (a partial index serves a statement only when its WHERE implies the index's).
OVERDUE_PENDING = "finished_at IS NULL AND overdue_flagged_at IS NULL"
RESUPPLIED_PENDING = "finished_at IS NULL AND overdue_flagged_at IS NULL AND supplement_count > 1"


class Dossier(Model):
    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint(enum_check("status", DossierStatus), name="status_known"),
        CheckConstraint(enum_check("channel", Channel), name="channel_known"),
        CheckConstraint("supplement_count >= 0", name="supplement_count_nonneg"),
        CheckConstraint("version >= 1", name="version_positive"),
        # A finish time exists exactly when the status is a finished one (docs/domain.md §3).
        CheckConstraint(
            f"(status IN ({_finished_sql})) = (finished_at IS NOT NULL)", name="finished_iff_final"
        ),
        CheckConstraint("due_at IS NULL OR clock_start_at IS NOT NULL", name="due_needs_clock"),
        CheckConstraint("due_at IS NULL OR due_at >= clock_start_at", name="due_after_clock"),
        CheckConstraint(
            "promised_due_at IS NULL OR (due_at IS NOT NULL AND promised_due_at > due_at)",
            name="promise_after_due",
        ),
        CheckConstraint("returned_at IS NULL OR status = 'returned'", name="returned_only_when_returned"),
        CheckConstraint("received_at IS NULL OR received_at >= submitted_at", name="received_after_submit"),
        CheckConstraint("payment_channel IS NULL OR payment_channel IN (1, 2)", name="payment_channel_known"),
        # Hot paths: the overdue scan (open, by due time), worklists, Form 06 by period.
        Index("ix_dossiers_open_due", "due_at", postgresql_where="finished_at IS NULL",
              sqlite_where=db.text("finished_at IS NULL")),
        # The 15-minute scan reads only what can still cross a threshold (docs/operations.md §14):
        # open dossiers not yet flagged overdue, by due time; those with a second supplement
        # request (overdue whatever the clock says); and, for the notifications, the rows just
        # flagged.
        Index("ix_dossiers_overdue_pending", "due_at",
              postgresql_where=db.text(OVERDUE_PENDING), sqlite_where=db.text(OVERDUE_PENDING)),
        Index("ix_dossiers_resupplied_pending", "id",
              postgresql_where=db.text(RESUPPLIED_PENDING), sqlite_where=db.text(RESUPPLIED_PENDING)),
        Index("ix_dossiers_overdue_flagged", "overdue_flagged_at",
              postgresql_where=db.text("overdue_flagged_at IS NOT NULL"),
              sqlite_where=db.text("overdue_flagged_at IS NOT NULL")),
        Index("ix_dossiers_due_soon_flagged", "due_soon_flagged_at",
              postgresql_where=db.text("due_soon_flagged_at IS NOT NULL"),
              sqlite_where=db.text("due_soon_flagged_at IS NOT NULL")),
        Index("ix_dossiers_agency_received", "receiving_agency_id", "received_at"),
        # The 766 index reads a period's receptions for a whole province (docs/benchmarks.md, "766 index").
        Index("ix_dossiers_received", "received_at", postgresql_where=db.text("received_at IS NOT NULL"),
              sqlite_where=db.text("received_at IS NOT NULL")),
        Index("ix_dossiers_current_agency_status", "current_agency_id", "status"),
        # The head's dashboard and lists: open dossiers received by a subtree or held by it (h20d1).
        Index("ix_dossiers_open_receiving", "receiving_agency_id", "due_at",
              postgresql_where=db.text("finished_at IS NULL"), sqlite_where=db.text("finished_at IS NULL")),
        Index("ix_dossiers_open_current", "current_agency_id", "due_at",
              postgresql_where=db.text("finished_at IS NULL"), sqlite_where=db.text("finished_at IS NULL")),
        # The search box by name: the prefix range carries the scope and the order, so the newest 20
        # matches a user may see are found in the index alone (h20d1).
        Index("ix_dossiers_applicant_search", "applicant_search", "receiving_agency_id", "current_agency_id",
              "submitted_at", "id"),
        # The inbox's results waiting at the desk, newest first (h20d1).
        Index("ix_dossiers_ready_current", "current_agency_id", "finished_at", "id",
              postgresql_where=db.text("status = 'result_ready'"),
              sqlite_where=db.text("status = 'result_ready'")),
        Index("ix_dossiers_assignee_status", "assignee_id", "status"),
        Index("ix_dossiers_finished", "finished_at"),
        # Form 06 for one agency subtree: dossiers finished in the period, per agency.
        Index("ix_dossiers_agency_finished", "receiving_agency_id", "finished_at"),
        # The register (form 07): newest first with keyset paging, by desk and date.
        Index("ix_dossiers_submitted", "submitted_at", "id"),
        Index("ix_dossiers_agency_submitted", "receiving_agency_id", "submitted_at"),
        # The menu's search box (docs/guide-clerk.md): phone and citizen ID stored normalised
        # (digits only, 0-prefixed phone) so an equality or prefix is one index probe.
        Index("ix_dossiers_applicant_phone", "applicant_phone"),
        Index("ix_dossiers_applicant_id_number", "applicant_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    lookup_secret_hash: Mapped[str] = mapped_column(String(64))
    phone_last4_hash: Mapped[str | None] = mapped_column(String(64))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    receiving_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    current_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    applicant_name: Mapped[str] = mapped_column(String(120))
    applicant_search: Mapped[str] = mapped_column(String(120), default="")
    applicant_id_number: Mapped[str] = mapped_column(String(12), default="")
    applicant_phone: Mapped[str] = mapped_column(String(15), default="")
    applicant_email: Mapped[str] = mapped_column(String(254), default="")
    # The applicant agreed at reception to be told of a supplement request, an apology and the
    # result by ``notify_channel`` (email/sms/zalo); no consent, no message (docs/guide-clerk.md).
    notify_consent: Mapped[bool] = mapped_column(default=False)
    notify_channel: Mapped[str] = mapped_column(String(8), default="")
    applicant_address: Mapped[str] = mapped_column(String(255), default="")
    channel: Mapped[str] = mapped_column(String(10))
    documents: Mapped[list[dict[str, Any]]] = mapped_column(db.JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    # The rule set in force at receipt (docs/domain.md §1) and the limit snapshot.
    rule_set: Mapped[str] = mapped_column(String(30), default="ND118/2025")
    limit_value: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    limit_unit: Mapped[str | None] = mapped_column(String(20))

    submitted_at: Mapped[datetime]
    received_at: Mapped[datetime | None]
    # The moment the deadline counts from: the receipt, or the supplement that
    # restarted the clock (regime "restart"); clock_start_at is its effective start.
    clock_base_at: Mapped[datetime | None]
    clock_start_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # statutory: decides on-time
    promised_due_at: Mapped[datetime | None]  # after an apology (form 04), at most once
    apology_reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), index=True)
    supplement_count: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    result_note: Mapped[str] = mapped_column(Text, default="")
    # What the 766 index reads besides timing (docs/integration.md, "Files and digitisation"):
    # identity verified through VNeID (TaiKhoanDuocXacThucVoiVNeID), how the fee was paid
    # (DuocThanhToanTrucTuyen: 1 national payment platform, 2 provincial gateway, None not online),
    # the amount paid, and the national databases consulted (DSKetNoiCSDL codes).
    vneid_verified: Mapped[bool] = mapped_column(default=False)
    payment_channel: Mapped[int | None] = mapped_column(Integer)
    fee_paid: Mapped[Decimal | None] = mapped_column(Numeric(14, 0))
    csdl_codes: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    # When the dossier first held a file of each kind that counts (not refused) and when an event of
    # it was first accepted by the portal: the 766 facts 1.4 and 4.2-4.5 as of any moment are
    # "first … before the moment". Kept by database triggers on dossier_files and dvcqg_outbox
    # (migration h19f1), never written by the application (docs/integration.md, "Files and
    # digitisation").
    first_component_at: Mapped[datetime | None]
    first_result_file_at: Mapped[datetime | None]
    first_reused_at: Mapped[datetime | None]
    first_national_at: Mapped[datetime | None]
    first_synced_at: Mapped[datetime | None]
    # Stored only so the scheduler notifies once (docs/architecture.md §2: overdue is derived).
    due_soon_flagged_at: Mapped[datetime | None]
    overdue_flagged_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    procedure: Mapped[Procedure] = relationship()
    receiving_agency: Mapped[Agency] = relationship(foreign_keys=[receiving_agency_id])
    current_agency: Mapped[Agency] = relationship(foreign_keys=[current_agency_id])
    assignee: Mapped[User | None] = relationship()
    events: Mapped[list[DossierEvent]] = relationship(
        order_by="DossierEvent.seq", back_populates="dossier", viewonly=True
    )
    pauses: Mapped[list[PauseInterval]] = relationship(order_by="PauseInterval.started_at", viewonly=True)
    legs: Mapped[list[HandoffLeg]] = relationship(order_by="HandoffLeg.seq", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> DossierStatus:
        return DossierStatus(self.status)

    def __repr__(self) -> str:
        return f"<Dossier {self.code} {self.status}>"


class DossierEvent(Model):
    """Append-only (a trigger refuses UPDATE and DELETE): the source of truth for
    reports as of a date, the process control slip and the citizen's timeline."""

    __tablename__ = "dossier_events"
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq", name="uq_dossier_events_seq"),
        CheckConstraint(enum_check("action", DossierAction), name="action_known"),
        Index("ix_dossier_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True)
    payload: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


class PauseInterval(Model):
    """Clock stopped: waiting for a supplement or a financial obligation."""

    __tablename__ = "pause_intervals"
    __table_args__ = (
        CheckConstraint("kind IN ('supplement', 'payment')", name="kind_known"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ordered"),
        Index("ix_pause_intervals_dossier", "dossier_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # Supplement window the citizen was given (for reminders); None = no window.
    respond_by: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]


class HandoffLeg(Model):
    """One row of the process control slip: from whom, to whom, when, the leg's own
    deadline and its result (docs/domain.md §2; form 06 of Circular 01/2018)."""

    __tablename__ = "handoff_legs"
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq", name="uq_handoff_legs_seq"),
        CheckConstraint("acknowledged_at IS NULL OR acknowledged_at >= sent_at", name="ack_after_send"),
        CheckConstraint(
            "finished_at IS NULL OR (acknowledged_at IS NOT NULL AND finished_at >= acknowledged_at)",
            name="finish_after_ack",
        ),
        CheckConstraint("share_minutes IS NULL OR share_minutes >= 0", name="share_nonneg"),
        Index("ix_handoff_legs_open", "to_agency_id", "finished_at"),
        Index("ix_handoff_legs_due", "due_at"),
        Index("ix_handoff_legs_overdue_pending", "due_at",
              postgresql_where=db.text(OVERDUE_PENDING), sqlite_where=db.text(OVERDUE_PENDING)),
        Index("ix_handoff_legs_overdue_flagged", "overdue_flagged_at",
              postgresql_where=db.text("overdue_flagged_at IS NOT NULL"),
              sqlite_where=db.text("overdue_flagged_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    seq: Mapped[int]
    step_seq: Mapped[int | None]
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]
    share_minutes: Mapped[int | None]
    due_at: Mapped[datetime | None]
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finished_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(10))  # early / on_time / late
    note: Mapped[str] = mapped_column(Text, default="")
    overdue_flagged_at: Mapped[datetime | None]

    from_agency: Mapped[Agency] = relationship(foreign_keys=[from_agency_id])
    to_agency: Mapped[Agency] = relationship(foreign_keys=[to_agency_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    dossier: Mapped[Dossier] = relationship(viewonly=True)


class CodeSequence(Model):
    """Last sequence number per receiving agency and day (docs/domain.md §4). Incremented
    with one UPSERT … RETURNING, so concurrent receptions get distinct numbers."""

    __tablename__ = "code_sequences"
    __table_args__ = (CheckConstraint("last_seq >= 1 AND last_seq <= 9999", name="seq_range"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    on_date: Mapped[date] = mapped_column(primary_key=True)
    last_seq: Mapped[int]
