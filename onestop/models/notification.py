"""In-app notifications and the outbox of e-mail/SMS/Zalo messages."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Model


class Notification(Model):
    """An officer's or head's in-app inbox entry. ``dedupe_key`` is unique so a job
    run twice notifies no one twice.

    What it says is data: its ``kind`` and the values of the sentence (``params``), said in the
    reader's language when the inbox is read (onestop/web/sentences.py). ``message`` holds the
    finished Vietnamese sentence of the rows raised before the values were stored (``params`` NULL)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(db.JSON, default=None)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboxMessage(Model):
    """A message to deliver by a pluggable sender, with retries (transactional outbox)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'zalo')", name="channel_known"),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        Index("ix_outbox_pending", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # gave up after the last retry
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What the provider answered: its message id (SMS gateway / Zalo ZNS msg_id / SMTP Message-ID)
    # and, when its delivery report came back, the delivered time.
    provider_message_id: Mapped[str] = mapped_column(String(100), default="")
    delivered_at: Mapped[datetime | None]
    # Zalo ZNS sends a registered template with parameters, not free text.
    template_id: Mapped[str] = mapped_column(String(60), default="")
    template_data: Mapped[dict[str, Any] | None] = mapped_column(db.JSON, default=None)

    @property
    def status(self) -> str:
        """queued, sent, failed (given up) or delivered."""
        if self.delivered_at is not None:
            return "delivered"
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "queued"
