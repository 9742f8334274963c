"""The citizen (public) surface as its own small Flask app (``onestop.create_public_app``):
the look-up page with its rating and complaint posts (page.py), the JSON look-up (api.py), the
receipt's QR image (qr.py) and the transparency page (transparency.py); verification and
throttles in guard.py. It shares the extensions and models with the staff app (the database,
Babel, the rate limiter and its store) but has no sign-in, no CSRF and none of the staff app's
request hooks: citizens never log in, and what a citizen post proves is checked by guard.py.

Mounted in the staff app's WSGI pipeline by :class:`PublicMount` (docs/operations.md §3,
"The citizen app"): a request under one of :data:`PREFIXES` goes to this app, every other to
the staff app, with its path unchanged. Each app can build the other's URLs (``url_for`` in the
shared templates) through build-only rules (:func:`mirror_rules`): neither app serves the
other's pages.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import AnonymousUserMixin
from werkzeug.routing import Rule

from .. import init_common
from . import api, page, qr, transparency

# The citizen surface's paths (docs/architecture.md §3): /lookup, /lookup/..., /public,
# /public/..., /api/v1/lookup/<code>.
API_PREFIX = "/api/v1/lookup/"
PREFIXES = ("/lookup", "/public", API_PREFIX)

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def init_public(app: Flask) -> None:
    """The citizen app's blueprints and templates' context (before the limiter binds: a NUL is
    refused before a guess is counted)."""
    init_common(app)
    app.session_interface = CitizenSessions()
    for module in (page, api, qr, transparency):
        app.register_blueprint(module.bp)

    @app.context_processor
    def _citizen_globals() -> dict[str, Any]:
        # The shared layout asks who is signed in: nobody is, on the citizen surface.
        return {"current_user": AnonymousUserMixin()}


class CitizenSessions(SecureCookieSessionInterface):
    """The signed cookie session, except on the JSON API: it is stateless (api.py), so a cookie
    sent with it is neither verified nor written — Flask's null session, whose cost is nothing
    (docs/benchmarks.md, "Look-up vs bare endpoint"). The page keeps the look-up session
    (guard.py)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return None  # Flask then uses make_null_session
        return super().open_session(app, request)


def is_public_path(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in PREFIXES)


class PublicMount:
    """WSGI: the citizen paths to the citizen app, the rest to the staff app.

    Werkzeug's ``DispatcherMiddleware`` would move the mount point into ``SCRIPT_NAME``: the
    citizen app would see ``/rating`` for ``/lookup/rating`` and build ``/lookup/...`` links as
    ``/public/lookup/...`` from the transparency page. The citizen paths are three top-level
    prefixes beside the staff ones, so the path is passed on whole."""

    def __init__(self, staff: WSGIApp, public: WSGIApp) -> None:
        self.staff = staff
        self.public = public

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if is_public_path(environ.get("PATH_INFO") or ""):
            return self.public(environ, start_response)
        return self.staff(environ, start_response)


def mirror_rules(target: Flask, source: Flask) -> None:
    """Let ``target`` build the URLs of ``source``'s views (links between the two apps in shared
    templates) with rules that never match a request (``build_only``)."""
    for rule in list(source.url_map.iter_rules()):
        if rule.build_only or rule.endpoint in target.view_functions:
            continue
        target.url_map.add(Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods,
                                defaults=rule.defaults, build_only=True))
