"""The admin page of the sync and the CLI."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from onestop.models.dvcqg import DvcqgOutbox
from tests.factories import PASSWORD, receive


def login(client, username: str) -> None:
    client.post("/login", data={"username": username, "password": PASSWORD})


def test_admin_page_shows_day_counts_failures_and_resends(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "DVCQG_URL", "http://127.0.0.1:9/dvcqg")
    monkeypatch.setitem(app.config, "DVCQG_UNIT_CODE", "000.00.00.H25")
    now = datetime.now(UTC)
    d = receive(session, now=now).dossier
    session.execute(update(DvcqgOutbox).values(state="dead", attempts=8, last_error="Mã hồ sơ X không thuộc đơn vị"))
    session.flush()
    login(client, "t_clerk")
    assert client.get("/admin/dvcqg/").status_code in (302, 403)
    client.post("/logout")
    login(client, "t_admin")
    page = client.get("/admin/dvcqg/").get_data(as_text=True)
    assert "không thuộc đơn vị" in page and d.code in page
    assert "0.0 %" in page  # one dossier handled today, none synced: indicator 1.4 predicted at 0 %
    resp = client.post(f"/admin/dvcqg/resend/{d.code}")
    assert resp.status_code == 303
    row = session.query(DvcqgOutbox).one()
    assert row.state == "pending" and row.attempts == 0


def test_cli_status_prints_counts(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "DVCQG_URL", "http://127.0.0.1:9/dvcqg")
    monkeypatch.setitem(app.config, "DVCQG_UNIT_CODE", "000.00.00.H25")
    receive(session, now=datetime.now(UTC))
    session.flush()
    out = app.test_cli_runner().invoke(args=["onestop", "dvcqg", "status"]).output
    assert "synced   0" in out and "pending  1" in out and "failed   0" in out
