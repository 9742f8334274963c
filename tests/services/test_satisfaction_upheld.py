"""Satisfaction (766 indicator 5.4) counts a complaint only once it is UPHELD (docs/rules.md F5):
answering a complaint records the decision (upheld yes/no, required for complaints), a rejected or
undecided complaint does not make the dossier dissatisfied, an upheld one does — on the score page,
Form 06's extras, the nightly metrics and the public page alike."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from onestop.domain.metrics import period_bounds
from onestop.models import AuditLog
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput, ReturnInput
from onestop.services.errors import ValidationFailed
from onestop.services.public.feedback import answer_feedback, register_feedback, transparency_figures
from onestop.services.reporting.metrics import subtree_counts
from onestop.services.reporting.scores import score_agency
from tests.factories import agency, receive, user
from tests.times import hanoi

TZ = "Asia/Ho_Chi_Minh"
COMMUNE = "000.00.31.H25"
NOW = hanoi(2026, 11, 20, 10)


def _returned(session, day: int):
    d = receive(session, now=hanoi(2026, 11, day, 9), procedure_code="1.004884").dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 11, day, 9, 5))
    apply_action(session, d, "complete", CompleteInput(result="Xong"), actor=None,
                 now=hanoi(2026, 11, day, 15))
    apply_action(session, d, "return_result",
                 ReturnInput(method="direct"), actor=None, now=hanoi(2026, 11, day, 16))
    return d


def _november():
    from datetime import date

    return date(2026, 11, 1), date(2026, 11, 30)


def test_a_rejected_complaint_does_not_make_a_dossier_dissatisfied_an_upheld_one_does(session):
    commune = agency(session, COMMUNE)
    head = user(session, "t_head")
    d_rejected, d_upheld, d_open, _d_quiet = (_returned(session, day) for day in (2, 3, 4, 5))
    answered = hanoi(2026, 11, 10, 9)
    for d, upheld in ((d_rejected, False), (d_upheld, True)):
        fb = register_feedback(session, d, content="Chậm", kind="complaint", now=hanoi(2026, 11, 6, 10))
        answer_feedback(session, fb.id, answer="Đã xem xét.", upheld=upheld, actor=head, now=answered)
    # undecided
    register_feedback(session, d_open, content="Chậm", kind="complaint", now=hanoi(2026, 11, 6, 10))
    score = score_agency(session, commune, *_november(), now=NOW, tz=TZ)
    assert score.counts.unhappy == 1
    sat = next(c for c in score.criteria if c.criterion == "766.5.4")
    assert sat.measured == Decimal("0.75")  # 100 % − (0 overdue + 1 of 4)
    (pub,) = transparency_figures(session, [commune], *period_bounds(*_november(), TZ), now=NOW)
    assert pub.satisfaction_rate == sat.measured
    start, end = period_bounds(*_november(), TZ)
    # the nightly metrics' count
    assert subtree_counts(session, commune, start, min(end, NOW), TZ).unhappy == 1
    # Decided later than the moment: not yet upheld as of that moment.
    before = score_agency(session, commune, *_november(), now=answered, tz=TZ)
    assert before.counts.unhappy == 0


def test_answering_a_complaint_requires_the_upheld_decision_and_audits_it(session):
    d = _returned(session, 2)
    head = user(session, "t_head")
    fb = register_feedback(session, d, content="Chậm", kind="complaint", now=hanoi(2026, 11, 6, 10))
    with pytest.raises(ValidationFailed) as exc:
        answer_feedback(session, fb.id, answer="Đã xem xét.", actor=head, now=hanoi(2026, 11, 7, 9))
    assert "upheld" in exc.value.errors
    assert fb.status == "open" and fb.upheld is None and fb.answered_at is None  # left as it was
    answer_feedback(session, fb.id, answer="Đúng, xin lỗi ông/bà.", upheld=True, actor=head,
                    now=hanoi(2026, 11, 7, 9))
    assert fb.status == "answered" and fb.upheld is True
    log = session.scalars(select(AuditLog).where(AuditLog.action == "feedback.answer")).one()
    assert log.actor_id == head.id and log.target == fb.code and log.details["upheld"] is True
    # A suggestion has nothing to uphold: the decision stays empty whatever is sent.
    sug = register_feedback(session, d, content="Nên có chỗ gửi xe", kind="suggestion",
                            now=hanoi(2026, 11, 6, 11))
    answer_feedback(session, sug.id, answer="Cảm ơn.", upheld=True, actor=head, now=hanoi(2026, 11, 7, 9))
    assert sug.status == "answered" and sug.upheld is None
