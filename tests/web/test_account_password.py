"""Temporary passwords must be changed before anything else."""
from __future__ import annotations

from onestop.models import AuditLog
from tests.factories import PASSWORD, user


def test_must_change_password_blocks_every_page_until_changed(auth, client, session):
    u = user(session, "t_clerk")
    u.must_change_password = True
    session.flush()
    auth.login("t_clerk")
    resp = client.get("/worklist")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/password")
    bad = client.post("/account/password", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert bad.status_code == 422 and "10" in bad.get_data(as_text=True)
    ok = client.post("/account/password",
                     data={"current": PASSWORD, "new": "new-pass-2026", "confirm": "new-pass-2026"})
    assert ok.status_code == 303
    assert not u.must_change_password
    assert client.get("/reception/new").status_code == 200
    assert session.query(AuditLog).filter_by(action="password.change").count() == 1


def test_wrong_current_password_changes_nothing(auth, client, session):
    u = user(session, "t_clerk")
    before = u.password_hash
    auth.login("t_clerk")
    resp = client.post("/account/password",
                       data={"current": "wrong-one-1", "new": "new-pass-2026", "confirm": "new-pass-2026"})
    assert resp.status_code == 422
    assert "không đúng" in resp.get_data(as_text=True)
    assert u.password_hash == before
