"""Home: sends each role to its own start page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import db
from ..services.dossiers import queries
from ..services.dossiers.queries import WAITING_LONG_DAYS
from .auth import utcnow

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Any:
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    waiting = None
    if current_user.role in ("clerk", "head"):
        # The desk's return queue (results ready, not yet returned), counted on the home page.

        waiting = queries.waiting_to_return_counts(db.session, current_user, now=utcnow())

    return render_template("main/home.html", waiting=waiting, waiting_long_days=WAITING_LONG_DAYS)


@bp.get("/healthz")
def healthz() -> Any:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/lang/<code>")
def set_lang(code: str) -> Any:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    ref = request.referrer or ""
    return redirect(ref if ref.startswith(request.host_url) else url_for("main.index"))
