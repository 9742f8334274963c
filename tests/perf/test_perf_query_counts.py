"""Query counts per page ("no N+1 on list pages"): the
number of SQL statements a page issues is bounded and does NOT grow with the number of
dossiers it lists — measured with 3 and then 30 dossiers on the page, counting every
statement the engine executes (``before_cursor_execute``) during the request.

Each page is requested once before counting (the working calendar is cached per
process after its first build; that one-off query is not per-request cost).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import event

from onestop.domain.status import DossierAction as A
from onestop.services.admin.accounts import issue_token
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import AssignInput
from tests.factories import client_as, receive, user
from tests.times import MONDAY

# A generous absolute ceiling as well: a page that needs more has a design problem.
CEILING = 40


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    from onestop.extensions import db

    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def add_dossiers(session, n: int, *, assign: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    clerk, head, officer = (user(session, u) for u in ("t_clerk", "t_head", "t_officer"))
    codes = []
    for i in range(n):
        d = receive(session, now=MONDAY, name="Nguyễn Văn An", address=f"Số {i} xóm Mới").dossier
        apply_action(session, d, A.TRANSFER, actor=clerk, now=MONDAY)
        if assign and i % 2 == 0:
            apply_action(session, d, A.ASSIGN, AssignInput(officer_id=officer.id), actor=head, now=MONDAY)
        codes.append(d.code)
    session.commit()
    return codes


def measure(app: Flask, who: str | None, do: Any) -> tuple[int, list[str], str]:
    client = client_as(app, who)
    first = do(client)
    assert first.status_code == 200, first.status_code
    g.pop("_login_user", None)
    with count_queries(app) as stmts:
        r = do(client)
    assert r.status_code == 200
    return len(stmts), stmts, r.get_data(as_text=True)


PAGES = {
    "worklist": ("t_officer", lambda c, w: c.get("/worklist")),
    "inbox": ("t_head", lambda c, w: c.get("/inbox")),
    "register": ("t_clerk", lambda c, w: c.get("/reception/register")),
    "register_search": ("t_clerk", lambda c, w: c.get("/reception/register?name=nguyen+van+an")),
    "dashboard": ("t_head", lambda c, w: c.get("/reports/dashboard")),
    "dossier_page": ("t_head", lambda c, w: c.get(f"/dossiers/{w['code']}")),
    "lookup_result": (None, lambda c, w: c.post("/lookup", data={"code": w["code"], "secret": w["secret"]})),
    "api_get_dossier": (None, lambda c, w: c.get(f"/api/v1/dossiers/{w['code']}",
                                                 headers={"Authorization": f"Bearer {w['token']}"})),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_query_count_does_not_grow_with_the_dossiers_listed(app: Flask, session, page: str) -> None:  # type: ignore[no-untyped-def]
    who, call = PAGES[page]
    focus = receive(session, now=MONDAY)
    apply_action(session, focus.dossier, A.TRANSFER, actor=user(session, "t_clerk"), now=MONDAY)
    world = {"code": focus.dossier.code, "secret": focus.secret,
             "token": issue_token(session, user(session, "t_head"), now=MONDAY)}
    add_dossiers(session, 2)
    few, few_sql, _ = measure(app, who, lambda c: call(c, world))
    codes = add_dossiers(session, 27)
    many, many_sql, body = measure(app, who, lambda c: call(c, world))
    if page in LISTS:  # the page really lists the new dossiers (else the comparison proves nothing)
        assert sum(code in body for code in codes) >= LISTS[page], page
    assert few <= CEILING, few_sql
    assert many == few, "\n---\n".join(many_sql)


# How many of the 27 added dossiers each list page must show (worklist: those assigned to the
# officer or unassigned at UBND — all of them; dashboard: none are overdue yet, so it is not a list here).
LISTS = {"worklist": 27, "inbox": 27, "register": 27, "register_search": 27}


def test_a_reception_through_the_api_reads_nothing_it_already_holds(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    """POST /api/v1/dossiers (docs/benchmarks.md, "Reception throughput"): the token with its user and
    desk in one read, the procedure, the code sequence, the two INSERTs and the new dossier's events —
    no lazy load of the hand-offs and pauses a dossier inserted a moment ago cannot have, and no read
    of the clerk and desk the request already holds to name the event's actor."""
    from unittest.mock import patch

    raw = issue_token(session, user(session, "t_clerk"), now=MONDAY)
    session.commit()
    body = {"procedure_code": "1.004884", "channel": "direct",
            "applicant": {"name": "Nguyễn Văn An", "id_number": "001090012345", "phone": "0912345678"}}
    client = app.test_client()
    with patch("onestop.web.api.utcnow", return_value=MONDAY):
        assert client.post("/api/v1/dossiers", headers={"Authorization": f"Bearer {raw}"},
                           json=body).status_code == 201
        with count_queries(app) as stmts:
            r = client.post("/api/v1/dossiers", headers={"Authorization": f"Bearer {raw}"}, json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["events"][0]["actor"] == "t_clerk"
    assert r.get_json()["events"][0]["agency"] == r.get_json()["receiving_agency"]
    # The calendar generation check is read at most every CALENDAR_CHECK_SECONDS (every request in tests).
    stmts = [s for s in stmts if "calendar_state" not in s and not s.lstrip().upper().startswith("COMMIT")]
    tables = [s.split(" FROM ", 1)[-1].split()[0] if s.lstrip().upper().startswith("SELECT")
              else " ".join(s.split()[:3]) for s in stmts]
    assert len(stmts) <= 6, "\n---\n".join(stmts)
    assert not {"pause_intervals", "handoff_legs", "users", "agencies"} & set(tables), tables
