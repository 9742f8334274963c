"""``flask --app onestop jobs run [--standby] | list | tick --now ISO``."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from flask.globals import app_ctx

from onestop.extensions import db

from . import BY_NAME, JOBS, due_catch_up, last_run, run_job, wall_clock
from .locks import lock_for_app
from .scheduler import build_scheduler, trigger_for

jobs_cli = AppGroup("jobs", help="The scheduler (one process; never inside web workers).")


def _echo(msg: str, err: bool = False) -> None:
    click.echo(msg, err=err)
    (sys.stderr if err else sys.stdout).flush()


def _parse_now(value: str, tz: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"'{value}' không phải thời điểm ISO 8601, ví dụ 2026-03-02T09:00+07:00.") \
            from None
    if dt.tzinfo is None:  # a local time of the agency
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt


@jobs_cli.command("run")
@click.option("--standby", is_flag=True, help="Wait for the lock and take over when the active one dies.")
@click.option("--retry-seconds", type=float, default=None,
              help="Standby: seconds between lock attempts "
                   "(config SCHEDULER_STANDBY_RETRY_SECONDS, default 5).")
def run_cmd(standby: bool, retry_seconds: float | None) -> None:
    """Run the scheduler (single instance)."""

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = app_ctx.app  # the application itself, not the context-local proxy
    lock = lock_for_app(app)
    interval = retry_seconds if retry_seconds is not None else float(
        app.config.get("SCHEDULER_STANDBY_RETRY_SECONDS", 5))
    if not lock.acquire():
        if not standby:
            _echo("Lỗi: một tiến trình lập lịch khác đang chạy (đang giữ khóa "
                  f"{'advisory PostgreSQL' if lock.kind == 'postgresql' else lock.lock_file}). "
                  "Dùng --standby để chờ và tiếp quản. (Another scheduler holds the lock.)", err=True)
            sys.exit(3)
        _echo(f"Standby: waiting for the scheduler lock (retry every {interval:g}s)")
        while not lock.acquire():
            time.sleep(interval)
    _echo(f"Scheduler active (pid {os.getpid()}, lock {lock.kind})")
    sched = build_scheduler(app, lock)

    def _stop(signum: int, _frame: Any) -> None:
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        now = wall_clock()
        # ONESTOP_SCHEDULER_CATCH_UP=false skips the start-up catch-up (tests of the lock itself).
        catch_up = due_catch_up(app, now) if app.config.get("SCHEDULER_CATCH_UP", True) else []
        for name in catch_up:
            _echo(f"Catch-up run: {name}")
            try:
                run_job(app, name, now)
            except Exception:  # noqa: BLE001 - recorded in job_runs; keep starting
                _echo(f"Catch-up run of {name} failed (see job_runs)", err=True)
        _echo("Scheduler started")
        sched.start()
    finally:
        lock.release()


@jobs_cli.command("list")
def list_cmd() -> None:
    """Jobs, their schedule and next run times."""


    tz = str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))
    now = wall_clock()
    zone = ZoneInfo(tz)
    for spec in JOBS:
        nxt = trigger_for(spec, tz).get_next_fire_time(None, now)
        try:
            last = last_run(db.session, spec.name)
        except Exception:  # noqa: BLE001 - database not migrated yet: still list the schedule
            db.session.rollback()
            last = None
        _echo(f"{spec.name:15} next {nxt.astimezone(zone):%Y-%m-%d %H:%M %z} "
              f"last {last.astimezone(zone).strftime('%Y-%m-%d %H:%M %z') if last else '—':24} {spec.title}"
              if nxt else f"{spec.name:15} (no next run) {spec.title}")


@jobs_cli.command("tick")
@click.option("--now", "now_s", required=True, help="ISO 8601 instant, e.g. 2026-03-02T09:00+07:00")
@click.option("--job", "only", multiple=True, help="Run only these jobs (default: every job).")
def tick_cmd(now_s: str, only: tuple[str, ...]) -> None:
    """Run every job once as of NOW (catch up by hand; tests use it)."""

    now = _parse_now(now_s, str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh")))
    names = list(only) or [j.name for j in JOBS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise click.BadParameter(f"Không có job: {', '.join(unknown)}")
    app = app_ctx.app  # the application itself, not the context-local proxy
    failed = False
    for name in names:
        try:
            result = run_job(app, name, now)
        except Exception as exc:  # noqa: BLE001
            failed = True
            _echo(f"{name}: LỖI {type(exc).__name__}: {exc}", err=True)
            continue
        _echo(f"{name}: {json.dumps(result, ensure_ascii=False, default=str)}")
    if failed:
        sys.exit(1)
