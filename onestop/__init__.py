"""onestop — the dossier tracker for Vietnam's one-stop administrative desks."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app. No side effects: no tables created, no data written, no
    threads started (migrations are a deploy step; the scheduler is its own process)."""
    from config import CONFIGS, env_overrides

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
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

    from .web import init_web

    _init_extensions(app)
    _init_calendars(app)
    from .services.reporting import rollup

    rollup.ENABLED = bool(app.config.get("REPORTS_ROLLUP", True))
    init_web(app)
    from . import cli

    cli.init_app(app)
    _wrap_wsgi(app)
    return app


def check_public_base_url(url: str) -> None:
    """The look-up address printed in every receipt's QR code (docs/operations.md): a citizen's
    phone must reach it, so production refuses to start without an absolute http(s) address."""
    if not re.match(r"^https?://[^/\s]+", url):
        raise RuntimeError(
            "Set ONESTOP_PUBLIC_BASE_URL in production to the public address citizens reach "
            "(e.g. https://dichvucong.example.gov.vn): receipts print it in their QR code. "
            "/ Đặt ONESTOP_PUBLIC_BASE_URL là địa chỉ công khai in trong mã QR của giấy tiếp nhận.")


def _wrap_wsgi(app: Flask) -> None:
    """WSGI middleware, innermost first: the look-up API's fast path, then ProxyFix outside it
    so that the fast path too sees the citizen's address."""
    from .web.lookup import LookupApiFastPath

    app.wsgi_app = LookupApiFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config.get("PROXY_FIX_HOPS"):
        # Behind a load balancer: trust exactly that many X-Forwarded-* hops, so rate
        # limits and audit logs see the citizen's address, not the balancer's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _init_calendars(app: Flask) -> None:
    """The app's working-calendar store (onestop/services/admin/calendars.py): on the app, registered on
    its engines so that services reach it from their session. Its clock is the wall clock."""
    from datetime import UTC, datetime

    from .extensions import db
    from .services.admin.calendars import CalendarStore, register

    store = CalendarStore(clock=lambda: datetime.now(UTC), first_year=int(app.config["CALENDAR_FIRST_YEAR"]),
                          years_ahead=int(app.config["CALENDAR_YEARS_AHEAD"]),
                          tz=str(app.config["TIMEZONE"]))
    app.extensions["onestop.calendars"] = store
    with app.app_context():
        for engine in db.engines.values():
            register(engine, store)


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (register the mappers)
    from .database.events import install_sqlite_pragmas
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .web.i18n import select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        install_sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = None
    csrf.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from . import ratelimit  # noqa: F401  (registers the onestop-memory:// storage scheme)

    app.config.setdefault("RATELIMIT_STORAGE_URI", "onestop-memory://")
    limiter.init_app(app)
