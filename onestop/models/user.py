"""Staff accounts and API tokens."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database.base import enum_check
from ..domain.status import Role
from ..extensions import db
from .agency import Agency
from .base import Model


class User(UserMixin, Model):  # type: ignore[misc]  # Flask-Login ships no types: UserMixin is Any
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(enum_check("role", Role), name="role_known"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_nonneg"),
        CheckConstraint("session_generation >= 0", name="session_generation_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[str] = mapped_column(String(10))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # Written into the signed session cookie at login (get_id) and compared on every request
    # (web/auth.py's user loader): raising it ends every session of the user at once — the
    # session cookie is client-side, so there is no server copy to delete (docs/security.md,
    # "Staff sessions and API").
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    agency: Mapped[Agency] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login: what the session cookie stores
        return f"{self.id}:{self.session_generation or 0}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def _ends_sessions(target: User, value: Any, oldvalue: Any, _initiator: Any) -> None:
    """A new password, a deactivation or other rights (role, agency) end the sessions opened
    before: whatever path makes the change (admin page, CLI, service), it cannot forget to."""
    if target.id is None or value == oldvalue:
        return  # a new user being built, or no change
    target.session_generation = (target.session_generation or 0) + 1


for _attr in (User.password_hash, User.active, User.role, User.agency_id):
    event.listen(_attr, "set", _ends_sessions, active_history=True)


class ApiToken(Model):
    """Bearer tokens for staff systems; only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class AuditLog(Model):
    """Logins and admin changes (who, what, when, from where)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(120), default="")
    details: Mapped[dict[str, object]] = mapped_column(db.JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")


class IdempotencyKey(Model):
    """An ``Idempotency-Key`` of ``POST /api/v1/dossiers`` and the answer it got, written in the
    same transaction as the dossier: a retry with the same key and body gets that answer again
    instead of a second dossier (docs/security.md, "Staff sessions and API"). Only a SHA-256
    of the key is stored; the look-up secret of the answer is kept sealed under the raw key,
    so neither the table nor a backup of it reveals it."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "key_hash", name="uq_idempotency_keys_user_key"),
        CheckConstraint("status_code BETWEEN 100 AND 599", name="status_code_http"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
    sealed_secret: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
