"""The citizen surface as its own app (onestop/web/public/): it answers the look-up API, the page
and the rest without the staff app's sign-in, CSRF or request hooks; the page and the API draw
on one rate-limit bucket per address (``limiter.shared_limit``); the staff app does not serve
the citizen routes; the look-up keeps its answers, headers and its read outside a transaction."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import abort
from werkzeug.exceptions import NotFound

from onestop import create_app
from onestop.database.events import _may_write
from onestop.extensions import limiter
from tests.factories import receive
from tests.times import MONDAY

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                    "Permissions-Policy")
ROOT = Path(__file__).resolve().parents[2]
CITIZEN_ENDPOINTS = {"lookup.lookup_page", "lookup.rate", "lookup.submit_feedback", "lookup.citizen_download",
                     "lookup_api.api_lookup", "qr.qr", "transparency.transparency",
                     "transparency.transparency_data"}


def _answer(client, url: str):  # type: ignore[no-untyped-def]
    r = client.get(url)
    return r.status_code, r.get_data(as_text=True), {h: r.headers.get(h) for h in (
        *SECURITY_HEADERS, "Cache-Control", "Content-Type", "Retry-After", "Set-Cookie")}


def test_the_api_answers(app, session, client, clock):
    res = receive(session, now=MONDAY, phone="0912344321")
    session.commit()
    code = res.dossier.code
    urls = [
        f"/api/v1/lookup/{code}?secret={res.secret}",            # found
        f"/api/v1/lookup/{code}?secret={res.secret}&lang=en",    # English labels
        f"/api/v1/lookup/{code}?phone4=4321",                    # the phone route
        f"/api/v1/lookup/{code}?secret=WRONG123",                # wrong secret
        f"/api/v1/lookup/{code}?secret={'A' * 40}",              # over-long secret
        "/api/v1/lookup/not-a-code?secret=x",                    # malformed code
        f"/api/v1/lookup/{code}?secret=AB%00CD",                 # NUL
    ]
    answers = [_answer(client, u) for u in urls]
    assert [a[0] for a in answers] == [200, 200, 200, 404, 404, 404, 400]
    assert json.loads(answers[1][1])["time_left_label"].endswith("left")        # ?lang=en
    assert json.loads(answers[0][1])["time_left_label"].startswith("Còn")       # Vietnamese
    assert json.loads(answers[3][1]) == json.loads(answers[5][1])              # one 404 for all
    assert json.loads(answers[6][1])["error"]["code"] == "bad_request"
    for _status, _body, headers in answers:
        assert all(headers[h] for h in SECURITY_HEADERS)
        assert headers["Content-Type"] == "application/json"
        assert headers["Set-Cookie"] is None  # stateless: ?lang=en is not remembered
    for _status, _body, headers in answers[:6]:
        assert headers["Cache-Control"] == "no-store"


def test_the_api_opens_no_session_and_the_page_keeps_its_own(app, client, monkeypatch):
    """The JSON look-up is stateless: a session cookie sent with it is neither read nor written
    (its signature is never checked), while the page still opens the look-up session."""
    sessions = app.extensions["onestop.public"].session_interface
    real = sessions.get_signing_serializer
    opened: list[str] = []

    def serializer(a):  # type: ignore[no-untyped-def]
        opened.append("opened")
        return real(a)

    monkeypatch.setattr(sessions, "get_signing_serializer", serializer)
    client.set_cookie("session", "not-even-signed")
    assert client.get("/api/v1/lookup/X?secret=Y").status_code == 404
    assert opened == []
    assert client.get("/lookup?code=X").status_code == 200
    assert opened


@pytest.mark.parametrize("first", ["api", "page"])
def test_the_page_and_the_api_share_one_bucket(app, session, client, clock, first):
    old = app.config["LOOKUP_RATE_LIMIT"]
    app.config["LOOKUP_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        api = lambda: client.get("/api/v1/lookup/X?secret=Y")  # noqa: E731
        page = lambda: client.post("/lookup", data={"code": "X", "secret": "Y"})  # noqa: E731
        a, b = (api, page) if first == "api" else (page, api)
        assert [a().status_code, b().status_code, a().status_code] == ([404, 200, 404] if first == "api"
                                                                        else [200, 404, 200])
        refused_api, refused_page = api(), page()
        assert refused_api.status_code == 429 and refused_page.status_code == 429
        assert 1 <= int(refused_api.headers["Retry-After"]) <= 60
        body = refused_api.get_json()["error"]
        assert body["code"] == "too_many_requests"
        assert body["retry_after"] == int(refused_api.headers["Retry-After"])
        assert "Vui lòng thử lại sau" in body["message"]
        assert refused_api.headers["Cache-Control"] == "no-store"
        assert "Retry-After" in refused_page.headers and "text/html" in refused_page.headers["Content-Type"]
        en = client.get("/api/v1/lookup/X?secret=Y&lang=en").get_json()["error"]["message"]
        assert "Too many" in en or "try again" in en.lower()
        # The page's GET (the QR's landing form) proves nothing and is not counted.
        assert client.get("/lookup?code=X").status_code == 200
    finally:
        app.config["LOOKUP_RATE_LIMIT"] = old
        limiter.reset()


def test_each_forwarded_address_counts_in_its_own_bucket(app, session):
    """ProxyFix is outside the mount: behind a load balancer the bucket is the citizen's."""
    behind = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                    "PROXY_FIX_HOPS": 1, "LOOKUP_RATE_LIMIT": "2 per minute",
                                    "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": True})
    limiter.reset()
    c = behind.test_client()

    def get(ip: str) -> int:
        return c.get("/api/v1/lookup/X?secret=Y", headers={"X-Forwarded-For": ip},
                     environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    assert [get("203.0.113.9") for _ in range(3)] == [404, 404, 429]
    assert get("203.0.113.10") == 404  # another citizen behind the same balancer
    limiter.reset()


def test_the_citizen_app_runs_none_of_the_staff_hooks(app):
    """A hook added to the staff app (here: one refusing every request) does not touch the
    citizen surface; the citizen app has no sign-in and no CSRF of its own."""
    staff = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                   "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True})

    @staff.before_request
    def _closed() -> None:
        abort(503)

    limiter.reset()
    c = staff.test_client()
    assert c.get("/login").status_code == 503
    assert c.get("/api/v1/lookup/X?secret=Y").status_code == 404
    assert c.get("/lookup?code=X").status_code == 200
    assert c.post("/lookup", data={"code": "X", "secret": "Y"}).status_code == 200  # no CSRF token
    assert c.get("/public/data.json").status_code == 200
    public = staff.extensions["onestop.public"]
    assert not hasattr(public, "login_manager") and "csrf" not in public.extensions
    assert hasattr(staff, "login_manager") and "csrf" in staff.extensions
    limiter.reset()


def test_the_staff_app_does_not_serve_the_citizen_routes(app):
    public = app.extensions["onestop.public"]
    served = {r.endpoint for r in public.url_map.iter_rules() if not r.build_only} - {"static"}
    assert served == CITIZEN_ENDPOINTS
    assert not served & set(app.view_functions)
    # Each app only *builds* the other's URLs (shared templates link across).
    assert all(r.build_only for r in app.url_map.iter_rules() if r.endpoint in served)
    staff_served = {r.endpoint for r in app.url_map.iter_rules() if not r.build_only} - {"static"}
    assert not staff_served & set(public.view_functions)
    with app.test_request_context(), app.app_context():
        from flask import url_for

        assert url_for("lookup.lookup_page", code="A") == "/lookup?code=A"
    adapter = app.url_map.bind("localhost")
    with pytest.raises(NotFound):
        adapter.match("/lookup")


def test_other_methods_and_paths(session, client, clock):
    assert client.head("/api/v1/lookup/X?secret=Y").status_code == 404
    assert client.post("/api/v1/lookup/X?secret=Y").status_code == 405
    assert client.get("/api/v1/lookup/X/extra").status_code == 404
    assert client.get("/api/v1/lookup/").status_code == 404
    assert client.get("/lookupx").status_code == 404


def test_a_look_up_only_reads(app):
    """GET requests and the look-up's POST (g.db_read_only) begin DEFERRED on SQLite: look-ups
    never queue on the write lock behind receptions."""
    with app.test_request_context("/x", method="GET"):
        assert _may_write() is False
    with app.test_request_context("/x", method="POST"):
        assert _may_write() is True


def test_the_look_up_reads_outside_a_transaction_and_leaves_the_pool_as_it_found_it(committed):
    """Real commits, real pool connections: the look-up reads in autocommit (no BEGIN, no
    ROLLBACK — on PostgreSQL a ROLLBACK drops psycopg's prepared statements), and the connection
    goes back to the pool able to run an ordinary write transaction."""
    from sqlalchemy import event

    from onestop.extensions import db

    app = committed
    public = app.extensions["onestop.public"]
    with app.app_context():
        res = receive(db.session, now=MONDAY)
        db.session.commit()
        code, secret = res.dossier.code, res.secret
        db.session.remove()
    statements: list[tuple[str, bool]] = []

    def seen(conn, _cursor, statement, *_a):  # type: ignore[no-untyped-def]
        driver = conn.connection.driver_connection
        in_tx = driver.in_transaction if conn.dialect.name == "sqlite" else not driver.autocommit
        statements.append((statement.split()[0].upper(), in_tx))

    with public.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    limiter.reset()
    try:
        client = app.test_client()
        assert client.get(f"/api/v1/lookup/{code}?secret={secret}").status_code == 200
        assert client.get(f"/api/v1/lookup/{code}?secret=WRONG123").status_code == 404
        # No transaction around them: the found dossier's look-up, the calendar generation check
        # (once per request, onestop/services/admin/calendars.py), the wrong secret's look-up.
        assert statements == [("SELECT", False), ("SELECT", False), ("SELECT", False)]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with public.app_context():  # the next unit of work on the same pool is a normal transaction
        from onestop.models import Dossier

        d = db.session.get(Dossier, res.dossier.id)
        d.apology_reason = "not meant to be kept"
        db.session.flush()
        db.session.rollback()  # rolled back: nothing was autocommitted
        db.session.remove()


def test_no_second_look_up_pipeline_and_no_private_override_of_the_limits_library():
    """The citizen surface goes through Flask (onestop/web/public/); nothing re-implements the
    pipeline beside it or overrides a private (name-mangled) method of a library."""
    assert not (ROOT / "onestop" / "web" / "lookup.py").exists()
    assert not (ROOT / "onestop" / "ratelimit.py").exists()
    sources = [*ROOT.joinpath("onestop").rglob("*.py"), ROOT / "config.py", ROOT / "gunicorn.conf.py"]
    banned = re.compile(r"LookupApiFastPath|LOOKUP_API_FAST_PATH|onestop-memory"
                        r"|def _[A-Z]\w*__\w+|\._[A-Z]\w*__\w+")  # a private, name-mangled method
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)}"
                 for p in sources for m in banned.finditer(p.read_text())]
    assert offenders == []
