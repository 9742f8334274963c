"""Admin page of the national portal sync (docs/integration.md): per day handled / synced / pending /
failed (766 indicator 1.4 as the portal will compute it), the failures with the portal's message,
and a resend button."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import db
from ..integrations.dvcqg.outbox import failures, resend, status_counts, sync_by_day, sync_enabled
from ..services.errors import NotFound
from .auth import roles_required, utcnow

bp = Blueprint("dvcqg_admin", __name__, url_prefix="/admin/dvcqg")
DAYS = 14


@bp.get("/")
@roles_required("admin")
def index() -> str:
    tz = ZoneInfo(str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh")))
    now = utcnow()
    today = now.astimezone(tz).date()
    days = []
    for i in range(DAYS):
        day = today - timedelta(days=i)
        start = datetime.combine(day, time(0), tzinfo=tz)
        days.append((day, start, start + timedelta(days=1)))
    return render_template("dvcqg/index.html", enabled=sync_enabled(current_app.config),
                           url=current_app.config.get("DVCQG_URL"),
                           unit=current_app.config.get("DVCQG_UNIT_CODE"),
                           counts=status_counts(db.session), rows=sync_by_day(db.session, days),
                           failures=failures(db.session), as_of=now)


@bp.post("/resend/<code>")
@roles_required("admin")
def resend_one(code: str) -> Response:
    if not sync_enabled(current_app.config):
        flash(_("Chưa bật đồng bộ với Cổng DVCQG: không có gì để gửi lại."), "warning")
        return redirect(url_for(".index"), 303)
    try:
        n = resend(db.session, code, utcnow())
    except NotFound as exc:
        flash(str(exc), "danger")
        return redirect(url_for(".index"), 303)
    db.session.commit()
    flash(_("Đã đưa %(n)d thay đổi của hồ sơ %(code)s vào hàng đợi gửi lại.", n=n, code=code), "success")
    return redirect(url_for(".index"), 303)
