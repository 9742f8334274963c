"""Security headers, cookies, CSRF and token storage (docs/security.md)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from config import CONFIGS
from onestop.services.admin.accounts import issue_token
from tests.conftest import build_app
from tests.factories import PASSWORD, user
from tests.times import MONDAY

NOW = MONDAY
ROOT = Path(__file__).resolve().parents[2]


def _csp(resp) -> str:
    return resp.headers.get("Content-Security-Policy", "")


@pytest.mark.parametrize("url", ["/", "/login", "/api/v1/openapi.json", "/api/v1/agencies", "/admin/nope"])
def test_security_headers_on_pages_api_and_errors(client, session, url):
    r = client.get(url)
    csp = _csp(r)
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_pages_carry_the_headers_too(auth, client, session):
    auth.login("t_admin")
    r = client.get("/admin")
    assert r.status_code == 200 and "'unsafe-inline'" not in _csp(r)
    assert r.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite(client, session):
    r = client.post("/login", data={"username": "t_clerk", "password": PASSWORD})
    assert r.status_code == 303
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and re.search(r"SameSite=(Lax|Strict)", cookie)


def test_production_cookies_are_secure():
    prod = CONFIGS["production"]
    assert prod.SESSION_COOKIE_SECURE and prod.REMEMBER_COOKIE_SECURE


def test_admin_templates_have_no_inline_script_style_or_handlers():
    for path in (ROOT / "templates" / "admin").glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


@pytest.fixture
def csrf_client(app):
    """The same database, with CSRF protection on (the test config turns it off)."""
    strict = build_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    yield strict.test_client()
    from onestop.extensions import db

    with strict.app_context():
        db.session.remove()
        db.engine.dispose()


def test_state_changes_without_csrf_token_are_refused(csrf_client):
    # Refused before any view runs, so nothing is written.
    assert csrf_client.post("/login", data={"username": "t_admin", "password": PASSWORD}).status_code == 400
    for url in ("/admin/calendar", "/admin/users", "/admin/agencies", "/admin/users/1/tokens"):
        assert csrf_client.post(url, data={"note": "x"}).status_code == 400, url


def test_the_bearer_api_is_exempt_from_csrf_but_still_needs_a_token(csrf_client):
    r = csrf_client.post("/api/v1/dossiers", json={"procedure_code": "1.004884", "applicant": {"name": "An"}})
    assert r.status_code == 401  # not 400: the API does not use cookies, so no CSRF token is asked


def test_the_database_never_holds_a_raw_token(client, session):
    raw = issue_token(session, user(session, "t_clerk"), now=NOW, name="portal")
    session.flush()
    rows = session.execute(text("SELECT * FROM api_tokens")).all()
    audit = session.execute(text("SELECT * FROM audit_log")).all()
    dump = repr(rows) + repr(audit)
    assert rows and raw not in dump and raw[10:] not in dump


def test_a_token_acts_as_its_own_user_only(client, session):
    from tests.factories import receive

    d = receive(session, now=NOW).dossier
    mine = issue_token(session, user(session, "t_clerk"), now=NOW)
    theirs = issue_token(session, user(session, "t_clerk_other"), now=NOW)
    session.commit()
    got = client.get(f"/api/v1/dossiers/{d.code}", headers={"Authorization": f"Bearer {mine}"})
    assert got.status_code == 200 and "transfer" in got.get_json()["allowed_actions"]
    assert client.get(f"/api/v1/dossiers/{d.code}",
                      headers={"Authorization": f"Bearer {theirs}"}).status_code == 404
    # A header that is not "Bearer" is not a token, even with a valid value.
    assert client.get("/api/v1/agencies", headers={"Authorization": f"Token {mine}"}).status_code == 401
