"""Access control around the login and every state change (issue 8 item 4):

* CSRF: every POST route of ``app.url_map`` outside the bearer API refuses a request
  without a token (400) when CSRF protection is on — derived from the url_map, so a new
  POST route is covered the day it appears;
* the session cookie is HttpOnly and SameSite=Lax, and Secure under ProductionConfig;
  production refuses the development secret;
* login throttling (Flask-Limiter → 429) and lockout after LOGIN_LOCKOUT_FAILURES wrong
  passwords, during which even the right password is refused;
* no default password: migrations create no user, DEMO_PASSWORD is used by the demo
  seeding only;
* logins (ok, failed, locked) and admin changes leave AuditLog rows.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from flask import Flask
from sqlalchemy import select

from onestop import create_app
from onestop.models import AuditLog, User
from tests.conftest import build_app
from tests.factories import PASSWORD, user

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _example_url(rule: object) -> str:
    """A concrete URL for a rule (any value: CSRF is checked before the view runs)."""
    from werkzeug.routing import Rule

    assert isinstance(rule, Rule)
    values = {}
    for name, conv in rule._converters.items():  # noqa: SLF001 - the rule's own argument converters
        values[name] = 1 if type(conv).__name__ == "IntegerConverter" else "X"
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def _post_rules(app: Flask) -> list[tuple[str, str]]:
    return sorted((r.endpoint, _example_url(r)) for r in app.url_map.iter_rules()
                  if "POST" in r.methods and not r.rule.startswith("/api/"))


@pytest.fixture
def strict(app: Flask) -> Iterator[Flask]:
    """The same database with CSRF protection on (the test config turns it off)."""
    application = build_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    yield application
    from onestop.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _ids(app: Flask) -> dict[str, int]:
    from onestop.extensions import db

    with app.app_context():
        rows = db.session.execute(select(User.username, User.id).where(User.username.like("t\\_%", escape="\\")))
        out = {u: i for u, i in rows}
        db.session.remove()
        return out


def test_there_are_state_changing_web_routes_to_check(app: Flask) -> None:
    assert len(_post_rules(app)) >= 20


@pytest.mark.parametrize("who", ["anonymous", "t_admin", "t_head", "t_clerk"])
def test_every_web_post_without_a_csrf_token_is_refused(strict: Flask, who: str) -> None:
    from onestop.extensions import limiter

    ids = _ids(strict)
    refused = {}
    for endpoint, url in _post_rules(strict):
        limiter.reset()
        client = strict.test_client()
        if who != "anonymous":
            with client.session_transaction() as s:
                s["_user_id"] = str(ids[who])
                s["_fresh"] = True
        r = client.post(url, data={"note": "x", "version": "1", "username": "t_admin", "password": PASSWORD})
        refused[(endpoint, url)] = r.status_code
    assert {k: v for k, v in refused.items() if v != 400} == {}


def test_a_post_with_the_session_token_is_accepted(strict: Flask) -> None:
    """The refusal above is the token check, not a broken form: with the token it passes."""
    client = strict.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the login form carries csrf_token"
    r = client.post("/login", data={"csrf_token": token.group(1), "username": "nobody", "password": "x" * 12})
    assert r.status_code == 401


# ---------------------------------------------------------------- cookies and secrets

def test_session_cookie_flags_in_every_config(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    for name, secure in (("testing", False), ("production", True)):
        a = create_app(name, {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40})
        r = a.test_client().get("/lang/en", base_url="https://onestop.example.vn")
        cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure, (name, cookie)
        assert a.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_production_refuses_the_development_secret(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="ONESTOP_SECRET_KEY"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_https_answers_carry_hsts(app: Flask) -> None:
    a = create_app("production", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                  "SECRET_KEY": "k" * 40})
    r = a.test_client().get("/", base_url="https://onestop.example.vn")
    assert r.headers.get("Strict-Transport-Security", "").startswith("max-age=")


def test_migrations_create_no_user_and_only_the_demo_knows_a_password(tmp_path: Path) -> None:
    a = build_app(f"sqlite:///{tmp_path / 'fresh.db'}")
    from flask_migrate import upgrade

    from onestop.extensions import db

    with a.app_context():
        upgrade()
        assert db.session.scalar(select(User.id).limit(1)) is None
        db.session.remove()
        db.engine.dispose()
    from onestop.services.demo import DEMO_PASSWORD

    users_of_it = [p.relative_to(ROOT).as_posix() for folder in ("onestop", "jobs", "migrations")
                   for p in (ROOT / folder).rglob("*.py")
                   if "DEMO_PASSWORD" in p.read_text(encoding="utf-8") or DEMO_PASSWORD in p.read_text(encoding="utf-8")]
    assert sorted(users_of_it) == ["onestop/cli.py", "onestop/services/demo.py"]


def test_seed_demo_refuses_to_run_outside_the_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    a = create_app("production", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40})
    from flask_migrate import upgrade

    from onestop.extensions import db

    with a.app_context():
        upgrade()
        db.session.remove()
    result = a.test_cli_runner().invoke(args=["onestop", "seed-demo", "--months", "1", "--per-day", "1"])
    with a.app_context():
        n = db.session.scalar(select(User.id).limit(1))
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code != 0 and n is None, result.output[-500:]


# ---------------------------------------------------------------- throttling, lockout, audit

def _audit(session, action: str, target: str) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action, AuditLog.target == target)))


def test_login_is_throttled_per_client(app: Flask, session, client) -> None:  # type: ignore[no-untyped-def]
    limit = int(str(app.config["LOGIN_RATE_LIMIT"]).split()[0])
    codes = [client.post("/login", data={"username": f"ghost{i}", "password": "wrong-pass-1"}).status_code
             for i in range(limit + 1)]
    assert codes[:limit] == [401] * limit
    assert codes[limit] == 429
    # GET of the form is not throttled (a clerk reloading the page is not an attack).
    assert client.get("/login").status_code == 200


def test_lockout_after_failures_refuses_even_the_right_password(app: Flask, session, client) -> None:  # type: ignore[no-untyped-def]
    from onestop.extensions import limiter

    failures = int(app.config["LOGIN_LOCKOUT_FAILURES"])
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with patch("onestop.web.account.utcnow", return_value=t0):
        for _ in range(failures):
            assert client.post("/login", data={"username": "t_officer", "password": "wrong-pass-1"}).status_code == 401
        limiter.reset()
        assert client.post("/login", data={"username": "t_officer", "password": PASSWORD}).status_code == 401
    assert user(session, "t_officer").locked_until is not None
    assert _audit(session, "login.locked", "user:t_officer")
    assert len(_audit(session, "login.fail", "user:t_officer")) == failures
    # After the lockout window the right password works again.
    later = t0 + timedelta(minutes=int(app.config["LOGIN_LOCKOUT_MINUTES"]) + 1)
    with patch("onestop.web.account.utcnow", return_value=later):
        assert client.post("/login", data={"username": "t_officer", "password": PASSWORD}).status_code == 303
    assert _audit(session, "login.ok", "user:t_officer")


def test_unknown_usernames_are_audited_without_creating_accounts(session, client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": "ghost", "password": "wrong-pass-1"}).status_code == 401
    assert _audit(session, "login.fail", "user:ghost")
    assert session.scalar(select(User).where(User.username == "ghost")) is None


def test_admin_changes_are_audited_with_the_admin_as_actor(session, client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": "t_admin", "password": PASSWORD}).status_code == 303
    admin = user(session, "t_admin")
    target = user(session, "t_officer2")
    before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0
    assert client.post(f"/admin/users/{target.id}/tokens", data={"name": "audit"}).status_code == 200
    assert client.post(f"/admin/users/{target.id}/password").status_code == 200
    assert client.post(f"/admin/users/{target.id}/active", data={"active": ""}).status_code == 303
    rows = list(session.scalars(select(AuditLog).where(AuditLog.id > before).order_by(AuditLog.id)))
    actions = {r.action for r in rows}
    assert {a for a in actions if a.startswith(("user.", "token."))} >= {"token.issue"}, actions
    assert len([a for a in actions if a.startswith("user.")]) >= 2, actions
    assert all(r.actor_id == admin.id for r in rows if not r.action.startswith("login")), \
        [(r.action, r.actor_id) for r in rows]
    assert all(str(target.username) in r.target for r in rows if not r.action.startswith("login"))
