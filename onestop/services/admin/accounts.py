"""Users, passwords, API tokens and login throttling."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ...domain.status import Role
from ...models import Agency, ApiToken, AuditLog, User
from ..errors import N_, NotFound, ValidationFailed

# scrypt: memory-hard, werkzeug's default modern KDF.
_KDF = "scrypt"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_KDF)


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def validate_password(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return N_("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD)
    if password.isdigit() or password.isalpha():
        return N_("Mật khẩu phải gồm cả chữ và số hoặc ký tự đặc biệt.")
    return None


def create_user(
    session: Session, *, username: str, full_name: str, role: str, agency_code: str,
    password: str, email: str = "", now: datetime, actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a staff account. ``password_hash`` lets a bulk seeder hash one shared
    demo password once (scrypt is deliberately slow) instead of once per user."""
    errors: dict[str, str] = {}
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = N_("Tên đăng nhập 3–60 ký tự: chữ thường, số, . _ -")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = N_("Tên đăng nhập '%(name)s' đã tồn tại.", name=username)
    if role not in {r.value for r in Role}:
        errors["role"] = N_("Vai trò phải là clerk, officer, head hoặc admin.")
    agency = session.scalar(select(Agency).where(Agency.identifier == agency_code.strip()))
    if agency is None:
        errors["agency"] = N_("Không có cơ quan với mã '%(code)s'.", code=agency_code)
    problem = validate_password(password)
    if problem:
        errors["password"] = problem
    if not full_name.strip():
        errors["full_name"] = N_("Nhập họ và tên.")
    if errors:
        raise ValidationFailed(errors)
    assert agency is not None
    user = User(
        username=username, full_name=full_name.strip() or username, role=role,
        agency_id=agency.id, password_hash=password_hash or hash_password(password), email=email.strip(),
        active=True, created_at=now,
    )
    session.add(user)
    session.flush()
    audit(session, actor, "user.create", f"user:{username}", {"role": role, "agency": agency.identifier}, now)
    return user


def issue_token(session: Session, user: User, *, now: datetime, name: str = "") -> str:
    """Create a bearer token; only its SHA-256 is stored, the token is shown once."""
    raw = "os_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, prefix=raw[:10], token_hash=token_digest(raw),
                         created_at=now))
    session.flush()
    return raw


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(session: Session, raw: str, *, now: datetime) -> User | None:
    # The token, its user and the user's desk in one read: every API call needs all three.
    owner_and_desk = joinedload(ApiToken.user, innerjoin=True).joinedload(User.agency, innerjoin=True)
    tok = session.scalar(select(ApiToken).options(owner_and_desk)
                         .where(ApiToken.token_hash == token_digest(raw)))
    if tok is None or tok.revoked_at is not None or not tok.user.active:
        return None
    # Recorded at most every 10 minutes: a read-only API call should not write each time.
    if tok.last_used_at is None or now - tok.last_used_at > timedelta(minutes=10):
        tok.last_used_at = now
    owner: User = tok.user
    return owner


def end_sessions(user: User) -> None:
    """End every session of ``user`` (logout, or when access must be re-checked): the session
    cookie carries the generation it was opened under (User.get_id), so moving it on refuses
    every cookie issued before, copies included. Password, role, agency and deactivation
    changes do this by themselves (models/user.py)."""
    user.session_generation = (user.session_generation or 0) + 1


def revoke_token(session: Session, token_id: int, *, now: datetime, actor: User | None) -> None:
    tok = session.get(ApiToken, token_id)
    if tok is None:
        raise NotFound("Không tìm thấy token.")
    tok.revoked_at = now
    audit(session, actor, "token.revoke", f"user:{tok.user.username}", {"prefix": tok.prefix}, now)


def authenticate(
    session: Session, username: str, password: str, *, now: datetime, ip: str = "",
    max_failures: int = 5, lockout_minutes: int = 15,
) -> User | None:
    """Check a login; lock the account after ``max_failures`` failures in a row.

    Every path verifies exactly one password hash — against the user's own, or a dummy one of
    the same KDF and cost for an unknown name, a locked or a deactivated account — so the time
    taken does not tell whether a name exists or is locked (docs/security.md)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    usable = user is not None and user.active and not (
        user.locked_until is not None and user.locked_until > now)
    matches = check_password_hash(user.password_hash if usable and user is not None else _DUMMY_HASH,
                                  password)
    if user is None:
        audit(session, None, "login.fail", f"user:{username[:60]}", {"reason": "unknown"}, now, ip)
        return None
    if user.locked_until is not None and user.locked_until > now:
        audit(session, user, "login.locked", f"user:{user.username}", {}, now, ip)
        return None
    if not usable or not matches:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        audit(session, user, "login.fail", f"user:{user.username}", {}, now, ip)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit(session, user, "login.ok", f"user:{user.username}", {}, now, ip)
    signed_in: User = user
    return signed_in


_DUMMY_HASH = generate_password_hash("not-a-real-password", method=_KDF)


def audit(
    session: Session, actor: User | None, action: str, target: str, details: dict[str, object],
    now: datetime, ip: str = "",
) -> None:
    session.add(AuditLog(at=now, actor_id=actor.id if actor else None, action=action, target=target,
                         details=details, ip=ip))


def change_password(
    session: Session, user: User, *, current: str, new: str, confirm: str, now: datetime, ip: str = "",
) -> None:
    errors: dict[str, str] = {}
    if not check_password(user, current):
        errors["current"] = N_("Mật khẩu hiện tại không đúng.")
    problem = validate_password(new)
    if problem:
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = N_("Hai lần nhập mật khẩu mới không khớp.")
    elif new == current:
        errors["new"] = N_("Mật khẩu mới phải khác mật khẩu hiện tại.")
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    audit(session, user, "password.change", f"user:{user.username}", {}, now, ip)
