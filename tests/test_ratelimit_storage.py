"""Rate-limit storage: in production several workers must share one store (Redis), tested for
real across processes; one process may count in its own memory (limits' ``memory://``)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.times import MONDAY

# ---------------------------------------------------------------- production: one count for all workers

def _production_app(tmp_path, **over):  # type: ignore[no-untyped-def]
    from onestop import create_app

    cfg = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}", "SECRET_KEY": "k" * 40,
           "PUBLIC_BASE_URL": "https://dichvucong.example.vn"}
    cfg.update(over)
    return create_app("production", cfg)


def test_production_refuses_an_in_process_store_with_several_workers(tmp_path):
    for uri in ("memory://", "async+memory://"):
        with pytest.raises(RuntimeError, match=r"ONESTOP_RATELIMIT_STORAGE_URI=redis://"):
            _production_app(tmp_path, RATELIMIT_STORAGE_URI=uri, WORKERS=4)
    # One worker counts everything in one process: allowed; a shared store: allowed with any count.
    assert _production_app(tmp_path, RATELIMIT_STORAGE_URI="memory://", WORKERS=1)
    assert _production_app(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", WORKERS=4)
    # Outside production (development, tests, benchmarks) nothing is refused.
    from onestop import create_app

    assert create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "WORKERS": 4})


def test_the_worker_count_is_the_one_gunicorn_uses():
    from config import configured_workers

    assert configured_workers({}) == 1  # gunicorn's own default
    assert configured_workers({"WEB_CONCURRENCY": "3"}) == 3
    assert configured_workers({"WEB_CONCURRENCY": "3", "ONESTOP_WORKERS": "2"}) == 2


def test_production_reads_the_worker_count_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("ONESTOP_WORKERS", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with pytest.raises(RuntimeError, match="4 workers"):
        _production_app(tmp_path, RATELIMIT_STORAGE_URI="memory://")
    monkeypatch.setenv("ONESTOP_WORKERS", "1")
    assert _production_app(tmp_path, RATELIMIT_STORAGE_URI="memory://")


ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _gunicorn(tmp_path, *args: str, probe=None, **env: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """gunicorn in production mode with gunicorn.conf.py (the repository's), on a free port; a
    refusal exits at once; a start is stopped after its first answer, or after ``probe(port)``
    (its result in ``.stderr``)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full = {k: v for k, v in os.environ.items() if not k.startswith("ONESTOP_") and k != "WEB_CONCURRENCY"}
    full.update({"ONESTOP_ENV": "production", "ONESTOP_SECRET_KEY": "k" * 40,
                 "ONESTOP_BIND": f"127.0.0.1:{port}",
                 "ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
                 "ONESTOP_PUBLIC_BASE_URL": "https://dichvucong.example.vn", **env})
    # No control socket: its default path is one per user, shared with any other gunicorn running.
    proc = subprocess.Popen([str(GUNICORN), "--no-control-socket", *args, "onestop:create_app()"], cwd=ROOT,
                            env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lookup", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        probed = probe(port) if probe is not None and proc.poll() is None else None
    finally:
        if proc.poll() is None:
            proc.terminate()
        out, _ = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, probed)


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn not installed")
def test_gunicorn_refuses_several_workers_over_an_in_process_store(tmp_path):
    # The default (ONESTOP_WORKERS unset): one worker, starts.
    ok = _gunicorn(tmp_path)
    assert "Refusing" not in ok.stdout and "Booting worker" in ok.stdout, ok.stdout[-2000:]
    # Several workers by setting, or by -w on the command line over a setting of one: refused
    # before any worker is forked, with the variable to set.
    for args, env in (((), {"ONESTOP_WORKERS": "4"}), (("-w", "3"), {"ONESTOP_WORKERS": "1"})):
        refused = _gunicorn(tmp_path, *args, **env)
        assert refused.returncode != 0, refused.stdout[-2000:]
        assert "ONESTOP_RATELIMIT_STORAGE_URI=redis://" in refused.stdout
        assert "Booting worker" not in refused.stdout


# ---------------------------------------------------------------- the shared store, for real (Redis)

REDIS_URL = os.environ.get("ONESTOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix():  # type: ignore[no-untyped-def]
    """A live Redis (required in CI: ONESTOP_REQUIRE_REDIS=1) and a key prefix of this test's own,
    so parallel test workers never share counters; its keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("ONESTOP_REQUIRE_REDIS") == "1":
            pytest.fail(f"ONESTOP_REQUIRE_REDIS=1 but Redis at {REDIS_URL} does not answer: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({exc})")
    prefix = f"onestop-test-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn not installed")
def test_four_gunicorn_workers_over_redis_allow_the_limit_once(committed, redis_prefix, tmp_path):
    """Against the real server: 4 workers, the default look-up limit
    (30 a minute), 40 guesses from one address. Over Redis the four count as one: 30 answers,
    then 429 (with the in-process store the four workers allowed 120)."""
    client, prefix = redis_prefix
    url = committed.config["SQLALCHEMY_DATABASE_URI"]

    def forty(port: int) -> list[int]:
        statuses = []
        for _ in range(40):
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/api/v1/lookup/000.01.31.H25-260302-0001?secret=WRONG123",
                        timeout=30) as r:
                    statuses.append(int(r.status))
            except urllib.error.HTTPError as exc:
                statuses.append(int(exc.code))
        return statuses

    try:
        run = _gunicorn(tmp_path, probe=forty, ONESTOP_WORKERS="4", ONESTOP_DATABASE_URL=url,
                        ONESTOP_RATELIMIT_STORAGE_URI=REDIS_URL, ONESTOP_RATELIMIT_KEY_PREFIX=prefix)
        assert run.stdout.count("Booting worker") == 4, run.stdout[-2000:]
        statuses = run.stderr
        assert statuses is not None and statuses.count(404) == 30 and statuses.count(429) == 10, statuses
    finally:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)


_NODE = r"""
import json, sys
from werkzeug.serving import make_server
from onestop import create_app
app = create_app("testing", json.loads(sys.argv[1]))
server = make_server("127.0.0.1", 0, app)
print(server.server_port, flush=True)
server.serve_forever()
"""


class _Node:
    """One web process of its own (its own app, its own limiter storage object)."""

    def __init__(self, config: dict[str, object]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _NODE, json.dumps(config)], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", data=body, timeout=30) as r:
                return int(r.status), r.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _two_nodes_guessing(app, storage_uri: str, prefix: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Two processes over one database and one rate-limit store take turns: three wrong phone-4
    guesses (each with a wrong secret attached) against a limit of 3 a day, the right digits on
    both, the secret, then 24 more wrong look-ups against a per-address limit of 8 an hour."""
    from onestop.extensions import db
    from tests.factories import receive

    with app.app_context():
        res = receive(db.session, now=MONDAY, phone="0912340057")
        db.session.commit()
        code, secret = res.dossier.code, res.secret
        db.session.remove()
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret",
              "PUBLIC_BASE_URL": "http://localhost", "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False,
              "RATELIMIT_STORAGE_URI": storage_uri, "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
              "LOOKUP_RATE_LIMIT": "8 per hour", "LOOKUP_PHONE4_FAILURES": "3 per day"}
    a, b = _Node(config), _Node(config)
    try:
        out: dict[str, object] = {}
        a.get(f"/api/v1/lookup/{code}?secret=WRONG123&phone4=0000")
        b.get(f"/api/v1/lookup/{code}?secret=WRONG123&phone4=0001")
        a.post("/lookup", {"code": code, "secret": "WRONG123", "phone4": "0002"})
        out["right_digits_on_b"] = b.get(f"/api/v1/lookup/{code}?phone4=0057")
        out["right_digits_on_a"] = a.get(f"/api/v1/lookup/{code}?phone4=0057")
        out["secret_on_a"] = a.get(f"/api/v1/lookup/{code}?secret={secret}")
        statuses = [(b if i % 2 == 0 else a).get(f"/api/v1/lookup/{code}?secret=WRONG123") for i in range(24)]
        out["answered_before_429"] = 6 + sum(1 for s in statuses if s != 429)
        return out
    finally:
        a.stop()
        b.stop()


def test_two_processes_share_the_rate_limit_and_the_phone4_lock_through_redis(committed, redis_prefix):
    client, prefix = redis_prefix
    out = _two_nodes_guessing(committed, REDIS_URL, prefix)
    assert out == {"right_digits_on_b": 404, "right_digits_on_a": 404, "secret_on_a": 200,
                   "answered_before_429": 8}
    keys = [k.decode() for k in client.scan_iter(match=f"{prefix}:*")]
    assert any("lookup-phone4" in k for k in keys) and any("citizen-lookup" in k for k in keys), keys


def test_two_processes_with_in_process_stores_count_apart(committed, redis_prefix):
    """The control: each process counts on its own, so the right digits
    still open the dossier on the other process and the two together allow twice the limit —
    what production refuses to start with."""
    _client, prefix = redis_prefix
    out = _two_nodes_guessing(committed, "memory://", prefix)
    assert out["right_digits_on_b"] == 200 and out["answered_before_429"] == 16
