"""Access control around the login and every state change (docs/security.md):

* CSRF: every POST route of the staff app's ``url_map`` outside the bearer API refuses a
  request without a token (400) when CSRF protection is on — derived from the url_map, so a
  new POST route is covered the day it appears (the citizen app's posts carry no token by
  design: onestop/web/public/page.py, tests/web/test_public_app.py);
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
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from flask import Flask
from sqlalchemy import select

from onestop import create_app
from onestop.models import AuditLog, User
from tests.conftest import build_app
from tests.factories import PASSWORD, user
from tests.times import MONDAY

ROOT = Path(__file__).resolve().parents[2]
NOW = MONDAY


def _example_url(rule: object) -> str:
    """A concrete URL for a rule (any value: CSRF is checked before the view runs)."""
    from werkzeug.routing import Rule

    assert isinstance(rule, Rule)
    values = {}
    for name, conv in rule._converters.items():
        values[name] = 1 if type(conv).__name__ == "IntegerConverter" else "X"
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def _post_rules(app: Flask) -> list[tuple[str, str]]:
    # Build-only rules are the citizen app's URLs, which the staff app links to but does not serve.
    return sorted((r.endpoint, _example_url(r)) for r in app.url_map.iter_rules()
                  if "POST" in r.methods and not r.rule.startswith("/api/") and not r.build_only)


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
        rows = db.session.execute(
            select(User.username, User.id).where(User.username.like("t\\_%", escape="\\")))
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
        a = create_app(name, {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                              "PUBLIC_BASE_URL": "https://onestop.example.vn"})
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
                                  "SECRET_KEY": "k" * 40, "PUBLIC_BASE_URL": "https://onestop.example.vn"})
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
    from onestop.demo.seed import DEMO_PASSWORD

    users_of_it = [p.relative_to(ROOT).as_posix() for folder in ("onestop", "jobs", "migrations")
                   for p in (ROOT / folder).rglob("*.py")
                   if "DEMO_PASSWORD" in p.read_text(encoding="utf-8")
                   or DEMO_PASSWORD in p.read_text(encoding="utf-8")]
    assert sorted(users_of_it) == ["onestop/cli/__init__.py", "onestop/demo/seed.py"]


def test_seed_demo_refuses_to_run_outside_the_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    a = create_app("production", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                                  "PUBLIC_BASE_URL": "https://onestop.example.vn"})
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


def test_lockout_after_failures_refuses_even_the_right_password(auth, app: Flask, session, client) -> None:  # type: ignore[no-untyped-def]
    from onestop.extensions import limiter

    failures = int(app.config["LOGIN_LOCKOUT_FAILURES"])
    t0 = MONDAY
    with patch("onestop.web.account.utcnow", return_value=t0):
        for _ in range(failures):
            assert client.post("/login",
                               data={"username": "t_officer", "password": "wrong-pass-1"}).status_code == 401
        limiter.reset()
        assert client.post("/login", data={"username": "t_officer", "password": PASSWORD}).status_code == 401
    assert user(session, "t_officer").locked_until is not None
    assert _audit(session, "login.locked", "user:t_officer")
    assert len(_audit(session, "login.fail", "user:t_officer")) == failures
    # After the lockout window the right password works again.
    later = t0 + timedelta(minutes=int(app.config["LOGIN_LOCKOUT_MINUTES"]) + 1)
    with patch("onestop.web.account.utcnow", return_value=later):
        auth.login("t_officer")
    assert _audit(session, "login.ok", "user:t_officer")


def test_unknown_usernames_are_audited_without_creating_accounts(session, client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": "ghost", "password": "wrong-pass-1"}).status_code == 401
    assert _audit(session, "login.fail", "user:ghost")
    assert session.scalar(select(User).where(User.username == "ghost")) is None


def test_admin_changes_are_audited_with_the_admin_as_actor(auth, session, client) -> None:  # type: ignore[no-untyped-def]
    auth.login("t_admin")
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


# ---------------------------------------------------------------- staff sessions (docs/security.md
# "Staff sessions and API"): a copied cookie dies with logout, a password change, an admin reset,
# a deactivation or a change of role/agency; a temporary password opens nothing but its change page.

def _fresh(client):  # type: ignore[no-untyped-def]
    """The tests share one app context (the ``session`` fixture), so Flask-Login's per-request
    cache ``g._login_user`` would outlive a request: drop it so each request loads its user."""
    from flask import g

    g.pop("_login_user", None)
    return client


def _copy_cookie(src, dst) -> None:  # type: ignore[no-untyped-def]
    cookie = src.get_cookie("session")
    assert cookie is not None
    dst.set_cookie("session", cookie.value)


def _signed_in_copy(app: Flask, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """(the original client, signed in; a second client holding a copy of its cookie)."""
    original, thief = app.test_client(), app.test_client()
    r = _fresh(original).post("/login", data={"username": username, "password": password})
    assert r.status_code == 303, r.status_code
    _copy_cookie(original, thief)
    assert _fresh(thief).get("/worklist").status_code == 200  # the copy works before the logout
    return original, thief


def _assert_refused(thief) -> None:  # type: ignore[no-untyped-def]
    r = _fresh(thief).get("/worklist")
    assert r.status_code == 302 and "/login" in r.headers["Location"], (r.status_code,
                                                                        r.headers.get("Location"))
    r = _fresh(thief).get("/api/v1/scores", query_string={"agency": "000.01.31.H25"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    r = _fresh(thief).get("/reports/charts/data.json")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"


def test_a_cookie_copied_before_logout_is_refused_after_it(app: Flask, session, client) -> None:  # type: ignore[no-untyped-def]
    original, thief = _signed_in_copy(app, "t_head")
    assert _fresh(original).post("/logout").status_code == 303
    _assert_refused(thief)
    # Signing in again works, with a new session.
    assert _fresh(original).post("/login",
                                 data={"username": "t_head", "password": PASSWORD}).status_code == 303
    assert _fresh(original).get("/worklist").status_code == 200
    _assert_refused(thief)


def test_a_cookie_copied_before_a_password_change_is_refused_after_it(app: Flask, session, client) -> None:  # type: ignore[no-untyped-def]
    original, thief = _signed_in_copy(app, "t_head")
    r = _fresh(original).post("/account/password", data={"current": PASSWORD, "new": "new-pass-2026",
                                                          "confirm": "new-pass-2026"})
    assert r.status_code == 303
    assert _fresh(original).get("/worklist").status_code == 200  # the one who changed it stays in
    _assert_refused(thief)


@pytest.mark.parametrize("change", ["admin_reset", "deactivate", "role", "agency"])
def test_admin_changes_end_the_users_sessions(app: Flask, session, client, change: str) -> None:  # type: ignore[no-untyped-def]
    from onestop.services.admin import people

    _original, thief = _signed_in_copy(app, "t_head")
    target, admin = user(session, "t_head"), user(session, "t_admin")
    if change == "admin_reset":
        people.reset_password(session, target, actor=admin, now=NOW)
    elif change == "deactivate":
        people.set_active(session, target, False, actor=admin, now=NOW)
    elif change == "role":
        target.role = "officer"
    else:
        target.agency_id = user(session, "t_admin").agency_id
    session.commit()
    _assert_refused(thief)


def test_a_session_from_before_session_generations_survives_only_until_the_first_change(
    app: Flask, session, client,  # type: ignore[no-untyped-def]
) -> None:
    """A cookie holding the bare user id (as written before generations existed) is generation 0."""
    head = user(session, "t_head")
    with client.session_transaction() as s:
        s["_user_id"] = str(head.id)
        s["_fresh"] = True
    assert _fresh(client).get("/worklist").status_code == 200
    from onestop.services.admin.accounts import end_sessions

    end_sessions(head)
    session.commit()
    _assert_refused(client)


@pytest.mark.parametrize("url", ["/api/v1/scores?agency=000.01.31.H25&from=2026-01-01&to=2026-03-31",
                                 "/api/v1/reports/form06?agency=000.01.31.H25&from=2026-01-01&to=2026-03-31",
                                 "/reports/charts/data.json"])
def test_a_temporary_password_opens_no_json_endpoint_either(session, client, url: str) -> None:  # type: ignore[no-untyped-def]
    head = user(session, "t_head")
    head.must_change_password = True
    session.commit()
    assert _fresh(client).post("/login", data={"username": "t_head", "password": PASSWORD}).status_code == 303
    r = _fresh(client).get(url)
    assert r.status_code == 403, (url, r.status_code)
    err = r.get_json()["error"]
    assert err["code"] == "password_change_required" and "mật khẩu" in err["message"]
    # HTML pages: redirected to the change page, as before.
    r = _fresh(client).get("/worklist")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    # Once changed, the same session opens them.
    r = _fresh(client).post("/account/password", data={"current": PASSWORD, "new": "new-pass-2026",
                                                        "confirm": "new-pass-2026"})
    assert r.status_code == 303
    assert _fresh(client).get(url).status_code == 200


def test_a_bearer_token_is_not_blocked_by_its_owners_temporary_password(session, client) -> None:  # type: ignore[no-untyped-def]
    """Decision (docs/security.md): a token is its own credential, issued and revoked by an admin;
    a password reset does not stop the staff system using it (revoke the token for that)."""
    from onestop.services.admin.accounts import issue_token

    head = user(session, "t_head")
    raw = issue_token(session, head, now=NOW, name="system")
    head.must_change_password = True
    session.commit()
    r = _fresh(client).get("/api/v1/scores?agency=000.01.31.H25&from=2026-01-01&to=2026-03-31",
                           headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200, r.get_json()


# ---------------------------------------------------------------- login: the same work on every path

@pytest.mark.parametrize("case", ["unknown", "locked", "inactive", "wrong", "right"])
def test_every_login_path_verifies_exactly_one_password_hash(app: Flask, session, client, case: str) -> None:  # type: ignore[no-untyped-def]
    """Timing must not tell whether a name exists or is locked: each path spends one scrypt
    verification (counted, not timed)."""
    from onestop.services.admin import accounts

    officer = user(session, "t_officer")
    if case == "locked":
        officer.locked_until = NOW + timedelta(days=3650)
    elif case == "inactive":
        officer.active = False
    session.commit()
    name = "ghost.user" if case == "unknown" else "t_officer"
    password = PASSWORD if case in ("right", "locked", "inactive") else "wrong-pass-1"
    real = accounts.check_password_hash
    calls: list[str] = []

    def spy(pwhash: str, pw: str) -> bool:
        calls.append(pwhash)
        return real(pwhash, pw)

    with patch.object(accounts, "check_password_hash", side_effect=spy):
        r = _fresh(client).post("/login", data={"username": name, "password": password})
    assert r.status_code == (303 if case == "right" else 401)
    assert len(calls) == 1, (case, len(calls))
    # The dummy hash costs what a real one does (same KDF and parameters).
    assert calls[0].split("$")[0] == officer.password_hash.split("$")[0]
