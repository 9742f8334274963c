"""The 15-minute scan reads only what can still cross a threshold (docs/operations.md §14): a scan
after a long gap (the scheduler was down) catches every crossing exactly once, and a due time
moved after the last scan — by a calendar edit or the end of a pause — is still caught."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import select

from jobs import run_job
from onestop.models import CalendarExceptionRow, Dossier, Notification
from onestop.services.admin.calendar_changes import add_calendar_exception, delete_calendar_exception
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import AssignInput, PaymentRequestInput
from tests.factories import receive, user
from tests.times import hanoi


def scan_notes(session) -> Counter[tuple[str, int]]:
    """(kind, dossier id) of the scan's notifications, counted."""
    rows = session.execute(select(Notification.kind, Notification.dossier_id)
                           .where(Notification.kind.in_(["overdue", "due_soon"]))).all()
    return Counter((k, int(d)) for k, d in rows)


def flags(session, d: Dossier) -> tuple[datetime | None, datetime | None]:
    session.expire_all()
    fresh = session.get(Dossier, d.id)
    return fresh.due_soon_flagged_at, fresh.overdue_flagged_at


def test_a_scan_after_a_long_gap_catches_every_crossing_exactly_once(app, session):
    # Five working days each (1.004884): due Mon 09/03, Tue 10/03, Wed 11/03 and Thu 12/03, 17:00.
    late = [receive(session, now=hanoi(2026, 3, day, 9)).dossier for day in (2, 3, 4)]
    soon = receive(session, now=hanoi(2026, 3, 5, 9)).dossier
    # A dossier whose clock a payment pause stopped before its due time stays unflagged.
    paused = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, paused, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9, 5))
    apply_action(session, paused, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=hanoi(2026, 3, 2, 10))
    apply_action(session, paused, "request_payment",
                 PaymentRequestInput(reason="Lệ phí"),
                 actor=user(session, "t_officer"), now=hanoi(2026, 3, 3, 9))
    session.commit()
    assert run_job(app, "overdue", hanoi(2026, 3, 5, 10))["overdue"] == 0
    # The scheduler is down from Thursday 05/03 to Thursday 12/03 09:00.
    catch_up = hanoi(2026, 3, 12, 9)
    first = run_job(app, "overdue", catch_up)
    assert (first["overdue"], first["due_soon"]) == (3, 1)
    for d in late:
        assert flags(session, d) == (None, catch_up)
    assert flags(session, soon) == (catch_up, None)
    assert flags(session, paused) == (None, None)
    # The later scans, until the due-soon one's due time, flag and notify nothing more.
    for k in range(1, 32, 3):
        again = run_job(app, "overdue", catch_up + timedelta(minutes=15 * k))
        assert again["overdue"] == again["due_soon"] == again["notified"] == 0, k
    expected = {("overdue", d.id): 1 for d in late} | {("due_soon", soon.id): 1}
    assert scan_notes(session) == expected  # unassigned: the commune's one head, once per dossier
    # Then the due-soon dossier crosses its due time: flagged overdue once more, and only it.
    after = run_job(app, "overdue", hanoi(2026, 3, 12, 17, 15))
    assert after["overdue"] == 1 and flags(session, soon) == (catch_up, hanoi(2026, 3, 12, 17, 15))


def test_a_due_time_moved_back_before_the_last_scan_by_a_calendar_edit_is_caught(app, session):
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    assert d.due_at == hanoi(2026, 3, 9, 17)
    admin = user(session, "t_admin")
    # Wednesday 04/03 closed nationwide: the due time moves to Tuesday 10/03 17:00.
    add_calendar_exception(session, on=date(2026, 3, 4), working=False, note="Bão", agency=None,
                           actor=admin, now=hanoi(2026, 3, 3, 9))
    session.commit()
    assert d.due_at == hanoi(2026, 3, 10, 17)
    assert run_job(app, "overdue", hanoi(2026, 3, 9, 17, 30))["overdue"] == 0
    # The closure is withdrawn after that scan: the due time goes back to 09/03 17:00, before it.
    row = session.scalar(select(CalendarExceptionRow))
    assert delete_calendar_exception(session, row.id, actor=admin, now=hanoi(2026, 3, 9, 17, 40)) == 1
    session.commit()
    now = hanoi(2026, 3, 9, 17, 45)
    assert run_job(app, "overdue", now)["overdue"] == 1
    assert flags(session, d)[1] == now
    assert run_job(app, "overdue", now + timedelta(minutes=15))["overdue"] == 0


def test_a_pause_ending_after_the_old_due_time_is_caught_at_the_new_one(app, session):
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 2, 9, 5))
    apply_action(session, d, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=hanoi(2026, 3, 2, 10))
    apply_action(session, d, "request_payment",
                 PaymentRequestInput(reason="Lệ phí"),
                 actor=user(session, "t_officer"), now=hanoi(2026, 3, 3, 9))
    session.commit()
    old_due = d.due_at
    # Past the old due time, but the clock stopped in time: not overdue.
    assert run_job(app, "overdue", old_due + timedelta(hours=16))["overdue"] == 0
    apply_action(session, d, "confirm_payment", actor=user(session, "t_officer"), now=hanoi(2026, 3, 10, 10))
    session.commit()
    new_due = d.due_at
    assert new_due is not None and new_due > hanoi(2026, 3, 10, 10) > old_due
    assert run_job(app, "overdue", new_due - timedelta(minutes=1))["overdue"] == 0
    assert run_job(app, "overdue", new_due + timedelta(minutes=15))["overdue"] == 1
    assert flags(session, d)[1] == new_due + timedelta(minutes=15)
    assert run_job(app, "overdue", new_due + timedelta(minutes=30))["overdue"] == 0
    assert scan_notes(session)[("overdue", d.id)] == 1
