"""The national portal (DVCQG): the outbox of changes it must see, the attempt log and the
log of online dossiers taken in from it (docs/integration.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Model

OUTBOX_KINDS = ("event", "rating")
OUTBOX_STATES = ("pending", "sent", "dead")
INTAKE_OUTCOMES = ("accepted", "refused")


class DvcqgOutbox(Model):
    """One change the portal must see, queued in the transaction of the change itself.

    ``kind`` 'event' = the dossier event with ``version`` = its ``seq`` (the record and that
    event's progress row are built when sent, from the current data); 'rating' = the dossier's
    satisfaction rating (``version`` 1). UNIQUE(dossier, kind, version) makes enqueueing idempotent.
    While a sender works on a row its ``next_attempt_at`` is pushed out by a lease, so a sender
    killed mid-batch leaves the row pending and it is sent again after the lease."""

    __tablename__ = "dvcqg_outbox"
    __table_args__ = (
        UniqueConstraint("dossier_id", "kind", "version", name="uq_dvcqg_outbox_change"),
        CheckConstraint("kind IN ('event', 'rating')", name="kind_known"),
        CheckConstraint("state IN ('pending', 'sent', 'dead')", name="state_known"),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_iff_time"),
        Index("ix_dvcqg_outbox_state_dossier", "state", "dossier_id"),
        Index("ix_dvcqg_outbox_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


class DvcqgAttempt(Model):
    """The attempt log: one row per outbox item per attempt, with the portal's answer."""

    __tablename__ = "dvcqg_attempts"
    __table_args__ = (Index("ix_dvcqg_attempts_outbox", "outbox_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("dvcqg_outbox.id"))
    at: Mapped[datetime]
    ok: Mapped[bool]
    message: Mapped[str] = mapped_column(Text, default="")


class DvcqgIntake(Model):
    """Each online submission pulled from the portal: accepted (one dossier, UNIQUE portal code)
    or refused with the reason (logged, nothing else created)."""

    __tablename__ = "dvcqg_intake"
    __table_args__ = (
        CheckConstraint("outcome IN ('accepted', 'refused')", name="outcome_known"),
        Index("uq_dvcqg_intake_accepted", "portal_code", unique=True,
              postgresql_where="outcome = 'accepted'", sqlite_where=db.text("outcome = 'accepted'")),
        Index("ix_dvcqg_intake_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_code: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
