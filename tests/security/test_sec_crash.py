"""Crashes (docs/security.md): ``kill -9`` of a web worker in the middle of receptions
and of a process delivering the outbox.

The web test runs the real app under gunicorn (2 workers, a subprocess) against a
private database of its own (migrated by ``flask db upgrade`` in a subprocess, seeded
in-process), posts receptions over HTTP from several client threads through the staff
API, SIGKILLs one worker while requests are in flight, and then checks the database
itself: every dossier has its code and its first event, no event without its dossier,
codes unique, every reception the server acknowledged (201) is there, and the server
answers again once gunicorn has respawned the worker.

Nothing here sleeps: the tests wait on gunicorn's log lines and on HTTP answers, each
with a deadline. (The scheduler's own kill -9 / standby takeover is tests/jobs.)
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ENGINES, build_app, make_database
from tests.times import MONDAY

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NOW = MONDAY

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- a private database

@dataclass
class PrivateDb:
    kind: str
    url: str
    env: dict[str, str]
    token: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(params=ENGINES)
def private_db(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateDb]:
    """A fresh database migrated by the real CLI and seeded with the base users."""
    url, cleanup = make_database(request.param, tmp_path_factory)
    env = dict(os.environ)
    env.pop("ONESTOP_TEST_DATABASE_URL", None)
    env.update(ONESTOP_DATABASE_URL=url, ONESTOP_ENV="testing", ONESTOP_SECRET_KEY="crash-test-secret",
               PYTHONUNBUFFERED="1")
    up = subprocess.run([str(BIN / "flask"), "--app", "onestop", "db", "upgrade"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stderr[-2000:]
    app = build_app(url)
    from onestop.extensions import db
    from onestop.services.admin.accounts import issue_token
    from tests.factories import seed_base, user

    with app.app_context():
        seed_base(db.session, now=NOW)
        token = issue_token(db.session, user(db.session, "t_clerk"), now=NOW, name="crash-test")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        yield PrivateDb(request.param, url, env, token)
    finally:
        cleanup()  # type: ignore[operator]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- gunicorn

class Gunicorn:
    """gunicorn with 2 workers; its log lines are read by a thread into a queue."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.p = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
             "--timeout", "60", "onestop:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(line)

    def wait_for(self, text_: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"gunicorn: no {text_!r} within {timeout}s: {self.seen[-20:]}") from None
            self.seen.append(line)
            if text_ in line:
                return line

    def worker_pids(self) -> list[int]:
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.p.pid:
                out.append(int(entry))
        return out

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=30)


def _letters(i: int) -> str:
    """A distinct name per request (names are letters and spaces only)."""
    out = ""
    while True:
        i, r = divmod(i, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[r] + out
        if i == 0:
            return out.capitalize()


def _post_dossier(port: int, token: str, i: int) -> tuple[int, str]:
    body = json.dumps({"procedure_code": "1.004884", "channel": "direct", "outcome": "receive",
                       "applicant": {"name": f"Nguyễn Văn {_letters(i)}", "id_number": "001090012345",
                                     "phone": "0912345678", "address": "Xóm Mới, xã Tân Lạc"}})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/dossiers", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        code = json.loads(data).get("code", "") if resp.status == 201 else ""
        return resp.status, code
    finally:
        conn.close()


def _refused(statuses: list[int | str]) -> bool:
    return any(isinstance(s, int) and s != 201 for s in statuses)


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _integrity(url: str) -> dict[str, Any]:
    eng = create_engine(url)
    try:
        with eng.connect() as c:
            q = lambda sql: c.execute(text(sql)).scalar()  # noqa: E731
            return {
                "dossiers": q("SELECT count(*) FROM dossiers"),
                "without_first_event": q(
                    "SELECT count(*) FROM dossiers d WHERE NOT EXISTS "
                    "(SELECT 1 FROM dossier_events e WHERE e.dossier_id = d.id AND e.seq = 1)"),
                "orphan_events": q(
                    "SELECT count(*) FROM dossier_events e WHERE NOT EXISTS "
                    "(SELECT 1 FROM dossiers d WHERE d.id = e.dossier_id)"),
                "without_code": q("SELECT count(*) FROM dossiers WHERE code IS NULL OR code = ''"),
                "duplicate_codes": q("SELECT count(*) FROM (SELECT code FROM dossiers GROUP BY code "
                                     "HAVING count(*) > 1) x"),
                "codes": {r[0] for r in c.execute(text("SELECT code FROM dossiers"))},
            }
    finally:
        eng.dispose()


def test_kill_9_of_a_web_worker_during_receptions_leaves_no_partial_dossier(private_db: PrivateDb) -> None:
    port = _free_port()
    server = Gunicorn(private_db.env, port)
    acknowledged: list[str] = []
    statuses: list[int | str] = []
    lock = threading.Condition()
    stop = threading.Event()
    counter = iter(range(1_000_000))

    def client() -> None:
        while not stop.is_set():
            with lock:
                i = next(counter)
            try:
                status, code = _post_dossier(port, private_db.token, i)
            except (OSError, http.client.HTTPException) as exc:  # the killed worker's connections
                with lock:
                    statuses.append(type(exc).__name__)
                continue
            with lock:
                statuses.append(status)
                if status == 201:
                    acknowledged.append(code)
                lock.notify_all()

    try:
        server.wait_for("Booting worker")
        server.wait_for("Booting worker")
        assert _get(port, "/healthz") == 200
        before = set(server.worker_pids())
        assert len(before) == 2, server.seen
        threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        # Let receptions flow, then kill a worker while requests are in flight.
        with lock:
            assert lock.wait_for(lambda: len(acknowledged) >= 15 or _refused(statuses), timeout=120) \
                and not _refused(statuses), \
                f"no receptions acknowledged: {statuses[-10:]} {server.seen[-10:]}"
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        # The master notices and boots a replacement worker.
        server.wait_for("Booting worker")
        with lock:
            after_kill = len(acknowledged)
            assert lock.wait_for(lambda: len(acknowledged) >= after_kill + 15, timeout=120), \
                f"server did not recover: {statuses[-10:]} {server.seen[-10:]}"
        stop.set()
        for t in threads:
            t.join(timeout=90)
        now_workers = set(server.worker_pids())
        assert len(now_workers) == 2 and victim not in now_workers
        assert _get(port, "/healthz") == 200
    finally:
        stop.set()
        server.stop()

    assert not any(isinstance(s, int) and s >= 500 for s in statuses), statuses
    facts = _integrity(private_db.url)
    assert facts["dossiers"] >= len(acknowledged) >= 30
    assert facts["without_first_event"] == 0
    assert facts["orphan_events"] == 0
    assert facts["without_code"] == 0
    assert facts["duplicate_codes"] == 0
    # Every reception the server acknowledged is in the database under the code it gave.
    assert set(acknowledged) <= facts["codes"]
    assert len(set(acknowledged)) == len(acknowledged)


# ---------------------------------------------------------------- outbox delivery

DELIVER_SCRIPT = r"""
import json, os, sys, threading
from datetime import datetime, UTC
from onestop import create_app
from jobs import run_job

log_path, block_after = sys.argv[1], int(sys.argv[2])

class FileSender:
    # Appends the message id to the log (fsync'd) once the message has left; before the
    # (block_after+1)-th message it announces that it is about to send and blocks, so the
    # parent can SIGKILL the process between two messages of one batch.
    def __init__(self):
        self.n = 0
    def send(self, message):
        if block_after >= 0 and self.n == block_after:
            print("BLOCKING", flush=True)
            threading.Event().wait()
        with open(log_path, "a") as f:
            f.write(f"{message.id}\n")
            f.flush()
            os.fsync(f.fileno())
        self.n += 1

sender = FileSender()
app = create_app("testing", {"NOTIFICATION_SENDERS": {"email": sender, "sms": sender, "zalo": sender}})
print(json.dumps(run_job(app, "notify", datetime.fromisoformat(sys.argv[3]))), flush=True)
"""


def _queue_messages(url: str, n: int) -> None:
    app = build_app(url)
    from onestop.extensions import db
    from onestop.services.notify.notifications import queue_message

    with app.app_context():
        for i in range(n):
            queue_message(db.session, channel="email", recipient=f"cd{i}@example.vn", subject=f"Hồ sơ {i}",
                          body="Kính gửi ông/bà", dedupe_key=f"crash:{i}", now=NOW)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _deliver(env: dict[str, str], script: Path, log: Path, block_after: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(script), str(log), str(block_after), NOW.isoformat()],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_kill_9_during_outbox_delivery_does_not_send_twice(private_db: PrivateDb, tmp_path: Path) -> None:
    _queue_messages(private_db.url, 6)
    script = tmp_path / "deliver.py"
    script.write_text(DELIVER_SCRIPT)
    log = tmp_path / "sent.log"
    env = dict(private_db.env, PYTHONPATH=str(ROOT))
    first = _deliver(env, script, log, block_after=3)
    try:
        assert first.stdout is not None
        for line in first.stdout:  # wait until 3 messages have left and the 4th is about to
            if "BLOCKING" in line:
                break
        else:
            raise AssertionError(f"delivery ended early, rc={first.wait()}")
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    assert len(log.read_text().split()) == 3
    second = _deliver(env, script, log, block_after=-1)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    sent = log.read_text().split()
    # Every message delivered (at least once) …
    assert len(set(sent)) == 6, sent
    # … and none of them twice.
    assert len(sent) == 6, sent
