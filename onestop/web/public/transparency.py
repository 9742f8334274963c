"""``/public``: the transparency page provinces publish (results of dossier handling per
agency, this month and this year as of now); its data at ``/public/data.json``."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from sqlalchemy import select

from ...extensions import db
from ...models import Agency
from ...services.public import feedback as citizen_svc
from ..auth import utcnow
from ..i18n import local_tz

bp = Blueprint("transparency", __name__)


def _periods(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    tz = local_tz()
    local = now.astimezone(tz)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year = month.replace(month=1)
    utc = ZoneInfo("UTC")
    return {"month": (month.astimezone(utc), now), "year": (year.astimezone(utc), now)}


def _node_and_children(identifier: str | None) -> tuple[Agency | None, list[Agency]]:
    s = db.session
    if identifier is None:
        roots = list(s.scalars(select(Agency).where(Agency.parent_id.is_(None), Agency.valid_to.is_(None))
                               .order_by(Agency.identifier)).all())
        if len(roots) != 1:
            return None, roots
        node: Agency | None = roots[0]
    else:
        node = s.scalar(select(Agency).where(Agency.identifier == identifier[:20]))
        if node is None:
            abort(404)
    assert node is not None
    children = list(s.scalars(select(Agency).where(Agency.parent_id == node.id, Agency.valid_to.is_(None))
                              .order_by(Agency.identifier)).all())
    return node, children


def _transparency(identifier: str | None) -> dict[str, Any]:
    node, children = _node_and_children(identifier)
    now = utcnow()
    listed = ([node] if node is not None else []) + children
    # Periods not yet over are measured as of now, and the page says so (docs/rules.md).
    out: dict[str, Any] = {"agency": None, "periods": {}, "as_of": now.astimezone(local_tz()).isoformat()}
    if node is not None:
        out["agency"] = {"identifier": node.identifier, "name": node.name}
    for key, (start, end) in _periods(now).items():
        figs = citizen_svc.transparency_figures(db.session, listed, start, end, now=now)
        out["periods"][key] = {"from": start.astimezone(local_tz()).date().isoformat(),
                               "to": end.astimezone(local_tz()).date().isoformat(),
                               "total": figs[0] if node is not None else None,
                               "rows": figs[1:] if node is not None else figs}
    return out


@bp.get("/public")
@bp.get("/public/<identifier>")
def transparency(identifier: str | None = None) -> str:
    data = _transparency(identifier)
    data_url = url_for("transparency.transparency_data", identifier=identifier) if identifier else \
        url_for("transparency.transparency_data")
    return render_template("lookup/transparency.html", data=data, data_url=data_url, identifier=identifier)


@bp.get("/public/data.json")
@bp.get("/public/<identifier>/data.json")
def transparency_data(identifier: str | None = None) -> Response:
    data = _transparency(identifier)
    for period in data["periods"].values():
        period["total"] = period["total"].as_dict() if period["total"] is not None else None
        period["rows"] = [r.as_dict() for r in period["rows"]]
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp
