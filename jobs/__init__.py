"""The scheduler side of onestop (docs/architecture.md §1): one process, started by ``flask jobs run``,
never inside web workers. Each job is a module with ``run(session, now, config) -> dict``; the
registry below gives its schedule. Jobs are idempotent and set-based (see
onestop/services/dossiers/scanning.py), so running one twice, or as a catch-up after downtime, is safe.
"""
from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, has_app_context
from flask.globals import app_ctx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onestop.extensions import db
from onestop.models import JobRun

log = logging.getLogger("jobs")

JobFunc = Callable[[Session, datetime, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    title: str
    cron: dict[str, Any]  # APScheduler CronTrigger fields, in the agency time zone
    module: str
    # Run at start-up when the job never ran (frequent scans, metrics); the 07:00 digest and the
    # November check wait for their hour instead.
    run_when_never_ran: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def func(self) -> JobFunc:
        # Every job module defines run(app, now) (tests/jobs); a module attribute is Any to mypy.
        run: JobFunc = importlib.import_module(f"jobs.{self.module}").run
        return run


# Order matters for `jobs tick`: flag first, then digest/metrics, deliver the outbox last.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("overdue", "Quét hồ sơ quá hạn / sắp đến hạn, lượt liên thông quá hạn", {"minute": "*/15"},
            "overdue"),
    JobSpec("feedback", "Phản ánh, kiến nghị quá hạn trả lời", {"minute": "*/15"}, "feedback"),
    JobSpec("supplements", "Hết thời hạn bổ sung: nhắc công dân, báo Bộ phận Một cửa",
            {"minute": "5,35"}, "supplements"),
    JobSpec("digest", "Tổng hợp 07:00 ngày làm việc cho lãnh đạo", {"hour": 7, "minute": 0}, "digest",
            run_when_never_ran=False),
    JobSpec("rollup", "Cộng dồn mẫu 06 theo ngày đã khép (mốc đã cộng; cộng lại ngày có sự kiện đến muộn)",
            {"minute": 25}, "rollup"),
    JobSpec("metrics", "Số liệu hằng đêm (mẫu 06, tỷ lệ đúng hạn, hài lòng)", {"hour": 0, "minute": 30},
            "metrics"),
    JobSpec("estimates", "Ước tính thời gian giải quyết thường gặp (trung vị, 90%) theo thủ tục và cơ quan",
            {"hour": 0, "minute": 45}, "estimates"),
    JobSpec("calendar_check", "Tháng 11: kiểm tra lịch năm sau có Tết",
            {"month": 11, "hour": 8, "minute": 0}, "calendar_check", run_when_never_ran=False),
    JobSpec("idempotency", "Xóa khóa Idempotency-Key của API quá 24 giờ", {"minute": 50}, "idempotency"),
    JobSpec("files", "Xóa tệp hồ sơ đã lưu mà không có bản ghi (tải lên dở dang) sau thời gian chờ",
            {"hour": 2, "minute": 20}, "files"),
    JobSpec("dvcqg", "Cổng DVCQG: nhận hồ sơ trực tuyến, đồng bộ hồ sơ/tiến độ/đánh giá (hàng đợi)",
            {"minute": "*"}, "dvcqg"),
    JobSpec("notify", "Gửi thư/tin nhắn từ hàng đợi (thử lại có giãn cách)", {"minute": "*"}, "notify"),
)
BY_NAME = {j.name: j for j in JOBS}


def wall_clock() -> datetime:
    """The scheduler's one clock read (services take ``now`` as an argument)."""
    return datetime.now(UTC)


def last_run(session: Session, name: str) -> datetime | None:
    """``as_of`` of the job's last successful run."""

    return session.scalar(select(func.max(JobRun.as_of)).where(JobRun.job == name, JobRun.error == "",
                                                                  JobRun.finished_at.is_not(None)))


def run_job(app: Flask, name: str, now: datetime) -> dict[str, Any]:
    """Run one job as of ``now`` in its own unit of work, commit once and record a JobRun.
    A failure is rolled back, recorded (error text) and re-raised."""

    spec = BY_NAME[name]
    with _context(app):
        session = db.session
        started = wall_clock()
        try:
            result = spec.func()(session, now, app.config)
            session.add(JobRun(job=name, as_of=now, started_at=started, finished_at=wall_clock(),
                               result=result, error=""))
            session.commit()
        except Exception:
            session.rollback()
            err = traceback.format_exc(limit=5)
            log.exception("job %s failed", name)
            session.add(JobRun(job=name, as_of=now, started_at=started, finished_at=None, result={},
                               error=err[-4000:]))
            session.commit()
            raise
        log.info("job %s as of %s: %s", name, now.isoformat(), result)
        return result


def _context(app: Flask) -> Any:
    """The app context to run in: the current one if it is this app's (the CLI, tests), else a
    new one (scheduler threads)."""


    if has_app_context() and app_ctx.app is app:
        return nullcontext()
    return app.app_context()


def run_all(app: Flask, now: datetime) -> dict[str, dict[str, Any]]:
    """Every job once as of ``now`` (``jobs tick``)."""
    return {spec.name: run_job(app, spec.name, now) for spec in JOBS}


def due_catch_up(app: Flask, now: datetime) -> list[str]:
    """Jobs whose schedule fired at least once since their last successful run (the process
    was down): each runs ONCE now — missed runs coalesce into one catch-up run. A job that never
    ran runs now if ``run_when_never_ran``; metrics older than a day always run."""

    from .scheduler import trigger_for  # here, not at the top: jobs.scheduler imports JOBS from this module

    tz = str(app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))
    names: list[str] = []
    with _context(app):
        for spec in JOBS:
            last = last_run(db.session, spec.name)
            if last is None:
                if spec.run_when_never_ran:
                    names.append(spec.name)
                continue
            nxt = trigger_for(spec, tz).get_next_fire_time(None, last + timedelta(seconds=1))
            missed = nxt is not None and nxt <= now
            if missed or (spec.name == "metrics" and now - last > timedelta(days=1)):
                names.append(spec.name)
    return names
