"""One answer per dossier for "how late is it" (docs/rules.md, "Timing"): the staff page, the staff
API, the citizen's look-up (page and JSON), the head dashboard and the scheduler's scan agree."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from onestop.domain.timing import Timing
from onestop.models import Dossier, DossierEvent
from onestop.services.dossiers import queries, scanning
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.clock import compute_dossier_due
from onestop.services.dossiers.inputs import AssignInput, PaymentRequestInput, StopInput, WithdrawInput
from onestop.services.dossiers.timing import timing_for
from onestop.services.public import lookup
from onestop.services.reporting import reports, scores
from onestop.web import sentences
from onestop.web.api import dossier_json
from tests.factories import agency, procedure, receive, user
from tests.services.test_reports_data import provide, supplement
from tests.times import hanoi

COMMUNE = "000.01.31.H25"


def _all_timings(session, d: Dossier, secret: str, now: datetime) -> dict[str, str | None]:
    """The timing as every reader shows it."""
    session.flush()
    session.expire(d, ["pauses"])
    key = str(current_app.config["SECRET_KEY"]).encode()
    page = queries.timing_of(session, d, now)
    api = dossier_json(d, user(session, "t_admin"), now=now, with_events=False)
    public = lookup.public_view(session, d, now=now)
    summary = lookup.summary_for_lookup(session, d.code, secret=secret, key=key, now=now)
    assert summary is not None
    return {"page": page.timing.value if page.timing else None, "api": api["timing"],
            "lookup_page": public.timing, "lookup_api": summary.timing,
            "owner": (timing_for(session, d, now).timing or Timing.WITHIN).value}


def _received(session, when: datetime, code: str = "1.004884") -> tuple[Dossier, str]:
    r = receive(session, now=when, procedure_code=code)
    apply_action(session, r.dossier, "transfer", actor=user(session, "t_clerk"),
                 now=when + timedelta(minutes=5))
    return r.dossier, r.secret


# ---------------------------------------------------------------- the four assemblers agree


def test_supplement_requested_after_the_due_time_is_overdue_everywhere(session):
    # 5 working days from Mon 02/03/2026 09:00 → due Mon 09/03 17:00; supplement asked Tue 10/03.
    d, secret = _received(session, hanoi(2026, 3, 2, 9))
    assert d.due_at == hanoi(2026, 3, 9, 17)
    supplement(session, d, hanoi(2026, 3, 10, 9))
    now = hanoi(2026, 3, 11, 10)
    got = _all_timings(session, d, secret, now)
    assert got == dict.fromkeys(got, "overdue")
    # The citizen is not told that the clock is stopped.
    view = lookup.public_view(session, d, now=now)
    assert view.note is lookup.NoteKind.SUPPLEMENT_AFTER_LATE
    with current_app.test_request_context(), force_locale("vi"):
        assert "quá hạn" in sentences.status_note(view)
    # The head's dashboard and the scheduler's scan say the same.
    assert reports.head_dashboard(session, agency(session, COMMUNE), now=now).overdue == 1
    assert scanning.flag_overdue_dossiers(session, now) == 1


def test_supplement_requested_before_the_due_time_is_paused_everywhere(session):
    d, secret = _received(session, hanoi(2026, 3, 2, 9))
    supplement(session, d, hanoi(2026, 3, 5, 9))
    now = hanoi(2026, 3, 20, 10)  # far beyond the original due time: the clock is stopped
    got = _all_timings(session, d, secret, now)
    assert got == dict.fromkeys(got, "paused")
    assert scanning.flag_overdue_dossiers(session, now) == 0


# ---------------------------------------------------------------- more than one supplement request


def test_second_supplement_request_on_an_open_dossier_is_overdue_everywhere(session):
    d, secret = _received(session, hanoi(2026, 3, 2, 9))
    supplement(session, d, hanoi(2026, 3, 3, 9))
    provide(session, d, hanoi(2026, 3, 3, 14))
    supplement(session, d, hanoi(2026, 3, 4, 9))
    now = hanoi(2026, 3, 4, 10)  # the statutory due time is days ahead, and the clock is stopped
    got = _all_timings(session, d, secret, now)
    assert got == dict.fromkeys(got, "overdue")
    assert reports.head_dashboard(session, agency(session, COMMUNE), now=now).overdue == 1
    assert scanning.flag_overdue_dossiers(session, now) == 1
    provide(session, d, hanoi(2026, 3, 4, 14))
    got = _all_timings(session, d, secret, hanoi(2026, 3, 5, 10))
    assert got == dict.fromkeys(got, "overdue")


# ---------------------------------------------------------------- pause ended by stop / withdrawal


MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def _not_late_in_form06_and_766(session) -> None:
    """March 2026 for the commune, measured after the month: one dossier, resolved, not late; the
    766 indicator 2.1 counts it on time."""
    report = reports.form06(session, agency(session, COMMUNE), *MARCH, now=hanoi(2026, 4, 2, 9))
    assert report.totals.resolved_total == 1 and report.totals.resolved_late == 0
    on_time = next(c for c in scores.score_agency(session, agency(session, COMMUNE), *MARCH,
                                                   now=hanoi(2026, 4, 2, 9)).criteria
                   if c.measure == "on_time_rate")
    assert (on_time.numerator, on_time.denominator) == (1, 1)


def _due_change(session, d: Dossier, action: str) -> dict[str, object]:
    ev = session.scalar(
        select(DossierEvent).where(DossierEvent.dossier_id == d.id, DossierEvent.action == action))
    assert ev is not None
    return dict(ev.payload)


def test_a_supplement_pause_ended_by_stop_is_not_late(session):
    # 5 working days, received Mon 02/03/2026 09:00, supplement requested 03/03 09:00, stopped 20/03.
    d, secret = _received(session, hanoi(2026, 3, 2, 9))
    supplement(session, d, hanoi(2026, 3, 3, 9))
    apply_action(session, d, "stop",
                 StopInput(reason="Công dân không bổ sung"),
                 actor=user(session, "t_head"), now=hanoi(2026, 3, 20, 9))
    assert d.status == "stopped"
    # The paused working time (03/03 09:00 → 20/03 09:00) extends the due time, recorded as a change.
    assert d.due_at is not None and d.due_at > d.finished_at
    payload = _due_change(session, d, "stop")
    assert datetime.fromisoformat(payload["old_due_at"]) == hanoi(2026, 3, 9, 17)
    assert datetime.fromisoformat(payload["due_at"]) == d.due_at
    assert d.due_at == compute_dossier_due(session, d).due_at
    got = _all_timings(session, d, secret, hanoi(2026, 3, 25, 9))
    assert got["page"] in ("early", "on_time") and got == dict.fromkeys(got, got["page"])
    _not_late_in_form06_and_766(session)


def test_a_payment_pause_ended_by_withdrawal_is_not_late(session):
    d, secret = _received(session, hanoi(2026, 3, 2, 9))
    apply_action(session, d, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=hanoi(2026, 3, 2, 10))
    apply_action(session, d, "request_payment",
                 PaymentRequestInput(reason="Lệ phí"), actor=user(session, "t_officer"),
                 now=hanoi(2026, 3, 3, 9))
    apply_action(session, d, "withdraw",
                 WithdrawInput(reason="Công dân rút hồ sơ"),
                 actor=user(session, "t_clerk"), now=hanoi(2026, 3, 20, 9))
    assert d.status == "withdrawn" and d.due_at is not None and d.due_at > d.finished_at
    assert datetime.fromisoformat(_due_change(session, d, "withdraw")["old_due_at"]) == hanoi(2026, 3, 9, 17)
    got = _all_timings(session, d, secret, hanoi(2026, 3, 25, 9))
    assert got["page"] in ("early", "on_time") and got == dict.fromkeys(got, got["page"])
    _not_late_in_form06_and_766(session)


def test_stop_without_an_open_pause_leaves_the_due_time_alone(session):
    d, _secret = _received(session, hanoi(2026, 3, 2, 9))
    apply_action(session, d, "stop",
                 StopInput(reason="Dừng"), actor=user(session, "t_head"), now=hanoi(2026, 3, 20, 9))
    assert d.due_at == hanoi(2026, 3, 9, 17)
    assert "old_due_at" not in _due_change(session, d, "stop")
    assert timing_for(session, d, hanoi(2026, 3, 25, 9)).timing is Timing.LATE


# ---------------------------------------------------------------- restart regime uses the snapshot


def test_restart_regime_uses_the_limit_snapshot_taken_at_reception(session):
    # A commune procedure set to 7 working days under the restart regime.
    proc = procedure(session, "1.004884")
    proc.limit_value, proc.supplement_regime = Decimal(7), "restart"
    session.flush()
    d, _secret = _received(session, hanoi(2026, 4, 1, 9))
    assert d.due_at == hanoi(2026, 4, 10, 17)
    supplement(session, d, hanoi(2026, 4, 2, 9))
    proc.limit_value = Decimal(10)  # the catalogue is edited before the supplement arrives
    session.flush()
    provide(session, d, hanoi(2026, 4, 6, 9))
    # 7 working days from Mon 06/04 → Wed 15/04 (with 10 it would be Mon 20/04); snapshot kept.
    assert d.limit_value == Decimal(7) and d.limit_unit == "working_days"
    assert d.due_at == hanoi(2026, 4, 15, 17)
    assert compute_dossier_due(session, d).due_at == d.due_at
    payload = _due_change(session, d, "provide_supplement")
    assert datetime.fromisoformat(payload["old_due_at"]) == hanoi(2026, 4, 10, 17)
    assert datetime.fromisoformat(payload["due_at"]) == hanoi(2026, 4, 15, 17)


# ---------------------------------------------------------------- lists sort by the same rule


def test_worklist_sorts_a_pause_begun_after_the_deadline_with_the_late_ones(session):
    late_paused, _ = _received(session, hanoi(2026, 3, 2, 9))  # due Mon 09/03
    supplement(session, late_paused, hanoi(2026, 3, 10, 9))  # asked after the due time: still late
    in_time_paused, _ = _received(session, hanoi(2026, 3, 2, 10))
    supplement(session, in_time_paused, hanoi(2026, 3, 3, 9))  # clock stopped
    running, _ = _received(session, hanoi(2026, 3, 5, 9))  # due Thu 12/03
    session.flush()
    order = [d.id for d in queries.worklist(session, user(session, "t_officer"))]
    assert order == [late_paused.id, running.id, in_time_paused.id]
