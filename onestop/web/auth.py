"""Flask-Login wiring: session users for pages, bearer tokens for the API."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, request
from flask_login import current_user, login_required

from ..extensions import db, login_manager
from ..models import User

F = TypeVar("F", bound=Callable[..., Any])


def utcnow() -> datetime:
    """The one clock read of the web layer (services take ``now`` as an argument)."""
    return datetime.now(UTC)


def init_auth(app: Flask) -> None:
    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def _from_token(req: Any) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
            return None
        from ..services.accounts import user_for_token

        user = user_for_token(db.session, header[7:].strip(), now=utcnow())
        if user is not None and db.session.dirty:
            try:
                db.session.commit()  # last_used_at (best effort: never fail the request for it)
            except Exception:  # noqa: BLE001
                db.session.rollback()
                user = user_for_token(db.session, header[7:].strip(), now=utcnow())
        return user


def roles_required(*roles: str) -> Callable[[F], F]:
    def deco(fn: F) -> F:
        @wraps(fn)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return deco


def client_ip() -> str:
    return request.remote_addr or ""
