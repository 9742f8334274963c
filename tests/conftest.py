"""Test fixtures: every database test runs on SQLite and, when
ONESTOP_TEST_DATABASE_URL is set, on PostgreSQL too.

- ``app``: one migrated database per engine and xdist worker (PostgreSQL: a
  private database created from the given URL and dropped afterwards), holding
  the reference catalogue and a few users (tests/factories.py).
- ``session``: each test runs inside an outer transaction that is rolled back;
  the app's commits become savepoints. Fast, and nothing leaks between tests.
- ``committed``: for tests that need real commits seen by other connections,
  threads or processes (concurrency, scheduler locks, browser). Cleans the
  transactional tables afterwards.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.test import TestResponse

from onestop import create_app
from onestop.extensions import db
from tests.factories import PASSWORD
from tests.times import MONDAY

PG_URL = os.environ.get("ONESTOP_TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL else [])
if os.environ.get("ONESTOP_REQUIRE_PG") == "1" and not PG_URL:
    raise RuntimeError("ONESTOP_REQUIRE_PG=1 but ONESTOP_TEST_DATABASE_URL is not set")

# Tables holding what tests create (reference data — agencies, procedures, the
# base users — stays). Order: children first.
TRANSACTIONAL_TABLES = (
    "dossier_files", "procedure_estimates", "dvcqg_attempts", "dvcqg_outbox", "dvcqg_intake",
    "notifications", "outbox", "ratings", "feedback", "handoff_legs", "pause_intervals",
    "dossier_events", "dossiers", "code_sequences", "metric_snapshots", "report_snapshots",
    "report_rollup_days", "report_rollup_state",
    "job_runs", "audit_log", "calendar_exceptions", "idempotency_keys",
)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def make_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    """A fresh empty database for this worker; returns (url, cleanup)."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "onestop.db"
        return f"sqlite:///{path}", lambda: None
    base = make_url(PG_URL)
    name = f"onestop_t_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        eng = create_engine(base, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def build_app(url: str, **extra: object) -> Flask:
    cfg: dict[str, object] = {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                              "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret",
                              "RATELIMIT_ENABLED": True, "PUBLIC_BASE_URL": "http://localhost"}
    cfg.update(extra)
    return create_app("testing", cfg)


@pytest.fixture(scope="session", params=ENGINES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url, cleanup = make_database(request.param, tmp_path_factory)
    application = build_app(url)
    application.config["ENGINE_KIND"] = request.param
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        from tests.factories import seed_base

        seed_base(db.session, now=NOW)
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    cleanup()  # type: ignore[operator]


NOW = MONDAY


class _TestSession(scoped_session):  # type: ignore[type-arg]
    """The test's session outlives the requests it makes. The staff app's requests run in the
    test's application context; the citizen app (onestop/web/public/) pushes its own, whose
    teardown would end the session, detaching what the test holds."""

    def remove(self) -> None:
        pass


@pytest.fixture
def session(app: Flask) -> Iterator[scoped_session]:  # type: ignore[type-arg]
    """The test's unit of work, rolled back at the end (app commits = savepoints)."""
    with app.app_context():
        conn = db.engine.connect()
        outer = conn.begin()
        original = db.session
        scoped = _TestSession(sessionmaker(bind=conn, join_transaction_mode="create_savepoint"))
        db.session = scoped  # type: ignore[assignment]
        try:
            yield scoped
        finally:
            scoped_session.remove(scoped)
            db.session = original  # type: ignore[assignment]
            if outer.is_active:
                outer.rollback()
            conn.close()


@pytest.fixture
def client(app: Flask, session: scoped_session):  # type: ignore[no-untyped-def,type-arg]
    from onestop.extensions import limiter

    limiter.reset()
    return app.test_client()


class AuthActions:
    """Log the test client in and out as one of the named test users (tests/factories.py), the
    way Flask's own tutorial shares its login helper: ``auth.login("t_head")``."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "t_clerk", password: str = PASSWORD, *,
              expect: int | None = 303) -> TestResponse:
        """POST /login; by default the answer must be the 303 of a successful login (pass
        ``expect=None`` to look at a refusal yourself)."""
        r = self._client.post("/login", data={"username": username, "password": password})
        if expect is not None:
            assert r.status_code == expect, (username, r.status_code, r.get_data(as_text=True)[:300])
        return r

    def logout(self) -> TestResponse:
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def committed(app: Flask) -> Iterator[Flask]:
    """Real commits (for other connections/threads/processes); cleaned afterwards."""
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as c:
            if db.engine.dialect.name == "postgresql":
                c.execute(text(f"TRUNCATE {', '.join(TRANSACTIONAL_TABLES)} RESTART IDENTITY CASCADE"))
            else:
                c.exec_driver_sql("DROP TRIGGER IF EXISTS dossier_events_no_delete")
                for t in TRANSACTIONAL_TABLES:
                    c.exec_driver_sql(f"DELETE FROM {t}")
                c.exec_driver_sql(
                    "CREATE TRIGGER dossier_events_no_delete BEFORE DELETE ON dossier_events "
                    "BEGIN SELECT RAISE(ABORT, 'dossier_events is append-only'); END"
                )
            # Calendar exceptions went without an edit: tell every calendar store (generation).
            c.execute(text("UPDATE calendar_state SET generation = generation + 1, stamp = :s"),
                      {"s": uuid.uuid4().hex[:16]})
            c.execute(text("DELETE FROM api_tokens"))
            c.execute(text("UPDATE users SET session_generation = 0"))  # a test's logout ends nothing later
            c.execute(text("DELETE FROM users WHERE username NOT LIKE 't\\_%' ESCAPE '\\'"))
        from onestop.extensions import limiter

        limiter.reset()
