"""The demo history: created through the services, every status present,
consistent event log, idempotent seeding. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from sqlalchemy import func, select

from onestop.demo.seed import seed_demo
from onestop.domain.status import FINISHED, DossierStatus
from onestop.models import Agency, Dossier, DossierEvent, Rating, User
from onestop.services.admin.calendars import calendar_for
from tests.factories import key
from tests.times import MONDAY

# Monday 02/03/2026 09:00 in Hà Nội.
NOW = MONDAY
CREATION_ACTIONS = {"receive", "request_supplement", "refuse", "submit_online"}


def test_two_months_of_demo_history_through_the_services(session):
    """One seeding per engine (it takes seconds), then every property of the history."""
    report = seed_demo(session, now=NOW, lookup_key=key(), months=2, per_day=4, if_empty=True)
    assert "history:" in report
    for check in (_every_status, _codes_unique, _event_log_consistent, _finished_iff_finish_time,
                  _desk_receptions_in_office_hours, _lateness_supplements_lien_thong,
                  _seeding_again_adds_nothing):
        check(session)


def _every_status(seeded):
    statuses = set(seeded.scalars(select(Dossier.status).distinct()))
    assert statuses == {s.value for s in DossierStatus}


def _codes_unique(seeded):
    total = seeded.scalar(select(func.count(Dossier.id)))
    distinct = seeded.scalar(select(func.count(func.distinct(Dossier.code))))
    assert total and total == distinct
    assert total > 100  # 2 months × ~4 a working day


def _event_log_consistent(seeded):
    events: dict[int, list[DossierEvent]] = defaultdict(list)
    for ev in seeded.scalars(select(DossierEvent).order_by(DossierEvent.dossier_id, DossierEvent.seq)):
        events[ev.dossier_id].append(ev)
    dossiers = seeded.scalars(select(Dossier)).all()
    for d in dossiers:
        evs = events[d.id]
        assert evs, d.code
        assert evs[0].action in CREATION_ACTIONS and evs[0].from_status is None, d.code
        assert [e.seq for e in evs] == list(range(1, len(evs) + 1)), d.code
        for prev, nxt in pairwise(evs):
            assert nxt.from_status == prev.to_status, d.code
            assert nxt.at >= prev.at, d.code
        assert evs[-1].to_status == d.status, d.code
        assert all(e.at <= NOW for e in evs), d.code


def _finished_iff_finish_time(seeded):
    for d in seeded.scalars(select(Dossier)):
        assert (DossierStatus(d.status) in FINISHED) == (d.finished_at is not None), d.code
        assert (d.returned_at is not None) == (d.status == "returned"), d.code


def _desk_receptions_in_office_hours(seeded):
    rows = seeded.execute(
        select(Dossier, Agency).join(Agency, Agency.id == Dossier.receiving_agency_id)
        .where(Dossier.channel != "online")
    ).all()
    assert rows
    for d, agency in rows:
        assert calendar_for(seeded, agency).is_office_time(d.submitted_at), d.code


def _lateness_supplements_lien_thong(seeded):
    actions = dict(seeded.execute(
        select(DossierEvent.action, func.count()).group_by(DossierEvent.action)).all())
    for action in ("transfer", "assign", "request_supplement", "provide_supplement", "hand_off",
                   "acknowledge", "complete", "return_result"):
        assert actions.get(action, 0) > 0, action
    finished = seeded.scalars(select(Dossier).where(Dossier.status.in_(["result_ready", "returned"]))).all()
    late = [d for d in finished if d.finished_at > d.due_at]
    assert 0 < len(late) < len(finished) * 0.3
    assert seeded.scalar(select(func.count(Rating.id))) > 0
    channels = set(seeded.scalars(select(Dossier.channel).distinct()))
    assert {"direct", "online"} <= channels


def _seeding_again_adds_nothing(seeded):
    dossiers = seeded.scalar(select(func.count(Dossier.id)))
    events = seeded.scalar(select(func.count(DossierEvent.id)))
    users = seeded.scalar(select(func.count(User.id)))
    report = seed_demo(seeded, now=NOW, lookup_key=key(), months=2, per_day=4, if_empty=True)
    assert "không tạo thêm" in report
    assert seeded.scalar(select(func.count(Dossier.id))) == dossiers
    assert seeded.scalar(select(func.count(DossierEvent.id))) == events
    assert seeded.scalar(select(func.count(User.id))) == users


def test_seeding_reports_progress_at_day_boundaries_for_batched_commits(session):
    """The seed-demo command commits and prints at each checkpoint: reference data first, then
    after every day of history with the running count (never in the middle of a dossier)."""
    seen: list[tuple[str, object, int]] = []

    def checkpoint(stage: str, day: object, n: int) -> None:
        seen.append((stage, day, n))
        # Whole dossiers only: every dossier counted so far has its creation event.
        created = session.scalar(select(func.count(func.distinct(DossierEvent.dossier_id))))
        assert created == session.scalar(select(func.count(Dossier.id)))

    seed_demo(session, now=NOW, lookup_key=key(), months=1, per_day=3, if_empty=True, checkpoint=checkpoint)
    assert seen[0] == ("reference", None, 0)
    days = [d for stage, d, _ in seen[1:]]
    counts = [n for _, _, n in seen[1:]]
    assert all(stage == "history" for stage, _, _ in seen[1:]) and len(days) >= 28
    assert days == sorted(days) and counts == sorted(counts) and counts[-1] > 0
    assert counts[-1] == session.scalar(select(func.count(Dossier.id)))


def test_bulk_written_history_obeys_the_rules_and_the_database_keeps_working(session):
    """The history is computed by the services in a scratch database and written in bulk: every
    row must still be what the law's rules give — status = fold of the events through the
    transition table, due time = the deadline code's answer for the stored reception time, limit
    and pauses, one code per dossier from the per-desk daily sequences, Form 06 identities — and
    the target's id sequences and code counters must go on from the written rows."""
    from datetime import date

    from onestop.domain.workflow import next_status
    from onestop.models import CodeSequence, Procedure
    from onestop.services.dossiers.applicant import Applicant
    from onestop.services.dossiers.clock import compute_dossier_due
    from onestop.services.dossiers.reception import ReceptionInput, receive_dossier
    from onestop.services.reporting import reports

    seed_demo(session, now=NOW, lookup_key=key(), months=1, per_day=4, if_empty=True)
    events: dict[int, list[DossierEvent]] = defaultdict(list)
    for ev in session.scalars(select(DossierEvent).order_by(DossierEvent.dossier_id, DossierEvent.seq)):
        events[ev.dossier_id].append(ev)
    dossiers = session.scalars(select(Dossier)).all()
    assert len(dossiers) > 50
    with_due = 0
    for d in dossiers:
        status = None
        for ev in events[d.id]:
            status = next_status(status, ev.action)
        assert status is not None and status.value == d.status, d.code
        if d.clock_base_at is not None:
            assert compute_dossier_due(session, d).due_at == d.due_at, d.code
            with_due += 1
    assert with_due > len(dossiers) // 2
    # One code per dossier, drawn from the desk's counter of its day.
    assert session.scalar(select(func.sum(CodeSequence.last_seq))) == len(dossiers)
    root = session.scalars(select(Agency).where(Agency.parent_id.is_(None))).one()
    report = reports.form06(session, root, date(2026, 2, 1), date(2026, 3, 2), now=NOW)
    assert report.rows and report.identity_errors() == []
    # The database goes on from the written rows: a new reception gets the next id and code.
    clerk = session.scalars(select(User).where(User.username == "tinh.motcua")).one()
    proc = session.scalars(select(Procedure).where(Procedure.receiving_kind == clerk.agency.kind,
                                                   Procedure.active.is_(True)).order_by(Procedure.code)).first()
    assert proc is not None
    data = ReceptionInput(proc.code,
                          Applicant(name="Nguyễn Văn An", id_number="017090123456", phone="0912345678",
                                               email="", address="Xóm Mới, xã Tân Lạc, tỉnh Phú Thọ"),
                          channel="direct", outcome="receive", missing_items=[], reason="", documents=[])
    new = receive_dossier(session, data, agency=clerk.agency, actor=clerk, now=NOW, lookup_key=key()).dossier
    session.flush()
    assert new.id > max(d.id for d in dossiers)
    assert new.code not in {d.code for d in dossiers}
