"""Flask-Login wiring: session users for pages, bearer tokens for the API."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Flask, abort, g, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_url

from ..extensions import db, login_manager
from ..models import User
from ..services.admin.accounts import user_for_token
from .errors import json_error

View = Callable[..., ResponseReturnValue]


def utcnow() -> datetime:
    """The one clock read of the web layer (services take ``now`` as an argument)."""
    return datetime.now(UTC)


def init_auth(app: Flask) -> None:
    @login_manager.user_loader
    def _load(session_id: str) -> User | None:
        return user_for_session(session_id)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        # JSON callers get the API's error shape, not a redirect to an HTML form.
        if wants_json_answer():
            return json_error(401, "unauthorized", "Cần đăng nhập hoặc token Bearer.")
        return redirect(login_url(login_manager.login_view, next_url=request.url))

    @login_manager.request_loader
    def _from_token(req: Any) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
            return None

        user = user_for_token(db.session, header[7:].strip(), now=utcnow())
        g.auth_by_token = user is not None
        if user is not None and db.session.dirty:
            try:
                db.session.commit()  # last_used_at (best effort: never fail the request for it)
            except Exception:  # noqa: BLE001
                db.session.rollback()
                user = user_for_token(db.session, header[7:].strip(), now=utcnow())
        return user


def user_for_session(session_id: str) -> User | None:
    """The user of a session cookie, checked on every request: the cookie holds "id:generation"
    (User.get_id) and is refused once the user's generation moved on (logout, password change,
    admin reset, deactivation, new role or agency). A bare "id" is a cookie from before
    generations existed: generation 0, so it too ends at the first such change."""
    ident, _sep, gen = session_id.partition(":")
    if not ident.isdigit() or not (gen.isdigit() or gen == ""):
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or (user.session_generation or 0) != int(gen or 0):
        return None
    return user


def wants_json_answer() -> bool:
    """The API and the pages' own JSON endpoints (``….json``) answer errors in JSON."""
    return request.path.startswith("/api/") or request.path.endswith(".json")


def roles_required(*roles: str) -> Callable[[View], View]:
    def deco(fn: View) -> View:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if current_user.role not in roles:
                abort(403)
            return fn(*args, **kwargs)
        # Flask-Login ships no types: its decorator returns the view it wraps, typed here.
        guarded: View = login_required(wrapper)
        return guarded
    return deco


def client_ip() -> str:
    return request.remote_addr or ""
