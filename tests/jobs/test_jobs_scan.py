"""The 15-minute scan, the digest, supplements, feedback and the calendar check, each under a fixed
``now`` (across Tết 2026 and the working Saturday 2026-08-22) and run twice to prove idempotence."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from jobs import run_job
from onestop.domain.calendar import WorkingCalendar
from onestop.models import Dossier, Feedback, HandoffLeg, Notification, OutboxMessage, PauseInterval
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import AssignInput, CompleteInput, SupplementRequestInput
from onestop.services.dossiers.scanning import check_next_year_calendar
from tests.factories import agency, receive, user
from tests.notes import said
from tests.times import hanoi

# Thursday 12/02/2026 10:00: 5 working days → Tết (14–22/02) → due 26/02/2026 17:00 (docs/domain.md §5).
THU = hanoi(2026, 2, 12, 10)


def notes(session, kind: str | None = None) -> list[tuple[str, str]]:
    # The scans' notifications only: the actions that set a case up notify too (assigned, …).
    q = select(Notification).where(Notification.kind.not_in(
        ["assigned", "handed_to_agency", "acknowledged", "handed_back", "result_ready"])
    ).order_by(Notification.id)
    if kind:
        q = q.where(Notification.kind == kind)
    return [(n.kind, session.get(type(user(session, "t_head")), n.user_id).username)
            for n in session.scalars(q)]


def outbox(session) -> list[str]:
    """The scans' messages (the per-event citizen messages of docs/guide-clerk.md are left out)."""
    return [m.dedupe_key for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if not m.dedupe_key.startswith("citizen:")]


def flags(session, d: Dossier) -> tuple[datetime | None, datetime | None]:
    session.expire_all()
    fresh = session.get(Dossier, d.id)
    return fresh.due_soon_flagged_at, fresh.overdue_flagged_at


def test_dossier_due_after_tet_is_not_due_soon_during_tet_but_is_the_day_before(app, session):
    d = receive(session, now=THU, email="an@example.vn").dossier
    assert d.due_at == hanoi(2026, 2, 26, 17)
    # Friday 20/02 is inside Tết: one working day from then ends Monday 23/02 17:00.
    assert run_job(app, "overdue", hanoi(2026, 2, 20, 10))["due_soon"] == 0
    assert flags(session, d) == (None, None)
    # Wednesday 25/02 17:00: one working day later is exactly the due time → due soon.
    now = hanoi(2026, 2, 25, 17)
    first = run_job(app, "overdue", now)
    assert first == {"overdue": 0, "due_soon": 1, "legs_overdue": 0, "notified": 1, "emailed": 0}
    # Unassigned, at the commune's one-stop centre (no head of its own): the commune's head.
    assert notes(session) == [("due_soon", "t_head")]
    second = run_job(app, "overdue", now)
    assert second == {"overdue": 0, "due_soon": 0, "legs_overdue": 0, "notified": 0, "emailed": 0}
    assert len(notes(session)) == 1
    assert flags(session, d) == (now, None)


def test_overdue_dossier_notifies_the_assignee_once_and_emails_the_citizen_once(app, session):
    d = receive(session, now=THU, email="an@example.vn", notify_consent=True, notify_channel="email").dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=THU)
    apply_action(session, d, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=THU)
    late = hanoi(2026, 2, 26, 17, 15)
    r1 = run_job(app, "overdue", late)
    assert r1["overdue"] == 1 and r1["legs_overdue"] == 1 and r1["emailed"] == 1
    # The assignee for the dossier; the heads of the agency holding the liên thông leg.
    assert sorted(notes(session)) == [("leg_overdue", "t_head"), ("overdue", "t_officer")]
    assert outbox(session) == [f"email:overdue:{d.id}"]
    r2 = run_job(app, "overdue", late + timedelta(minutes=15))
    assert r2 == {"overdue": 0, "due_soon": 0, "legs_overdue": 0, "notified": 0, "emailed": 0}
    assert len(notes(session)) == 2 and len(outbox(session)) == 1
    session.expire_all()
    assert session.get(HandoffLeg, d.legs[0].id).overdue_flagged_at == late
    # Overdue is not a status: the dossier's status and version are untouched by the scan.
    assert session.get(Dossier, d.id).status == "processing"


def test_finished_and_paused_dossiers_are_never_flagged(app, session):
    done = receive(session, now=THU).dossier
    apply_action(session, done, "transfer", actor=user(session, "t_clerk"), now=THU)
    apply_action(session, done, "complete",
                 CompleteInput(result="xong"), actor=user(session, "t_head"), now=THU)
    paused = receive(session, now=THU).dossier
    apply_action(session, paused, "request_supplement",
                 SupplementRequestInput(missing_items=("Giấy chứng sinh",), reason="Thiếu giấy tờ"),
                 actor=user(session, "t_clerk"), now=THU)
    assert run_job(app, "overdue", hanoi(2026, 3, 10, 9))["overdue"] == 0


def test_working_saturday_counts_for_due_soon_overdue_and_the_digest(app, session):
    # Friday 21/08/2026 10:00, 1 working day → Saturday 22/08 17:00 (a working Saturday).
    d = receive(session, now=hanoi(2026, 8, 21, 10), procedure_code="1.000894").dossier
    assert d.due_at == hanoi(2026, 8, 22, 17)
    sat_morning = hanoi(2026, 8, 22, 7)
    assert run_job(app, "overdue", sat_morning)["due_soon"] == 1
    digest = run_job(app, "digest", sat_morning)
    assert digest["heads"] >= 1
    head = user(session, "t_head")
    msg = said(session.scalars(select(Notification).where(Notification.kind == "digest",
                                                         Notification.user_id == head.id)).one())
    assert "0 hồ sơ quá hạn, 1 hồ sơ sắp đến hạn" in msg and "Chưa phân công" in msg
    assert run_job(app, "digest", sat_morning)["heads"] == 0  # once a day
    assert run_job(app, "overdue", hanoi(2026, 8, 22, 17, 30))["overdue"] == 1
    # Sunday 23/08 is not a working day: no digest.
    assert "skipped" in run_job(app, "digest", hanoi(2026, 8, 23, 7))


def test_no_digest_during_tet(app, session):
    receive(session, now=THU)
    assert "skipped" in run_job(app, "digest", hanoi(2026, 2, 17, 7))
    assert notes(session, "digest") == []


def test_lapsed_supplement_reminds_then_escalates_to_the_desk_once(app, session):
    d = receive(session, now=THU, email="an@example.vn", notify_consent=True, notify_channel="email").dossier
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(missing_items=("Giấy chứng sinh",), reason="Thiếu giấy tờ",
                                        respond_by=hanoi(2026, 2, 27, 17)),
                 actor=user(session, "t_clerk"), now=hanoi(2026, 2, 13, 9))
    assert run_job(app, "supplements", hanoi(2026, 2, 27, 16))["reminded"] == 0
    r1 = run_job(app, "supplements", hanoi(2026, 3, 2, 9))  # Monday
    assert r1 == {"reminded": 1, "messages": 1, "escalated": 0, "notified": 0}
    pause = session.scalar(select(PauseInterval).where(PauseInterval.dossier_id == d.id))
    assert sorted(outbox(session)) == [f"email:supplement:{pause.id}"]
    assert run_job(app, "supplements", hanoi(2026, 3, 2, 10)) == {"reminded": 0, "messages": 0,
                                                                "escalated": 0, "notified": 0}
    # A full working day after the reminder: the desk that received it is told.
    r3 = run_job(app, "supplements", hanoi(2026, 3, 3, 9, 30))
    assert r3["escalated"] == 1 and notes(session, "supplement_lapsed") == [("supplement_lapsed", "t_clerk")]
    assert run_job(app, "supplements", hanoi(2026, 3, 4, 9))["notified"] == 0


def test_overdue_feedback_is_flagged_and_the_heads_told_once(app, session):
    d = receive(session, now=THU).dossier
    session.add(Feedback(code="PAKN-1", dossier_id=d.id, agency_id=agency(session, "000.00.31.H25").id,
                         content="Chậm", created_at=THU, due_at=hanoi(2026, 3, 10, 17)))
    session.flush()
    assert run_job(app, "feedback", hanoi(2026, 3, 10, 16)) == {"flagged": 0, "notified": 0}
    assert run_job(app, "feedback", hanoi(2026, 3, 11, 8)) == {"flagged": 1, "notified": 1}
    assert run_job(app, "feedback", hanoi(2026, 3, 11, 9)) == {"flagged": 0, "notified": 0}
    assert notes(session) == [("feedback_overdue", "t_head")]


def test_november_check_warns_admins_once_when_next_year_lacks_tet(session):
    now = hanoi(2026, 11, 2, 8)
    no_tet = WorkingCalendar(2026, 2027, closed={}, working_weekend={})
    r = check_next_year_calendar(session, now, no_tet)
    assert r["warned"] == 1 and "2027" in r["problem"]
    assert check_next_year_calendar(session, now, no_tet)["warned"] == 0
    assert notes(session) == [("calendar", "t_admin")]


def test_november_check_is_quiet_when_tet_is_in_the_calendar(app, session):
    r = run_job(app, "calendar_check", hanoi(2026, 11, 2, 8))
    assert r["warned"] == 0 and r["tet_days"] >= 5


def test_every_job_once_via_tick_twice_changes_nothing_the_second_time(app, session):
    d = receive(session, now=THU, email="an@example.vn", notify_consent=True, notify_channel="email").dossier
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "tick", "--now", "2026-02-27T09:00+07:00"])
    assert first.exit_code == 0, first.output
    counts = (session.scalar(select(func.count()).select_from(Notification)),
              session.scalar(select(func.count()).select_from(OutboxMessage)))
    assert counts[0] >= 1 and counts[1] >= 1
    second = runner.invoke(args=["jobs", "tick", "--now", "2026-02-27T09:00+07:00"])
    assert second.exit_code == 0, second.output
    assert (session.scalar(select(func.count()).select_from(Notification)),
            session.scalar(select(func.count()).select_from(OutboxMessage))) == counts
    assert '"overdue": 0' in second.output
    assert flags(session, d)[1] == hanoi(2026, 2, 27, 9)


def test_citizens_without_consent_get_no_lateness_email_nor_supplement_reminder(app, session):
    """Messages to a citizen go out only with the consent recorded at reception, on the channel
    chosen there (docs/guide-clerk.md); an address alone is not consent."""
    late = receive(session, now=THU, email="an@example.vn").dossier
    apply_action(session, late, "transfer", actor=user(session, "t_clerk"), now=THU)
    waiting = receive(session, now=THU, email="binh@example.vn", name="Trần Thị Bình").dossier
    apply_action(session, waiting, "request_supplement",
                 SupplementRequestInput(missing_items=("Giấy chứng sinh",), reason="Thiếu giấy tờ",
                                        respond_by=hanoi(2026, 2, 27, 17)),
                 actor=user(session, "t_clerk"), now=hanoi(2026, 2, 13, 9))
    assert run_job(app, "overdue", hanoi(2026, 2, 26, 17, 15))["emailed"] == 0
    r = run_job(app, "supplements", hanoi(2026, 3, 2, 9))
    assert r["reminded"] == 1 and r["messages"] == 0
    assert outbox(session) == []


def test_a_consenting_citizen_is_reminded_on_the_channel_chosen_only(app, session):
    d = receive(session, now=THU, email="an@example.vn", notify_consent=True, notify_channel="sms").dossier
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(missing_items=("Giấy chứng sinh",), reason="Thiếu giấy tờ",
                                        respond_by=hanoi(2026, 2, 27, 17)),
                 actor=user(session, "t_clerk"), now=hanoi(2026, 2, 13, 9))
    assert run_job(app, "supplements", hanoi(2026, 3, 2, 9))["messages"] == 1
    pause = session.scalar(select(PauseInterval).where(PauseInterval.dossier_id == d.id))
    assert outbox(session) == [f"sms:supplement:{pause.id}"]
