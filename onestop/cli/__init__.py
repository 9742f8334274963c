"""`flask --app onestop onestop ...` operator commands (docs/architecture.md §3)."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from jobs.cli import jobs_cli

from ..demo.seed import DEMO_PASSWORD, demo_logins, seed_demo
from ..domain.codes import lookup_key
from ..domain.deadlines import compute_due, parse_limit
from ..domain.errors import DomainError
from ..extensions import db
from ..models import Procedure
from ..services.admin import imports
from ..services.admin.accounts import create_user, issue_token
from ..services.admin.agencies import by_identifier
from ..services.admin.calendars import calendar_for, national_calendar
from ..web.sentences import trace_lines
from . import dvcqg, messaging, ops, reports

onestop_cli = AppGroup("onestop", help="onestop operator commands.")


def init_app(app: Flask) -> None:
    app.cli.add_command(onestop_cli)
    # Each area adds its own commands to the `onestop` group (onestop/cli/<area>.py).
    for area in (reports, ops, dvcqg, messaging):
        area.register(onestop_cli)
    app.cli.add_command(jobs_cli)


def _fail(message: str) -> NoReturn:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(2)


@contextmanager
def _unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll it all back and exit with the refusal (status 2)."""
    try:
        yield
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(str(exc))


def _now() -> datetime:
    return datetime.now(UTC)


@onestop_cli.command("due-date")
@click.option("--procedure", "procedure_code", help="National procedure code, e.g. 1.001193")
@click.option("--limit", type=str, help="Time limit N (with --unit)")
@click.option("--unit", type=click.Choice(["working_days", "working_hours", "calendar_days"]))
@click.option("--received", required=True, help='"YYYY-MM-DD HH:MM", local time of the agency')
@click.option("--agency", "agency_code", help="Agency identifier (its office hours and calendar)")
@click.option("--channel", type=click.Choice(["direct", "online", "postal"]), default="direct")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
def due_date(procedure_code: str | None, limit: str | None, unit: str | None, received: str,
             agency_code: str | None, channel: str, lang: str) -> None:
    """Print the statutory due time (ISO 8601) and how it was computed."""

    try:
        if bool(procedure_code) == bool(limit is not None or unit):
            _fail("Dùng --procedure CODE hoặc --limit N --unit UNIT (một trong hai).")
        if procedure_code is None and (limit is None or unit is None):
            _fail("--limit và --unit phải đi cùng nhau.")
        try:
            naive = datetime.strptime(received.strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            _fail(f"--received '{received}' phải có dạng \"YYYY-MM-DD HH:MM\".")
        agency = by_identifier(db.session, agency_code) if agency_code else None
        cal = calendar_for(db.session, agency) if agency else national_calendar(
            db.session, tz=current_app.config["TIMEZONE"])
        received_at = naive.replace(tzinfo=ZoneInfo(str(cal.tz)))
        if procedure_code:
            proc = db.session.query(Procedure).filter_by(code=procedure_code.strip()).one_or_none()
            if proc is None:
                _fail(f"Không có thủ tục với mã '{procedure_code}'.")
                return
            rule = proc.deadline_rule(channel)
        elif limit is not None and unit is not None:
            rule = parse_limit(limit, unit)
        else:  # refused above
            _fail("--limit và --unit phải đi cùng nhau.")
        due = compute_due(received_at, rule, cal, channel=channel, explain=True)
    except DomainError as exc:
        _fail(str(exc.args[0] if exc.args else exc))
        return

    click.echo(due.due_at.isoformat())
    with force_locale(lang):
        for line in trace_lines(due.steps):
            click.echo(line)


@onestop_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["clerk", "officer", "head", "admin"]), required=True)
@click.option("--agency", "agency_code", required=True, help="Agency identifier")
@click.option("--full-name", default="", help="Full name (defaults to the username)")
@click.option("--email", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
@click.option("--api-token", is_flag=True, help="Also issue an API token (printed alone on the last line)")
def create_user_cmd(username: str, role: str, agency_code: str, full_name: str, email: str,
                    password_stdin: bool, api_token: bool) -> None:
    """Create a staff account."""

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    with _unit_of_work():
        user = create_user(db.session, username=username, full_name=full_name or username, role=role,
                           agency_code=agency_code, password=password, email=email, now=_now())
        token = issue_token(db.session, user, now=_now(), name="cli") if api_token else None
    click.echo(f"Đã tạo người dùng {user.username} ({role}) tại {user.agency.name}.")
    if token:
        click.echo(token)


def _import(kind: str, path: str) -> None:
    with _unit_of_work():
        rows = imports.read_rows(path)
        fn = imports.import_agencies if kind == "agencies" else imports.import_procedures
        created, updated = fn(db.session, rows)
    click.echo(f"Đã nhập: {created} mới, {updated} cập nhật.")


@onestop_cli.command("import-agencies")
@click.argument("path", type=click.Path())
def import_agencies_cmd(path: str) -> None:
    """Import or update the agency tree from CSV/XLSX (docs/data.md)."""
    _import("agencies", path)


@onestop_cli.command("import-procedures")
@click.argument("path", type=click.Path())
def import_procedures_cmd(path: str) -> None:
    """Import or update the procedure catalogue from CSV/XLSX (docs/data.md)."""
    _import("procedures", path)


@onestop_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if dossiers already exist")
@click.option("--months", default=3, show_default=True, help="Months of dossier history")
@click.option("--per-day", default=16, show_default=True,
              help="Average dossiers a working day (province-wide)")
def seed_demo_cmd(if_empty: bool, months: int, per_day: int) -> None:
    """Seed a realistic demo province (idempotent) and print the demo logins."""

    if not current_app.config.get("DEMO"):
        # The demo accounts share a published password: never in production.
        _fail("seed-demo chỉ chạy ở chế độ demo (ONESTOP_ENV=development hoặc ONESTOP_DEMO=true).")

    started = time.perf_counter()
    committed, month_seen = 0, ""

    def checkpoint(stage: str, day: object, n: int) -> None:
        # Commit in batches (short transactions on PostgreSQL too) and say how far it is.
        if stage == "reference":
            db.session.commit()
            click.echo(f"seed-demo: danh mục, tài khoản ({time.perf_counter() - started:.1f} s)")
            return
        nonlocal committed, month_seen
        month = str(day)[:7]
        if n - committed >= 300 or month != month_seen:
            db.session.commit()
            committed, month_seen = n, month
            # A line at every commit: never more than ~300 dossiers (a few seconds) without output.
            click.echo(f"seed-demo: lịch sử đến {day} — {n:,} hồ sơ ({time.perf_counter() - started:.1f} s)")

    report = seed_demo(db.session, now=_now(), lookup_key=lookup_key(current_app.config), months=months,
                       per_day=per_day, if_empty=if_empty, checkpoint=checkpoint)
    db.session.commit()
    click.echo(f"seed-demo: xong sau {time.perf_counter() - started:.1f} s")
    click.echo(report)
    click.echo(f"Mật khẩu demo: {DEMO_PASSWORD}")
    for line in demo_logins(db.session):
        click.echo(line)


@onestop_cli.command("demo-logins")
def demo_logins_cmd() -> None:
    """Print the demo accounts."""

    lines = demo_logins(db.session)
    if lines:
        click.echo(f"Tài khoản demo (mật khẩu {DEMO_PASSWORD}):")
        for line in lines:
            click.echo(line)
