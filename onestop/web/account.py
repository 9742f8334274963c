"""Sign in and out."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db, limiter
from ..services.admin.accounts import authenticate, end_sessions
from ..services.admin.accounts import change_password as change
from ..services.errors import ValidationFailed
from .auth import client_ip, utcnow, wants_json_answer
from .errors import json_error
from .sentences import error_text

bp = Blueprint("account", __name__)


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("Mật khẩu", validators=[DataRequired(), Length(max=200)])


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        cfg = current_app.config
        user = authenticate(
            db.session, form.username.data or "", form.password.data or "", now=utcnow(),
            ip=client_ip(), max_failures=cfg["LOGIN_LOCKOUT_FAILURES"],
            lockout_minutes=cfg["LOGIN_LOCKOUT_MINUTES"],
        )
        db.session.commit()
        if user is None:
            flash(_("Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị tạm khóa."), "danger")
            return render_template("account/login.html", form=form), 401
        login_user(user)
        nxt = request.args.get("next", "")
        if not nxt or urlsplit(nxt).netloc or not nxt.startswith("/"):
            nxt = url_for("main.index")
        return redirect(nxt, code=303)
    return render_template("account/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    # The session cookie is signed, not stored: a copy taken before the logout stays valid
    # unless the user's session generation moves on (this ends their other sessions too).
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    return redirect(url_for("account.login"), code=303)


class PasswordForm(FlaskForm):
    current = PasswordField("Mật khẩu hiện tại", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("Mật khẩu mới", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("Nhập lại mật khẩu mới", validators=[DataRequired(), Length(max=200)])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change one's own password; forced after an admin reset (must_change_password)."""

    form = PasswordForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            change(db.session, current_user, current=form.current.data or "", new=form.new.data or "",
                   confirm=form.confirm.data or "", now=utcnow(), ip=client_ip())
        except ValidationFailed as exc:
            db.session.rollback()
            errors = {name: error_text(message) for name, message in exc.errors.items()}
        else:
            db.session.commit()
            # The new password ended every session opened before (User.session_generation);
            # this one continues under the new generation.
            login_user(current_user._get_current_object())
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(url_for("main.index"), code=303)
    status = 422 if errors else 200
    return render_template("account/password.html", form=form, errors=errors), status


def enforce_password_change() -> Any:
    """After an admin reset, the temporary password opens only the change page: every
    session-authenticated request, HTML or JSON, is refused until it is changed. A bearer
    token is its own credential (issued and revoked by an admin) and is not affected
    (docs/security.md, "Staff sessions and API")."""

    # Cheap tests first: static files and requests without a signed-in session never load
    # the user for this.
    if request.endpoint in ("account.change_password", "account.logout", "static") \
            or "_user_id" not in session:
        return None
    if not current_user.is_authenticated or not getattr(current_user, "must_change_password", False):
        return None
    if g.get("auth_by_token"):
        return None  # the session was stale; the request's bearer token authenticated it
    message = _("Vui lòng đổi mật khẩu tạm thời trước khi tiếp tục.")
    if wants_json_answer():
        return json_error(403, "password_change_required", message)
    flash(message, "warning")
    return redirect(url_for("account.change_password"))


bp.before_app_request(enforce_password_change)
