"""The admin page of the sync and the CLI."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from onestop.models import Dossier
from onestop.models.dvcqg import DvcqgOutbox
from tests.factories import receive
from tests.times import MONDAY


def test_admin_page_shows_day_counts_failures_and_resends(auth, app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "DVCQG_URL", "http://127.0.0.1:9/dvcqg")
    monkeypatch.setitem(app.config, "DVCQG_UNIT_CODE", "000.00.00.H25")
    now = datetime.now(UTC)
    d = receive(session, now=now).dossier
    session.execute(update(DvcqgOutbox).values(state="dead", attempts=8,
                                               last_error="Mã hồ sơ X không thuộc đơn vị"))
    session.flush()
    auth.login("t_clerk")
    assert client.get("/admin/dvcqg/").status_code in (302, 403)
    auth.logout()
    auth.login("t_admin")
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


def test_cli_sync_since_and_resend_against_the_fake(app, session, monkeypatch):
    import requests

    from onestop.integrations.dvcqg.fake import FakePortalServer, create_fake_app

    receive(session, now=MONDAY)  # sync off: not queued
    session.flush()
    with FakePortalServer(create_fake_app("000.00.00.H25", "u", "p")) as portal:
        for key, value in {"DVCQG_URL": portal.base_url, "DVCQG_USERNAME": "u", "DVCQG_PASSWORD": "p",
                           "DVCQG_UNIT_CODE": "000.00.00.H25"}.items():
            monkeypatch.setitem(app.config, key, value)
        runner = app.test_cli_runner()
        out = runner.invoke(args=["onestop", "dvcqg", "sync", "--since", "01/03/2026"])
        assert out.exit_code == 0, out.output
        assert "queued 1" in out.output and '"sent": 1' in out.output
        assert len(requests.get(f"{portal.root_url}/_control/dump", timeout=5).json()["dossiers"]) == 1
        bad = runner.invoke(args=["onestop", "dvcqg", "sync", "--since", "2026-13-01"])
        assert bad.exit_code == 2 and "không phải ngày" in bad.output
        code = session.scalars(select(Dossier.code)).first()
        assert "requeued 1" in runner.invoke(args=["onestop", "dvcqg", "resend", code]).output
        assert runner.invoke(args=["onestop", "dvcqg", "resend", "KHONG-CO"]).exit_code == 2
        requests.post(f"{portal.root_url}/_control/fail", json={"mode": "5xx", "count": -1}, timeout=5)
        assert runner.invoke(args=["onestop", "dvcqg", "sync"]).exit_code == 1  # portal down: non-zero


def test_cli_sync_refuses_when_not_configured(app, session):
    out = app.test_cli_runner().invoke(args=["onestop", "dvcqg", "sync"])
    assert out.exit_code == 2 and "ONESTOP_DVCQG_URL" in out.output


def test_cli_score_prints_the_published_766_score(app, session, monkeypatch):
    import requests

    from onestop.integrations.dvcqg.fake import FakePortalServer, create_fake_app

    with FakePortalServer(create_fake_app("000.00.00.H25", "u", "p")) as portal:
        for key, value in {"DVCQG_URL": portal.base_url, "DVCQG_USERNAME": "u", "DVCQG_PASSWORD": "p",
                           "DVCQG_UNIT_CODE": "000.00.00.H25"}.items():
            monkeypatch.setitem(app.config, key, value)
        requests.post(f"{portal.root_url}/_control/score",
                      json={"kyBaoCao": "2026-03", "CKMB": 16.5, "TDGQ": 18,
                      "TTTT": 9, "MDHL": 17, "MDSH": 12, "TONG_SCORE": 72.5}, timeout=5)
        runner = app.test_cli_runner()
        out = runner.invoke(args=["onestop", "dvcqg", "score", "2026-03"]).output
        assert "TDGQ       18" in out and "TONG_SCORE 72.5" in out
        assert "chưa công bố" in runner.invoke(args=["onestop", "dvcqg", "score", "2026-04"]).output
        assert runner.invoke(args=["onestop", "dvcqg", "score", "03/2026"]).exit_code == 2


def test_resend_with_sync_off_queues_nothing(auth, app, client, session):
    d = receive(session, now=datetime.now(UTC)).dossier
    session.flush()
    auth.login("t_admin")
    resp = client.post(f"/admin/dvcqg/resend/{d.code}", follow_redirects=True)
    assert "Chưa bật đồng bộ" in resp.get_data(as_text=True)
    assert session.query(DvcqgOutbox).count() == 0
    assert app.test_cli_runner().invoke(args=["onestop", "dvcqg", "resend", d.code]).exit_code == 2
