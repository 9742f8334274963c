"""kill -9 of the sender mid-batch loses nothing: the claim is committed before any HTTP call, each
outcome after it; what was claimed but not finished is sent again after the lease (real process,
real HTTP, real commits)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from onestop.extensions import db
from onestop.integrations.dvcqg.client import PortalClient
from onestop.integrations.dvcqg.fake import FakePortalServer, create_fake_app
from onestop.integrations.dvcqg.outbox import send_pending, status_counts
from onestop.models.dvcqg import DvcqgOutbox
from tests.factories import receive
from tests.times import MONDAY

ROOT = Path(__file__).resolve().parents[2]
UNIT = "000.00.00.H25"


@pytest.mark.parametrize("command", [["onestop", "dvcqg", "sync", "--no-intake"], ["jobs", "run"]],
                         ids=["cli-sync", "scheduler"])
def test_kill_9_mid_batch_loses_nothing(committed, monkeypatch, tmp_path, command):
    """The scheduler (``jobs run``: its start-up catch-up runs the dvcqg job at once) or the CLI,
    killed with SIGKILL while a batch is on its way."""
    app = committed
    with FakePortalServer(create_fake_app(UNIT, "u", "p")) as portal:
        for key, value in {"DVCQG_URL": portal.base_url, "DVCQG_USERNAME": "u", "DVCQG_PASSWORD": "p",
                           "DVCQG_UNIT_CODE": UNIT}.items():
            monkeypatch.setitem(app.config, key, value)
        with app.app_context():
            t = MONDAY
            codes = [receive(db.session, now=t + timedelta(minutes=i),
                             name=f"Công Dân {chr(65 + i)}").dossier.code
                     for i in range(10)]
            db.session.commit()
        requests.post(f"{portal.root_url}/_control/fail", json={"mode": "slow", "delay": 0.25, "count": -1},
                      timeout=5)
        env = {**os.environ, "ONESTOP_ENV": "testing",
               "ONESTOP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "ONESTOP_DVCQG_URL": portal.base_url, "ONESTOP_DVCQG_USERNAME": "u",
               "ONESTOP_DVCQG_PASSWORD": "p", "ONESTOP_DVCQG_UNIT_CODE": UNIT,
               "ONESTOP_DVCQG_BATCH_DOSSIERS": "2", "ONESTOP_SECRET_KEY": "test-secret",
               "ONESTOP_SCHEDULER_LOCK_FILE": str(tmp_path / "sched.lock")}
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "onestop", *command], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until it is mid-way: some dossiers sent, not all
            seen = len(requests.get(f"{portal.root_url}/_control/dump", timeout=5).json()["dossiers"])
            if seen >= 3:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        seen_at_kill = len(requests.get(f"{portal.root_url}/_control/dump", timeout=5).json()["dossiers"])
        assert 3 <= seen_at_kill < 10
        with app.app_context():
            counts = status_counts(db.session)
            assert counts["synced"] + counts["pending"] == 10 and counts["failed"] == 0
            assert 0 < counts["pending"]
            db.session.rollback()
            requests.post(f"{portal.root_url}/_control/fail", json={"mode": "none"}, timeout=5)
            # The killed run's claim holds for the lease; after it every pending change goes.
            later = datetime.now(UTC) + timedelta(seconds=int(app.config["DVCQG_LEASE_SECONDS"]) + 1)
            client = PortalClient(portal.base_url, "u", "p", UNIT)
            send_pending(db.session, client, later, checkpoint=db.session.commit)
            assert status_counts(db.session) == {"synced": 10, "pending": 0, "failed": 0}
            assert db.session.scalar(select(func.count()).select_from(DvcqgOutbox)) == 10
        seen = requests.get(f"{portal.root_url}/_control/dump", timeout=5).json()
        assert set(seen["dossiers"]) == set(codes)
        assert all(len(seen["progress"][c]) == 1 for c in codes)  # re-sent rows stored once


def test_no_write_lock_is_held_while_waiting_for_the_portal(committed, monkeypatch):
    """SQLite: a job's transactions take the write lock at BEGIN (db_events.py). The sender ends
    its transaction before each HTTP call, so a clerk's reception is not blocked by a slow portal."""
    import sqlite3
    import threading

    app = committed
    if app.config["ENGINE_KIND"] != "sqlite":
        return  # PostgreSQL has row locks only; nothing is held on the queue's rows either
    with FakePortalServer(create_fake_app(UNIT, "u", "p")) as portal:
        for key, value in {"DVCQG_URL": portal.base_url, "DVCQG_UNIT_CODE": UNIT}.items():
            monkeypatch.setitem(app.config, key, value)
        with app.app_context():
            receive(db.session, now=MONDAY)
            db.session.commit()
        requests.post(f"{portal.root_url}/_control/fail", json={"mode": "slow", "delay": 1.5, "count": -1},
                      timeout=5)
        done: list[object] = []

        def sender() -> None:
            with app.app_context():
                res = send_pending(db.session, PortalClient(portal.base_url, "u", "p", UNIT),
                                   datetime.now(UTC),
                                   checkpoint=db.session.commit)
                done.append(res)
                db.session.remove()

        thread = threading.Thread(target=sender)
        thread.start()
        deadline = time.monotonic() + 10
        while not portal.state.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the sender is now waiting for the slow portal
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        other = sqlite3.connect(path, timeout=0.3, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # a writer (a clerk) gets the lock at once
            other.execute("ROLLBACK")
        finally:
            other.close()
        thread.join(timeout=30)
        assert done and done[0].sent == 1  # type: ignore[attr-defined]
