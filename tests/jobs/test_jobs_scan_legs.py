"""The 15-minute scan flags an open liên thông leg by THE open timing rule applied to the leg's own
deadline (its share; docs/rules.md "Timing" T10, F4): a leg whose dossier was paused before the leg's
deadline has its clock stopped and is not flagged; a pause begun after the leg's deadline does not
hide the overrun — not "is the dossier's status running"."""
from __future__ import annotations

from datetime import timedelta

from jobs import run_job
from onestop.models import HandoffLeg
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import SupplementRequestInput
from tests.factories import receive, user
from tests.jobs.test_jobs_scan import THU
from tests.times import hanoi


def _handed(session):
    d = receive(session, now=THU).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=THU)
    (leg,) = d.legs
    assert leg.acknowledged_at is not None and leg.due_at == hanoi(2026, 2, 26, 17)
    return d, leg


def test_a_leg_paused_before_its_deadline_is_not_flagged(app, session):
    d, leg = _handed(session)
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(missing_items=("Giấy chứng sinh",), reason="Thiếu giấy tờ"),
                 actor=None, now=hanoi(2026, 2, 24, 9))
    assert run_job(app, "overdue", hanoi(2026, 3, 10, 9))["legs_overdue"] == 0
    session.expire_all()
    assert session.get(HandoffLeg, leg.id).overdue_flagged_at is None


def test_a_leg_paused_after_its_deadline_is_still_flagged(app, session):
    d, leg = _handed(session)
    late = hanoi(2026, 2, 27, 9)  # the leg's share ran out on 26/02 17:00
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(missing_items=("Giấy chứng sinh",), reason="Thiếu giấy tờ"),
                 actor=None, now=late)
    now = late + timedelta(hours=1)
    assert run_job(app, "overdue", now)["legs_overdue"] == 1
    session.expire_all()
    assert session.get(HandoffLeg, leg.id).overdue_flagged_at == now
