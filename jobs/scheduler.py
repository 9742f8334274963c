"""The APScheduler 3.x BlockingScheduler: cron triggers in the agency time zone (config
TIMEZONE), one worker thread (jobs never overlap), ``coalesce=True`` with a generous
``misfire_grace_time`` so runs missed while the process was suspended collapse into one, and a
start-up catch-up for runs missed while it was down (``jobs.due_catch_up``)."""
from __future__ import annotations

import logging
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from . import JOBS, JobSpec, run_job, wall_clock

log = logging.getLogger("jobs")

MISFIRE_GRACE_SECONDS = 6 * 3600


def trigger_for(spec: JobSpec, tz: str) -> CronTrigger:
    return CronTrigger(timezone=tz, **spec.cron)


def _safe_run(app: Flask, name: str) -> None:
    try:
        run_job(app, name, wall_clock())
    except Exception:  # noqa: BLE001 - logged and recorded in job_runs; the scheduler goes on
        log.error("job %s failed (see job_runs)", name)


def build_scheduler(app: Flask, lock: Any = None) -> BlockingScheduler:
    tz = str(app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))
    sched = BlockingScheduler(
        timezone=tz,
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1},
    )
    for spec in JOBS:
        sched.add_job(_safe_run, trigger_for(spec, tz), args=(app, spec.name), id=spec.name,
                      name=spec.title, replace_existing=True)
    if lock is not None:
        def _watch() -> None:
            if not lock.alive():
                log.error("scheduler lock lost: stopping so that only one scheduler runs")
                sched.shutdown(wait=False)

        sched.add_job(_watch, "interval", seconds=30, id="lock_watch", name="lock watch")
    return sched
