"""``flask onestop dvcqg status | sync [--since DATE] | resend CODE`` and ``flask onestop fake-portal``
(the national portal and its local fake, docs/integration.md)."""
from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, time
from typing import NoReturn
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..integrations.dvcqg.client import PortalClient, PortalError
from ..integrations.dvcqg.fake import FakePortalServer, create_fake_app, demo_submissions
from ..integrations.dvcqg.outbox import enqueue_since, resend, status_counts, sync_enabled
from ..integrations.dvcqg.sync import sync_now
from ..models import Dossier
from ..models.dvcqg import DvcqgOutbox as O
from ..services.errors import NotFound

dvcqg = AppGroup("dvcqg", help="Cổng Dịch vụ công quốc gia: đồng bộ và nhận hồ sơ (the national portal).")


def register(group: click.Group) -> None:
    group.add_command(dvcqg)
    group.add_command(fake_portal_cmd)


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(code)


def _require_sync() -> None:
    if not sync_enabled(current_app.config):
        _fail("chưa cấu hình ONESTOP_DVCQG_URL và ONESTOP_DVCQG_UNIT_CODE (sync is off).")


def _parse_day(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    _fail(f"'{text}' không phải ngày (YYYY-MM-DD hoặc dd/mm/yyyy).")


@dvcqg.command("status")
def status_cmd() -> None:
    """Counts of synced, pending and failed changes; the latest failures with the portal's message."""


    counts = status_counts(db.session)
    state = f"on: {current_app.config['DVCQG_URL']}" if sync_enabled(current_app.config) else "off"
    click.echo(f"sync {state}")
    for name in ("synced", "pending", "failed"):
        click.echo(f"{name:8} {counts[name]}")
    rows = db.session.execute(
        select(Dossier.code, O.kind, O.version, O.last_error).join(Dossier, Dossier.id == O.dossier_id)
        .where(O.state == "dead").order_by(O.id.desc()).limit(20)).all()
    for code, kind, version, error in rows:
        click.echo(f"failed   {code} {kind}#{version}: {error}")

@dvcqg.command("sync")
@click.option("--since", "since_s",
              help="Also queue every change since this date (YYYY-MM-DD or dd/mm/yyyy)")
@click.option("--no-intake", is_flag=True, help="Only send; do not take online submissions in")
def sync_cmd(since_s: str | None, no_intake: bool) -> None:
    """Send the queue now (and take online submissions in)."""

    _require_sync()
    now = datetime.now(UTC)
    if since_s:
        day = _parse_day(since_s)
        tz = ZoneInfo(str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh")))
        queued = enqueue_since(db.session, datetime.combine(day, time(0), tzinfo=tz), now)
        db.session.commit()
        click.echo(f"queued {queued}")
    result = sync_now(db.session, current_app.config, now, checkpoint=db.session.commit,
                      intake=not no_intake)
    db.session.commit()
    click.echo(json.dumps(result, ensure_ascii=False))
    push = result.get("push") or {}
    if push.get("unavailable"):
        sys.exit(1)

@dvcqg.command("resend")
@click.argument("code")
def resend_cmd(code: str) -> None:
    """Queue a dossier's failed changes again (or its latest one)."""

    _require_sync()
    try:
        n = resend(db.session, code, datetime.now(UTC))
    except NotFound as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"requeued {n}")

@dvcqg.command("score")
@click.argument("period")
def score_cmd(period: str) -> None:
    """The 766 score the portal published for PERIOD (YYYY-MM): CKMB TDGQ TTTT MDHL MDSH TONG_SCORE."""

    if not re.fullmatch(r"\d{4}-\d{2}", period.strip()):
        _fail(f"'{period}' không phải kỳ YYYY-MM.")
    _require_sync()
    client = PortalClient.from_config(current_app.config)
    try:
        row = client.report_766(period.strip())
    except PortalError as exc:
        _fail(str(exc), 1)
    finally:
        client.close()
    if not row:
        click.echo(f"{period}: chưa công bố (not published)")
        return
    for key in ("CKMB", "TDGQ", "TTTT", "MDHL", "MDSH", "TONG_SCORE"):
        click.echo(f"{key:10} {row.get(key, '—')}")

@click.command("fake-portal")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=8089)
@click.option("--unit-code", default=None, help="Default: ONESTOP_DVCQG_UNIT_CODE or 000.00.00.H25")
@click.option("--username", default=None)
@click.option("--password", default=None)
@click.option("--demo", is_flag=True, help="Serve a few online submissions to the demo desks")
@with_appcontext
def fake_portal_cmd(host: str, port: int, unit_code: str | None, username: str | None,
                    password: str | None, demo: bool) -> None:
    """Run the local fake of the national portal (strict JSON Schemas; /_control/dump shows what it
    got)."""

    cfg = current_app.config
    app = create_fake_app(unit_code or str(cfg.get("DVCQG_UNIT_CODE") or "000.00.00.H25"),
                          username or str(cfg.get("DVCQG_USERNAME") or "dvcqg"),
                          password or str(cfg.get("DVCQG_PASSWORD") or "dvcqg"))
    if demo:
        state = app.extensions["dvcqg_state"]
        for item in demo_submissions(datetime.now(UTC)):
            state.submissions[item["MaHoSoQG"]] = item
    server = FakePortalServer(app, host, port)
    click.echo(f"fake DVCQG portal on {server.base_url} (dump: {server.root_url}/_control/dump)")
    sys.stdout.flush()
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
