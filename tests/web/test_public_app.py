"""The look-up API's fast path (issue 7): GET /api/v1/lookup/<code> answered before the staff
app's request hooks must answer exactly what the Flask route answers, keep the shared rate-limit
bucket with the page, refuse NUL, carry the security headers, and never take SQLite's write lock."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, g

from onestop import create_app
from onestop.database.events import _may_write
from onestop.extensions import limiter
from tests.factories import receive

MON = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                    "Permissions-Policy")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("onestop.web.lookup.utcnow", lambda: LATER)


@pytest.fixture
def fast_path_off(app: Flask):  # type: ignore[no-untyped-def]
    def switch(on: bool) -> None:
        app.config["LOOKUP_API_FAST_PATH"] = on
    yield switch
    app.config["LOOKUP_API_FAST_PATH"] = True


def _answer(client, url: str):  # type: ignore[no-untyped-def]
    r = client.get(url)
    return r.status_code, r.get_data(as_text=True), {h: r.headers.get(h) for h in (
        *SECURITY_HEADERS, "Cache-Control", "Content-Type", "Retry-After")}


def test_fast_path_and_flask_route_give_the_same_answers(app, session, client, clock, fast_path_off):
    res = receive(session, now=MON, phone="0912344321")
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
    answers = {}
    for on in (True, False):
        fast_path_off(on)
        limiter.reset()
        answers[on] = [_answer(client, u) for u in urls]
    # NUL: the Flask route refuses it in a before_request hook (generic 400, no Cache-Control).
    answers[False][-1][2]["Cache-Control"] = answers[True][-1][2]["Cache-Control"]
    assert answers[True] == answers[False]
    statuses = [a[0] for a in answers[True]]
    assert statuses == [200, 200, 200, 404, 404, 404, 400]
    import json

    assert json.loads(answers[True][1][1])["time_left_label"].endswith("left")        # ?lang=en
    assert json.loads(answers[True][0][1])["time_left_label"].startswith("Còn")       # Vietnamese
    for _status, _body, headers in answers[True]:
        assert all(headers[h] for h in SECURITY_HEADERS)
        assert headers["Cache-Control"] == "no-store" and headers["Content-Type"] == "application/json"


def test_the_429_is_the_same_on_both_paths_and_the_bucket_is_shared_with_the_page(app, session, client, clock,
                                                                                   fast_path_off):
    old = app.config["LOOKUP_RATE_LIMIT"]
    app.config["LOOKUP_RATE_LIMIT"] = "3 per minute"
    try:
        for on in (True, False):
            fast_path_off(on)
            limiter.reset()
            # API first, then the page: the page finds the bucket the API emptied.
            for _ in range(3):
                assert client.get("/api/v1/lookup/X?secret=Y").status_code == 404
            api = client.get("/api/v1/lookup/X?secret=Y")
            assert api.status_code == 429 and 1 <= int(api.headers["Retry-After"]) <= 60
            body = api.get_json()["error"]
            assert body["code"] == "too_many_requests" and body["retry_after"] == int(api.headers["Retry-After"])
            assert "Vui lòng thử lại sau" in body["message"]
            assert client.post("/lookup", data={"code": "X", "secret": "Y"}).status_code == 429
            en = client.get("/api/v1/lookup/X?secret=Y&lang=en").get_json()["error"]["message"]
            assert "Too many" in en or "try again" in en.lower()
    finally:
        app.config["LOOKUP_RATE_LIMIT"] = old


def test_the_fast_path_counts_each_forwarded_address_in_its_own_bucket(app, session):
    """Installed inside ProxyFix: behind a load balancer the bucket is the citizen's, not the
    balancer's."""
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


def test_other_methods_and_paths_still_go_through_the_app(session, client, clock):
    assert client.head("/api/v1/lookup/X?secret=Y").status_code == 404
    assert client.post("/api/v1/lookup/X?secret=Y").status_code == 405
    assert client.get("/api/v1/lookup/X/extra").status_code == 404
    assert client.get("/api/v1/lookup/").status_code == 404


def test_a_look_up_outside_a_request_only_reads(app):
    """The fast path runs in an application context with g.db_read_only set: SQLite begins
    DEFERRED, so look-ups never queue on the write lock behind receptions."""
    with app.app_context():
        assert _may_write() is True  # a job or CLI command outside any request may write
        g.db_read_only = True
        assert _may_write() is False
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
    with app.app_context():
        res = receive(db.session, now=MON)
        db.session.commit()
        code, secret = res.dossier.code, res.secret
        db.session.remove()
        statements: list[tuple[str, bool]] = []

        def seen(conn, _cursor, statement, *_a):  # type: ignore[no-untyped-def]
            driver = conn.connection.driver_connection
            in_tx = driver.in_transaction if conn.dialect.name == "sqlite" else not driver.autocommit
            statements.append((statement.split()[0].upper(), in_tx))

        event.listen(db.engine, "before_cursor_execute", seen)
    limiter.reset()
    try:
        client = app.test_client()
        assert client.get(f"/api/v1/lookup/{code}?secret={secret}").status_code == 200
        assert client.get(f"/api/v1/lookup/{code}?secret=WRONG123").status_code == 404
        # No transaction around them: the found dossier's look-up, the calendar generation check
        # (once per request, onestop/services/admin/calendars.py), the wrong secret's look-up.
        assert statements == [("SELECT", False), ("SELECT", False), ("SELECT", False)]
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", seen)
    with app.app_context():  # the next unit of work on the same pool is a normal transaction
        from onestop.models import Dossier

        d = db.session.get(Dossier, res.dossier.id)
        d.apology_reason = "not meant to be kept"
        db.session.flush()
        db.session.rollback()  # rolled back: nothing was autocommitted
        db.session.remove()
        assert db.session.get(Dossier, res.dossier.id).apology_reason in (None, "")
