"""Admin: staff accounts — creating one with a temporary password, editing (name, role, agency),
locking and unlocking, resetting the password, API tokens — each audited; finding accounts without
accents, and reading the audit log with filters and paging (docs/guide-admin.md).

A role or agency change ends the user's open sessions and API tokens' sessions: the session
generation is bumped by the model's own change listener (onestop/models/user.py), so the
service only changes the fields and audits the change.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ...domain.status import Role
from ...models import Agency, AuditLog, User
from ..dossiers.applicant import fold, normalize_text
from ..errors import N_, ValidationFailed
from .accounts import audit, create_user, hash_password, issue_token, revoke_token

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Readable labels of the audit actions (Vietnamese first; the web layer translates).
AUDIT_LABELS: dict[str, str] = {
    "login.ok": "Đăng nhập", "login.fail": "Đăng nhập sai mật khẩu",
    "login.locked": "Khóa đăng nhập tạm thời",
    "password.change": "Đổi mật khẩu", "user.create": "Tạo tài khoản", "user.update": "Sửa tài khoản",
    "user.activate": "Mở khóa tài khoản", "user.deactivate": "Khóa tài khoản",
    "user.reset_password": "Đặt lại mật khẩu", "token.issue": "Cấp token API",
    "token.revoke": "Thu hồi token API",
    "agency.create": "Tạo cơ quan", "agency.update": "Sửa cơ quan", "procedure.create": "Tạo thủ tục",
    "procedure.update": "Sửa thủ tục", "calendar.add": "Thêm ngày nghỉ/làm bù",
    "calendar.delete": "Xóa ngày ngoại lệ",
    "calendar.confirm_tet": "Xác nhận lịch nghỉ Tết", "dossier.reissue_secret": "Cấp lại mã tra cứu",
    "feedback.answer": "Trả lời phản ánh, kiến nghị",
}


def update_staff(session: Session, user: User, *, full_name: str, role: str, agency_identifier: str,
                 actor: User, now: datetime, ip: str = "") -> dict[str, list[Any]]:
    """Change a user's name, role and agency; returns the audited changes (empty: nothing changed)."""
    errors: dict[str, str] = {}
    name = normalize_text(full_name)
    if not name:
        errors["full_name"] = N_("Nhập họ và tên.")
    elif len(name) > 120:
        errors["full_name"] = N_("Họ và tên tối đa 120 ký tự.")
    if role not in {r.value for r in Role}:
        errors["role"] = N_("Vai trò không hợp lệ.")
    agency = session.scalar(select(Agency).where(Agency.identifier == agency_identifier.strip()))
    if agency is None:
        errors["agency"] = N_("Chọn một cơ quan trong danh sách.")
    if user.id == actor.id and role != user.role:
        errors["role"] = N_("Không thể tự đổi vai trò của chính mình.")
    if errors:
        raise ValidationFailed(errors)
    assert agency is not None
    changes: dict[str, list[Any]] = {}
    if name != user.full_name:
        changes["full_name"] = [user.full_name, name]
        user.full_name = name
    if role != user.role:
        changes["role"] = [user.role, role]
        user.role = role
    if agency.id != user.agency_id:
        changes["agency"] = [user.agency.identifier if user.agency else None, agency.identifier]
        user.agency_id = agency.id
        user.agency = agency
    session.flush()
    if changes:
        audit(session, actor, "user.update", f"user:{user.username}", dict(changes), now, ip)
    return changes


def search_users(session: Session, q: str, *, limit: int = 500) -> list[User]:
    """Accounts whose username or name contains every word of ``q``, accents ignored ("nguyen van"
    finds "Nguyễn Văn An"). Staff accounts are few (hundreds to a few thousand), so the folding is
    done here rather than in a stored column."""
    base = select(User).options(joinedload(User.agency)).order_by(User.username)
    words = fold(q).split()
    users = session.scalars(base).all()
    if not words:
        return list(users[:limit])
    out = [u for u in users if all(w in f"{u.username.lower()} {fold(u.full_name)}" for w in words)]
    return out[:limit]


@dataclass
class AuditPage:
    rows: list[AuditLog]
    total: int
    page: int
    pages: int
    per_page: int


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ)


def audit_log(session: Session, *, actor: str = "", action: str = "", date_from: date | None = None,
              date_to: date | None = None, dossier_code: str = "", page: int = 1,
              per_page: int = 50) -> AuditPage:
    """The audit log, newest first, filtered by actor (username), action, local days (inclusive,
    Asia/Ho_Chi_Minh) and dossier code; with the total for the pager. A reversed range is refused."""
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed({"date_to": N_("Ngày kết thúc phải sau ngày bắt đầu.")})
    conds: list[Any] = []
    if actor.strip():
        uid = session.scalar(select(User.id).where(User.username == actor.strip()))
        conds.append(AuditLog.actor_id == (uid if uid is not None else -1))
    if action:
        conds.append(AuditLog.action == action)
    if date_from:
        conds.append(AuditLog.at >= _day_start(date_from))
    if date_to:
        conds.append(AuditLog.at < _day_start(date_to + timedelta(days=1)))
    code = dossier_code.strip()
    if code:
        conds.append(AuditLog.target == f"dossier:{code}")
    total = int(session.scalar(select(func.count()).select_from(AuditLog).where(*conds)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(session.scalars(select(AuditLog).where(*conds)
                                .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    return AuditPage(rows=rows, total=total, page=page, pages=pages, per_page=per_page)


__all__ = ["AUDIT_LABELS", "AuditPage", "audit_log", "search_users", "update_staff"]


def temporary_password() -> str:
    """A one-time password the admin hands over; the user must change it at first login."""
    return f"{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"


def create_staff(
    session: Session, *, username: str, full_name: str, role: str, agency_identifier: str, email: str,
    actor: User, now: datetime, ip: str = "",
) -> tuple[User, str]:
    """A new account with a temporary password, shown once to the admin."""
    password = temporary_password()
    user = create_user(session, username=username, full_name=full_name, role=role,
                       agency_code=agency_identifier, password=password, email=email, now=now, actor=actor)
    user.must_change_password = True
    session.flush()
    return user, password


def set_active(session: Session, user: User, active: bool, *, actor: User, now: datetime,
               ip: str = "") -> None:
    if user.id == actor.id and not active:
        raise ValidationFailed({"user": N_("Không thể tự khóa tài khoản của chính mình.")})
    user.active = active
    session.flush()
    action = "user.activate" if active else "user.deactivate"
    audit(session, actor, action, f"user:{user.username}", {}, now, ip)


def reset_password(session: Session, user: User, *, actor: User, now: datetime, ip: str = "") -> str:
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit(session, actor, "user.reset_password", f"user:{user.username}", {}, now, ip)
    return password


def issue_api_token(session: Session, user: User, *, name: str, actor: User, now: datetime,
                    ip: str = "") -> str:
    """A bearer token for ``user`` (shown once; only its SHA-256 is stored)."""
    if not user.active:
        raise ValidationFailed({"user": N_("Tài khoản đang bị khóa; không cấp token.")})
    name = name.strip()[:80]
    raw = issue_token(session, user, now=now, name=name)
    audit(session, actor, "token.issue", f"user:{user.username}", {"name": name, "prefix": raw[:10]}, now, ip)
    return raw


def revoke_api_token(session: Session, token_id: int, *, actor: User, now: datetime, ip: str = "") -> None:
    revoke_token(session, token_id, now=now, actor=actor)
    session.flush()
