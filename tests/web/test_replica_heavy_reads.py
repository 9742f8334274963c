"""The other heavy reads on the reports replica (docs/operations.md, "The reports replica"): with
REPORTS_DATABASE_URL set, the 766 index page and API, the scores page and API (with the what-if) and
the overdue export read through the second engine, and the moment they claim is the one the replica
allows (a lagging replica: its last replayed commit, onestop/services/reporting/replica.py)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from flask import Flask
from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from onestop.extensions import db
from onestop.models import ScoringRuleRow
from onestop.services.reporting.replica import replica_as_of
from onestop.services.reporting.scores import seed_scoring_rules
from tests.services.test_reports_data import build_march
from tests.times import hanoi

NOW = hanoi(2026, 4, 1, 9)
LAG = NOW - timedelta(minutes=3)  # the replica's last replayed commit


@pytest.fixture
def rules_committed(app: Flask) -> Iterator[None]:
    """The default scoring rules committed for real, as on a replica that has replayed them: the
    test's own unit of work is invisible to a second engine. Requested before ``session`` so it is
    removed after that unit of work is rolled back."""
    with app.app_context():
        with Session(bind=db.engine) as s:
            seed_scoring_rules(s, NOW)
            s.commit()
    yield
    with app.app_context():
        with Session(bind=db.engine) as s:
            s.execute(delete(ScoringRuleRow))
            s.commit()


@pytest.fixture
def replica(app: Flask) -> Iterator[tuple[Engine, list[str], list[Any]]]:
    """The same database under a second engine; the statements it runs and the moments the views
    were given (a lagging replica's moment when asked through that engine, now otherwise)."""
    app.config["REPORTS_DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    from onestop.database.replica import reports_engine

    with app.app_context():
        engine = reports_engine()
    assert engine is not None
    statements: list[str] = []
    moments: list[Any] = []

    def listener(conn: Any, cursor: Any, stmt: str, *a: Any) -> None:
        statements.append(stmt)

    def lagging(session: Any, now: Any) -> Any:
        moment = LAG if session.get_bind() is engine else replica_as_of(session, now)
        moments.append(moment)
        return moment

    event.listen(engine, "before_cursor_execute", listener)
    patches = [patch(f"onestop.web.{m}.utcnow", return_value=NOW) for m in ("reports", "scores", "index766")]
    patches += [patch(f"onestop.web.{m}.replica_as_of", lagging) for m in ("reports", "scores", "index766")]
    for p in patches:
        p.start()
    try:
        yield engine, statements, moments
    finally:
        for p in patches:
            p.stop()
        event.remove(engine, "before_cursor_execute", listener)
        app.config["REPORTS_DATABASE_URL"] = ""


def test_index766_page_and_api_read_the_replica_at_its_moment(rules_committed, replica, auth, client,
                                                               session):
    engine, statements, moments = replica
    build_march(session)
    session.commit()
    auth.login("t_head")
    api = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-04&by=desk")
    assert api.status_code == 200, api.get_data(as_text=True)[:300]
    assert any("dossiers" in s for s in statements)  # the index's SELECTs went to the replica
    assert moments == [LAG]
    assert api.get_json()["as_of"] == LAG.isoformat()
    statements.clear()
    page = client.get("/index766?agency=000.00.31.H25&period=2026-04&by=desk")
    assert page.status_code == 200
    assert any("dossiers" in s for s in statements)
    assert f'data-as-of="{LAG.isoformat()}"' in page.get_data(as_text=True)
    assert "Số liệu tính đến 01/04/2026 08:57" in page.get_data(as_text=True)


def test_scores_page_what_if_and_api_read_the_replica_at_its_moment(rules_committed, replica, auth, client,
                                                                     session):
    engine, statements, moments = replica
    build_march(session)
    session.commit()
    auth.login("t_head")
    page = client.get("/scores?agency=000.00.31.H25&from=2026-03-01&to=2026-04-01&days=3")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert any("dossiers" in s for s in statements)  # the scores and what-if went to the replica
    assert moments == [LAG]
    assert f'data-as-of="{LAG.isoformat()}"' in page.get_data(as_text=True)
    statements.clear()
    api = client.get("/api/v1/scores?agency=000.00.31.H25&from=2026-03-01&to=2026-04-01&days=3")
    assert api.status_code == 200
    assert any("dossiers" in s for s in statements)
    assert api.get_json()["as_of"] == LAG.isoformat()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_overdue_export_reads_the_replica_at_its_moment(replica, auth, client, session, fmt):
    engine, statements, moments = replica
    build_march(session)
    session.commit()
    auth.login("t_head")
    r = client.get(f"/reports/overdue.{fmt}?agency=000.00.31.H25")
    assert r.status_code == 200
    assert any("dossiers" in s for s in statements)  # the list's keyset pages went to the replica
    assert moments == [LAG]


def test_without_a_replica_the_moment_is_now(rules_committed, auth, client, session):
    build_march(session)
    session.commit()
    auth.login("t_head")
    with patch("onestop.web.index766.utcnow", return_value=NOW), \
            patch("onestop.web.scores.utcnow", return_value=NOW):
        api = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-04&by=desk")
    assert api.get_json()["as_of"] == NOW.isoformat()
