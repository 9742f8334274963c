"""onestop — the dossier tracker for Vietnam's one-stop administrative desks."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Config, Flask

if TYPE_CHECKING:
    from .services.admin.calendars import CalendarStore

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: the staff app, with the citizen app (:func:`create_public_app`) mounted at
    its paths. No side effects: no tables created, no data written, no threads started
    (migrations are a deploy step; the scheduler is its own process)."""
    app = _flask(__name__)
    _configure(app, config, overrides)

    from .web import init_web

    _init_extensions(app)
    calendars = _init_calendars(app)
    from .services.reporting import rollup

    rollup.ENABLED = bool(app.config.get("REPORTS_ROLLUP", True))
    init_web(app)
    from . import cli

    cli.init_app(app)
    _mount_public(app, create_public_app(settings=app.config, calendars=calendars))
    _wrap_wsgi(app)
    return app


def create_public_app(*, settings: Config, calendars: CalendarStore) -> Flask:
    """The citizen surface (onestop/web/public/) as its own app: the same settings, database,
    Babel and rate limiter (and its store) as the staff app it is mounted in, no sign-in, no
    CSRF, none of the staff request hooks."""
    from .extensions import babel, db, limiter
    from .web.i18n import select_locale, select_timezone
    from .web.public import init_public

    app = _flask("onestop.web.public")
    app.config = settings  # one deployment, one set of settings (tests and operators change either)
    db.init_app(app)
    with app.app_context():
        _bind_engines(app, calendars)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_public(app)
    limiter.init_app(app)  # after init_public: its NUL refusal runs before a guess is counted
    return app


def _mount_public(app: Flask, public: Flask) -> None:
    from .web.public import PublicMount, mirror_rules

    mirror_rules(app, public)
    mirror_rules(public, app)
    app.extensions["onestop.public"] = public
    # Flask's documented way to wrap its WSGI app; mypy sees wsgi_app as a method it may not replace.
    app.wsgi_app = PublicMount(app.wsgi_app, public)  # type: ignore[method-assign]


def _flask(import_name: str) -> Flask:
    return Flask(import_name, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                 instance_path=str(ROOT / "instance"))


def _configure(app: Flask, config: str | None, overrides: dict[str, Any] | None) -> None:
    from config import CONFIGS, env_overrides

    name = config or os.environ.get("ONESTOP_ENV", "development")
    app.config.from_object(CONFIGS[name])
    app.config.update(env_overrides(os.environ))
    app.config.update(overrides or {})
    pool = {k: app.config[f"DB_{k.upper()}"] for k in ("pool_size", "max_overflow", "pool_recycle")
            if app.config.get(f"DB_{k.upper()}") is not None}
    if pool and not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], **pool}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # WAL + busy timeout: many clerks at once without "database is locked".
        opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        opts.setdefault("connect_args", {"timeout": 30})
        opts["pool_pre_ping"] = False  # a local file: nothing to ping
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
    if name == "production" and app.config["SECRET_KEY"] == "dev-only-change-me":
        raise RuntimeError("Set ONESTOP_SECRET_KEY in production.")
    if name == "production":
        check_public_base_url(str(app.config.get("PUBLIC_BASE_URL") or ""))


def check_public_base_url(url: str) -> None:
    """The look-up address printed in every receipt's QR code (docs/operations.md): a citizen's
    phone must reach it, so production refuses to start without an absolute http(s) address."""
    if not re.match(r"^https?://[^/\s]+", url):
        raise RuntimeError(
            "Set ONESTOP_PUBLIC_BASE_URL in production to the public address citizens reach "
            "(e.g. https://dichvucong.example.gov.vn): receipts print it in their QR code. "
            "/ Đặt ONESTOP_PUBLIC_BASE_URL là địa chỉ công khai in trong mã QR của giấy tiếp nhận.")


def _wrap_wsgi(app: Flask) -> None:
    """ProxyFix outside the citizen app's mount, so that both apps see the citizen's address."""
    if app.config.get("PROXY_FIX_HOPS"):
        # Behind a load balancer: trust exactly that many X-Forwarded-* hops, so rate
        # limits and audit logs see the citizen's address, not the balancer's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_HOPS"])
        # The documented way to wrap Flask's WSGI app (mypy sees wsgi_app as a method).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _init_calendars(app: Flask) -> CalendarStore:
    """The app's working-calendar store (onestop/services/admin/calendars.py): on the app, registered on
    its engines so that services reach it from their session. Its clock is the wall clock, its
    interval between two reads of the calendar generation runs on the monotonic clock."""
    import time
    from datetime import UTC, datetime

    from .services.admin.calendars import CalendarStore

    store = CalendarStore(clock=lambda: datetime.now(UTC), first_year=int(app.config["CALENDAR_FIRST_YEAR"]),
                          years_ahead=int(app.config["CALENDAR_YEARS_AHEAD"]),
                          tz=str(app.config["TIMEZONE"]),
                          check_seconds=float(app.config["CALENDAR_CHECK_SECONDS"]), ticker=time.monotonic)
    with app.app_context():
        _bind_engines(app, store)
    return store


def _bind_engines(app: Flask, calendars: CalendarStore) -> None:
    """Inside ``app``'s context: its engines get the SQLite pragmas and the calendar store."""
    from .database.events import install_sqlite_pragmas
    from .extensions import db
    from .services.admin.calendars import register

    app.extensions["onestop.calendars"] = calendars
    install_sqlite_pragmas(db.engine)
    for engine in db.engines.values():
        register(engine, calendars)


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (register the mappers)
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .web.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = None
    csrf.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
