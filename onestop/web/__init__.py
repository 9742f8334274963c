"""HTTP layer: parse -> call a service -> commit -> redirect/render."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_babel import get_locale

from . import headers, i18n

BLUEPRINTS = (
    "main", "account", "reception", "dossiers", "handoffs", "feedback", "reports", "scores", "admin", "dvcqg",
    "api", "files", "index766",
)


def init_web(app: Flask) -> None:
    """The staff app's pages, sign-in and menu, over :func:`init_common`. (The citizen surface is
    its own app: web/public/.)"""
    import importlib

    for name in BLUEPRINTS:
        module = importlib.import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)

    from .auth import init_auth

    init_auth(app)
    init_common(app)

    @app.context_processor
    def _staff_globals() -> dict[str, Any]:
        return {"nav_items": nav_items, "unread_notifications": unread_notifications}


def init_common(app: Flask) -> None:
    """What the staff app and the citizen app (web/public/) both have: the template filters and
    globals, the NUL refusal, the security headers and the error pages."""
    app.jinja_env.filters["d"] = i18n.fmt_date
    app.jinja_env.filters["dt"] = i18n.fmt_datetime
    app.jinja_env.filters["hm"] = i18n.fmt_time
    from .formatting import register as register_number_filters

    register_number_filters(app.jinja_env)
    from .sentences import register as register_sentences

    register_sentences(app.jinja_env)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_locale": str(get_locale()), "demo_mode": app.config.get("DEMO", False)}

    @app.before_request
    def _refuse_nul() -> Any:
        # NUL in a query string, form or URL: no field needs it and PostgreSQL text
        # refuses it, so answer a clear 400 before any view or query sees it.
        values = [*request.args.values(), *(request.view_args or {}).values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += list(request.form.values())
        if any(isinstance(v, str) and "\x00" in v for v in values):
            from flask import abort

            from .errors import NUL_MESSAGE

            abort(400, description=NUL_MESSAGE)
        return None

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        headers.apply_security_headers(resp.headers, secure=request.is_secure)
        return resp

    _error_pages(app)


def _error_pages(app: Flask) -> None:
    from .errors import json_error, wants_json

    def handler(code: int, title: str, message: str) -> Any:
        def _h(exc: Exception) -> Any:
            if wants_json():
                desc = getattr(exc, "description", None) or message
                return json_error(code, title.lower().replace(" ", "_"), str(desc))
            return render_template("errors/error.html", code=code, title=title, message=message,
                                   exc=exc), code
        return _h

    app.register_error_handler(400, handler(400, "Bad request", "Yêu cầu không hợp lệ."))
    app.register_error_handler(403, handler(403, "Forbidden", "Bạn không có quyền thực hiện thao tác này."))
    app.register_error_handler(404, handler(404, "Not found", "Không tìm thấy trang hoặc hồ sơ."))
    app.register_error_handler(405, handler(405, "Method not allowed", "Phương thức không được hỗ trợ."))
    app.register_error_handler(409, handler(409, "Conflict", "Hồ sơ đã thay đổi, vui lòng tải lại."))
    app.register_error_handler(
        429, handler(429, "Too many requests", "Quá nhiều yêu cầu, vui lòng thử lại sau."))
    app.register_error_handler(500, handler(500, "Server error", "Lỗi hệ thống. Vui lòng thử lại."))
    g  # noqa: B018  (keep import for templates that read g)


# (endpoint, label, roles) — a menu item shows only if its view exists and the role may use it.
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("reception.new", "Tiếp nhận", ("clerk",)),
    ("reception.register", "Sổ theo dõi", ("clerk", "head", "officer")),
    ("dossiers.worklist", "Việc của tôi", ("officer", "head")),
    ("dossiers.inbox", "Hồ sơ đến", ("head", "officer", "clerk")),
    ("handoffs.incoming", "Liên thông", ("officer", "head")),
    ("reports.dashboard", "Bảng điều khiển", ("head", "admin")),
    ("reports.form06", "Báo cáo 06", ("head", "admin")),
    ("scores.index", "Chấm điểm", ("head", "admin")),
    ("feedback.feedback_inbox", "Phản ánh, kiến nghị", ("officer", "head")),
    ("dossiers.notifications", "Thông báo", ("officer", "head", "clerk")),
    ("admin.index", "Quản trị", ("admin",)),
)


def unread_notifications() -> int:
    """The signed-in user's unread in-app notifications (the menu's badge), once per request."""
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        return 0
    # Cached on the request (not ``g``, which outlives a request when an app context is already
    # pushed, as in tests and CLI code rendering templates).
    cached = getattr(request, "_onestop_unread", None)
    if cached is None:
        from ..extensions import db
        from ..services.dossiers import queries

        cached = queries.unread_count(db.session, current_user)
        # An attribute of this request object only (Request declares no such field).
        request._onestop_unread = cached  # type: ignore[attr-defined]
    return int(cached)


def nav_items() -> list[Any]:
    from types import SimpleNamespace

    from flask import current_app
    from flask_babel import gettext
    from flask_login import current_user

    role = getattr(current_user, "role", None)
    return [
        SimpleNamespace(endpoint=ep, label=gettext(label))
        for ep, label, roles in NAV
        if role in roles and ep in current_app.view_functions
    ]
