"""One scheduler at a time: the lock refuses a second one; a standby takes over when the active
process is killed (-9). Real processes (`flask --app onestop jobs run`) against a committed DB.

The tests wait on events, never on the clock: each child says what it did on its output
("Scheduler active" once it holds the lock, "Standby: waiting" once it has been refused, "Scheduler
started" once it runs jobs), and a child that exits fails the wait at once with its output. A
machine under load only makes the wait longer; SAFETY_NET_SECONDS is an upper bound against a hung
child, not an expected duration."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs import JOBS, due_catch_up
from jobs.locks import SchedulerLock, lock_for_app
from onestop.extensions import db

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
SAFETY_NET_SECONDS = 600.0


class Proc:
    """A `jobs run` subprocess whose output lines a thread hands over as they come; the end of
    its output (the child exited) is an event too."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.p = subprocess.Popen([FLASK, "--app", "onestop", "jobs", "run", *args], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)  # end of output: the child has exited

    def wait_for(self, text: str) -> None:
        """Block until the child prints a line containing `text`; fail as soon as it exits without."""
        deadline = time.monotonic() + SAFETY_NET_SECONDS
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within the {SAFETY_NET_SECONDS:g}s safety net; "
                                     f"output so far: {self.seen}") from None
            if line is None:
                raise AssertionError(f"exited with {self.p.wait()} before {text!r}; output: {self.seen}")
            self.seen.append(line)
            if text in line:
                return

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait(timeout=SAFETY_NET_SECONDS)


@pytest.fixture
def env(committed, tmp_path) -> Iterator[dict[str, str]]:
    e = dict(os.environ)
    e.update(ONESTOP_DATABASE_URL=committed.config["SQLALCHEMY_DATABASE_URI"],
             ONESTOP_SCHEDULER_LOCK_FILE=str(tmp_path / "scheduler.lock"), ONESTOP_SECRET_KEY="test-secret",
             ONESTOP_ENV="testing", PYTHONUNBUFFERED="1",
             # No start-up catch-up: it would commit default scoring rules that the `committed`
             # clean-up does not remove (the catch-up itself is tested in-process below).
             ONESTOP_SCHEDULER_CATCH_UP="false")
    e.pop("ONESTOP_TEST_DATABASE_URL", None)
    yield e


@pytest.mark.slow
def test_second_scheduler_is_refused_with_a_clear_message(env):
    active = Proc(env)
    try:
        active.wait_for("Scheduler active")
        # The second child's exit is the event; the timeout only guards against a hang.
        second = subprocess.run([FLASK, "--app", "onestop", "jobs", "run"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=SAFETY_NET_SECONDS)
        assert second.returncode == 3
        assert "một tiến trình lập lịch khác đang chạy" in second.stderr
        assert "Another scheduler holds the lock" in second.stderr
    finally:
        active.kill()


@pytest.mark.slow
def test_standby_takes_over_when_the_active_scheduler_is_killed(env):
    active = Proc(env)
    standby: Proc | None = None
    try:
        active.wait_for("Scheduler active")
        standby = Proc(env, "--standby", "--retry-seconds", "0.3")
        standby.wait_for("Standby: waiting")
        active.kill()  # kill -9: no clean-up code runs; the OS / PostgreSQL frees the lock
        standby.wait_for("Scheduler active")
        standby.wait_for("Scheduler started")
    finally:
        active.kill()
        if standby is not None:
            standby.kill()


def test_lock_is_exclusive_within_the_host(app, tmp_path):
    with app.app_context():
        engine = db.engine
    a = SchedulerLock(engine, str(tmp_path / "s.lock"))
    b = SchedulerLock(engine, str(tmp_path / "s.lock"))
    try:
        assert a.acquire() and a.alive()
        assert not b.acquire()
        a.release()
        assert b.acquire()
    finally:
        a.release()
        b.release()


def test_lock_for_app_uses_the_advisory_lock_on_postgresql(app):
    lock = lock_for_app(app)
    assert lock.kind == ("postgresql" if app.config["ENGINE_KIND"] == "postgresql" else "file")


def test_catch_up_coalesces_missed_runs_into_one(app, session):
    from datetime import UTC, datetime

    from onestop.models import JobRun

    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 Monday
    for spec in JOBS:
        session.add(JobRun(job=spec.name, as_of=t0, started_at=t0, finished_at=t0, result={}, error=""))
    session.flush()
    # Two minutes later only the every-minute outbox jobs (national portal, messages) are due.
    assert due_catch_up(app, datetime(2026, 3, 2, 1, 2, tzinfo=UTC)) == ["dvcqg", "notify"]
    # Down for two days: each missed job runs once (the November check is not due in March).
    names = due_catch_up(app, datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    assert names == ["overdue", "feedback", "supplements", "digest", "rollup", "metrics", "estimates",
                     "idempotency", "files",
                     "dvcqg",
                     "notify"]


def test_create_app_starts_no_scheduler(app):
    from onestop import create_app

    before = {t.name for t in threading.enumerate()}
    create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    after = {t.name for t in threading.enumerate()}
    assert not any("APScheduler" in n or "ThreadPoolExecutor" in n for n in after - before)
