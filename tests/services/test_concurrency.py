"""Concurrency: parallel receptions get distinct consecutive
codes; parallel conflicting actions on one dossier apply exactly once. Real commits
from real threads (each with its own app context and session) on SQLite (WAL, busy
timeout, BEGIN IMMEDIATE — onestop/database/events.py) and PostgreSQL."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from onestop.domain.workflow import IllegalTransition
from onestop.extensions import db
from onestop.models import Dossier, DossierEvent
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import ActionInput, AssignInput, CompleteInput
from onestop.services.errors import Conflict
from tests.factories import receive, user
from tests.times import MONDAY

MON_10 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _run_together(app: Flask, n: int, work: Callable[[int], Any]) -> list[Any]:
    """Start ``n`` threads at once (a barrier); each runs ``work(i)`` inside its own app
    context (so its own session), commits on success and rolls back on error. Returns
    each thread's result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def target(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


@pytest.mark.parametrize("n", [50, 100])
def test_parallel_receptions_get_distinct_consecutive_codes(committed: Flask, n: int) -> None:
    def work(i: int) -> str:
        return receive(db.session, now=MONDAY, name="Nguyễn Văn An").dossier.code

    results = _run_together(committed, n, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert len(set(results)) == n
    assert sorted(int(c[-4:]) for c in results) == list(range(1, n + 1))
    assert all(c.startswith("000.01.31.H25-260302-") for c in results)
    with committed.app_context():
        assert db.session.scalar(select(func.count(Dossier.id))) == n
        assert db.session.scalar(select(func.count(DossierEvent.id))) == n


def _received_dossier(app: Flask) -> tuple[int, int]:
    with app.app_context():
        d = receive(db.session, now=MONDAY).dossier
        db.session.commit()
        out = d.id, d.version
        db.session.remove()
        return out


def _processing_dossier(app: Flask) -> tuple[int, int]:
    with app.app_context():
        s = db.session
        d = receive(s, now=MONDAY).dossier
        apply_action(s, d, "transfer", actor=user(s, "t_clerk"), now=MONDAY)
        apply_action(s, d, "assign",
                     AssignInput(officer_id=user(s, "t_officer").id), actor=user(s, "t_head"), now=MONDAY)
        s.commit()
        out = d.id, d.version
        s.remove()
        return out


@pytest.mark.parametrize(
    ("action", "actor", "prepare", "extra"),
    [
        ("transfer", "t_clerk", _received_dossier, None),
        ("complete", "t_officer", _processing_dossier, CompleteInput(result="Đã cấp")),
    ],
)
def test_parallel_conflicting_actions_apply_exactly_once(
    committed: Flask, action: str, actor: str, prepare: Callable[[Flask], tuple[int, int]],
    extra: ActionInput | None,
) -> None:
    """20 clerks/officers press the same button on the same version of the form: one
    wins, the others get a clear conflict (or, having read the dossier after the
    winner committed, an illegal transition) and change nothing."""
    dossier_id, version = prepare(committed)

    def work(i: int) -> str:
        s = db.session
        d = s.get(Dossier, dossier_id)
        assert d is not None
        apply_action(s, d, action, extra, actor=user(s, actor), now=MON_10, expected_version=version)
        return "applied"

    results = _run_together(committed, 20, work)
    kinds = Counter("applied" if r == "applied" else type(r).__name__ for r in results)
    assert kinds["applied"] == 1, kinds
    assert all(isinstance(r, Conflict | IllegalTransition) for r in results if r != "applied"), results
    with committed.app_context():
        d = db.session.get(Dossier, dossier_id)
        assert d is not None and d.version > version
        events = db.session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier_id)
                                    .order_by(DossierEvent.seq)).all()
        assert [e.action for e in events].count(action) == 1
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[-1].to_status == d.status
        assert len(d.legs) == len({leg.seq for leg in d.legs})
