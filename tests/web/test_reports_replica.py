"""Heavy reads on a read replica (onestop/database/replica.py, onestop/services/reporting/replica.py): with
REPORTS_DATABASE_URL set, the Form 06 page and API read through a second engine, and the moment they
claim is the earlier of now and the replica's last replayed commit (docs/operations.md, "The reports
replica")."""
from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import event

from onestop.services.reporting.replica import as_of_for, replica_as_of
from tests.factories import PASSWORD
from tests.services.test_reports_data import build_march
from tests.times import hanoi

NOW = hanoi(2026, 4, 1, 9)


@pytest.fixture(autouse=True)
def fixed_clock():
    with patch("onestop.web.reports.utcnow", return_value=NOW):
        yield


def test_the_moment_tolerates_replica_lag():
    lagging = NOW - timedelta(minutes=3)
    assert as_of_for(True, lagging, NOW) == lagging  # a lagging replica: its last replayed commit
    assert as_of_for(True, NOW + timedelta(seconds=1), NOW) == NOW  # clocks apart: never after now
    assert as_of_for(False, None, NOW) == NOW  # the primary
    assert as_of_for(True, None, NOW) == NOW


def test_the_primary_or_sqlite_claims_now(session):
    assert replica_as_of(session, NOW) == NOW


def test_form06_reads_through_the_reports_engine(app, client, session):
    build_march(session)
    session.commit()
    r = client.post("/login", data={"username": "t_head", "password": PASSWORD})
    assert r.status_code == 303
    url = "/reports/form06?agency=000.00.31.H25&kind=month&value=2026-03"
    direct = client.get(url).get_data(as_text=True)
    app.config["REPORTS_DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]  # the "replica"
    try:
        from onestop.database.replica import reports_engine

        with app.app_context():
            engine = reports_engine()
        assert engine is not None
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute",
                     lambda conn, cursor, stmt, *a: statements.append(stmt))
        via_replica = client.get(url)
        assert via_replica.status_code == 200
        assert any("dossiers" in s for s in statements)  # the report's SELECTs went to the replica
        assert via_replica.get_data(as_text=True).count("31/03") == direct.count("31/03")
        assert "Số liệu tính đến" in via_replica.get_data(as_text=True)
    finally:
        app.config["REPORTS_DATABASE_URL"] = ""
