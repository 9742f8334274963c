"""Ratings, PAKN (feedback/complaints) and the figures they feed."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput
from onestop.services.errors import Conflict, Forbidden, ValidationFailed
from onestop.services.public.feedback import (
    answer_feedback,
    feedback_inbox,
    register_feedback,
    satisfaction_figures,
    submit_rating,
)
from tests.factories import agency, receive, user
from tests.times import MONDAY

# Thursday 12/02/2026 10:00 in Hà Nội: Tết 2026 closes 14/02 … 22/02.
THU = datetime(2026, 2, 12, 3, 0, tzinfo=UTC)
SCORES = {"score_access": 5, "score_procedure": 4, "score_officer": 5, "score_result": 5, "score_feedback": 4}


def _returned(session, now=MONDAY):
    d = receive(session, now=now).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=now)
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=user(session, "t_head"), now=now)
    apply_action(session, d, "return_result", actor=user(session, "t_clerk"), now=now)
    return d


def test_complaint_is_due_at_close_of_the_15th_working_day_across_tet(session):
    d = receive(session, now=THU).dossier
    fb = register_feedback(session, d, content="Hẹn trả chậm", now=THU)
    assert fb.code == "PAKN-260212-0001"
    assert fb.status == "open" and fb.kind == "complaint"
    # 13/02 is day 1; Tết closes 14–22/02; 23/02 … 12/03 are days 2–15 → 17:00 +07:00 on 12/03/2026.
    assert fb.due_at == datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
    # Routed to the agency holding the dossier (still the receiving desk here).
    assert fb.agency_id == agency(session, "000.01.31.H25").id


def test_complaint_codes_are_sequential_per_day_and_routed_to_the_current_agency(session):
    d = receive(session, now=MONDAY).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    a = register_feedback(session, d, content="Một", now=MONDAY)
    b = register_feedback(session, d, content="Hai", kind="suggestion", now=MONDAY)
    assert (a.code, b.code) == ("PAKN-260302-0001", "PAKN-260302-0002")
    assert a.agency_id == agency(session, "000.00.31.H25").id  # UBND xã Tân Lạc holds it now


def test_complaint_lifecycle_open_overdue_answered(session):
    d = receive(session, now=THU).dossier
    fb = register_feedback(session, d, content="Chậm", now=THU)
    head = user(session, "t_head")
    after_due = datetime(2026, 3, 12, 10, 1, tzinfo=UTC)
    rows = feedback_inbox(session, actor=head, now=after_due)
    assert [(r[0].code, r[3]) for r in rows] == [(fb.code, True)]  # flagged overdue
    with pytest.raises(Forbidden):
        answer_feedback(session, fb.id, answer="x", actor=user(session, "t_officer_other"), now=after_due)
    with pytest.raises(ValidationFailed):
        answer_feedback(session, fb.id, answer="   ", actor=head, now=after_due)
    answer_feedback(session, fb.id, answer="Đã xử lý, xin lỗi ông/bà.", upheld=True, actor=head,
                    now=after_due)
    assert fb.status == "answered" and fb.answered_at == after_due and fb.answered_by_id == head.id
    with pytest.raises(Conflict):
        answer_feedback(session, fb.id, answer="again", upheld=False, actor=head, now=after_due)
    assert feedback_inbox(session, actor=head, now=after_due)[0][3] is False


def test_feedback_rejects_empty_and_over_long_content(session):
    d = receive(session, now=MONDAY).dossier
    with pytest.raises(ValidationFailed):
        register_feedback(session, d, content="  ", now=MONDAY)
    with pytest.raises(ValidationFailed):
        register_feedback(session, d, content="x" * 2001, now=MONDAY)
    with pytest.raises(ValidationFailed):
        register_feedback(session, d, content="ok", kind="praise", now=MONDAY)


def test_rating_once_per_dossier_only_after_return(session):
    open_d = receive(session, now=MONDAY).dossier
    with pytest.raises(Conflict):
        submit_rating(session, open_d, scores=SCORES, satisfied=True, comment="", now=MONDAY)
    d = _returned(session)
    r = submit_rating(session, d, scores=SCORES, satisfied=True, comment="<b>tốt</b>", now=MONDAY)
    assert r.comment == "<b>tốt</b>" and r.agency_id == d.receiving_agency_id
    with pytest.raises(Conflict):
        submit_rating(session, d, scores=SCORES, satisfied=False, comment="", now=MONDAY)


def test_rating_scores_must_be_1_to_5(session):
    d = _returned(session)
    with pytest.raises(ValidationFailed) as exc:
        submit_rating(session, d, scores={**SCORES, "score_officer": 6}, satisfied=None, comment="",
                      now=MONDAY)
    assert set(exc.value.errors) == {"score_officer", "satisfied"}


def test_satisfaction_figures_count_ratings_and_complaints_in_the_subtree(session):
    d1, d2 = _returned(session), _returned(session)
    submit_rating(session, d1, scores=SCORES, satisfied=True, comment="", now=MONDAY)
    submit_rating(session, d2, scores=SCORES, satisfied=False, comment="", now=MONDAY)
    register_feedback(session, d2, content="Chậm", now=MONDAY)
    register_feedback(session, d2, content="Gợi ý", kind="suggestion", now=MONDAY)
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    commune = agency(session, "000.00.31.H25")  # UBND xã Tân Lạc: its subtree holds the desk
    f = satisfaction_figures(session, commune, start, end)
    got = (f.ratings, f.satisfied, f.dissatisfied, f.complaints, f.feedback, f.feedback_open)
    assert got == (2, 1, 1, 1, 2, 2)
    other = satisfaction_figures(session, agency(session, "000.00.32.H25"), start, end)
    assert (other.ratings, other.complaints) == (0, 0)
    assert satisfaction_figures(session, commune, end, datetime(2026, 5, 1, tzinfo=UTC)).ratings == 0


def test_scheduler_flags_a_complaint_only_after_its_15th_working_day(session):
    from onestop.services.dossiers.scanning import scan_feedback

    d = receive(session, now=THU).dossier
    fb = register_feedback(session, d, content="Chậm", now=THU)
    # 17:00 on the day
    assert scan_feedback(session, datetime(2026, 3, 12, 10, 0, tzinfo=UTC))["flagged"] == 0
    assert scan_feedback(session, datetime(2026, 3, 12, 10, 1, tzinfo=UTC))["flagged"] == 1
    session.refresh(fb)
    assert fb.overdue_flagged_at == datetime(2026, 3, 12, 10, 1, tzinfo=UTC)


# ---------------------------------------------------------------- one receipt cannot flood PAKN

def test_complaints_are_capped_per_dossier_per_local_day(session):
    """FEEDBACK_PER_DOSSIER_PER_DAY (3 by default): the fourth PAKN on one dossier on one local
    day is refused with a clear message and leaves nothing behind; the next day, and other
    dossiers, are unaffected."""
    from onestop.models import Feedback
    from onestop.services.public.feedback import FEEDBACK_PER_DOSSIER_PER_DAY

    assert FEEDBACK_PER_DOSSIER_PER_DAY == 3
    d = receive(session, now=MONDAY).dossier
    other = receive(session, now=MONDAY).dossier
    late_evening = datetime(2026, 3, 2, 16, 59, tzinfo=UTC)  # 23:59 in Hà Nội, still Monday
    codes = [register_feedback(session, d, content=f"Lần {i}", kind=kind, now=MONDAY).code
             for i, kind in enumerate(("complaint", "suggestion", "complaint"))]
    before = session.query(Feedback).count()
    with pytest.raises(Conflict) as exc:
        register_feedback(session, d, content="Lần 4", now=late_evening)
    assert "tối đa 3" in str(exc.value) and "ngày mai" in str(exc.value)
    assert session.query(Feedback).count() == before
    assert register_feedback(session, other, content="Hồ sơ khác", now=late_evening).code
    next_day = datetime(2026, 3, 2, 17, 1, tzinfo=UTC)  # 00:01 Tuesday in Hà Nội
    assert register_feedback(session, d, content="Hôm sau", now=next_day).code.startswith("PAKN-260303-")
    assert codes == ["PAKN-260302-0001", "PAKN-260302-0002", "PAKN-260302-0003"]


def test_the_cap_is_a_parameter(session):
    d = receive(session, now=MONDAY).dossier
    register_feedback(session, d, content="Một", now=MONDAY, max_per_day=1)
    with pytest.raises(Conflict):
        register_feedback(session, d, content="Hai", now=MONDAY, max_per_day=1)


def test_complaint_numbers_do_not_run_out_after_9999(session):
    """The day's number has no four-digit cap: after PAKN-…-9999 comes PAKN-…-10000, then
    10001 (compared as numbers, not as text), and earlier numbers keep their form."""
    from onestop.models import Feedback

    d = receive(session, now=MONDAY).dossier
    first = register_feedback(session, d, content="Một", now=MONDAY)
    assert first.code == "PAKN-260302-0001"
    session.add(
        Feedback(code="PAKN-260302-9999", dossier_id=d.id, agency_id=first.agency_id, kind="complaint",
                         content="x", status="open", created_at=MONDAY, due_at=first.due_at))
    session.flush()
    other = receive(session, now=MONDAY).dossier
    a = register_feedback(session, other, content="Hai", now=MONDAY)
    b = register_feedback(session, other, content="Ba", now=MONDAY)
    assert (a.code, b.code) == ("PAKN-260302-10000", "PAKN-260302-10001")


def test_parallel_complaints_on_one_dossier_stop_at_the_cap(committed):
    """Real commits from 8 threads at once (each its own session): the dossier's row lock
    (PostgreSQL; SQLite's BEGIN IMMEDIATE) lets exactly 3 through, and their numbers differ."""
    from onestop.extensions import db
    from onestop.models import Dossier, Feedback
    from tests.services.test_concurrency import _run_together

    app = committed
    with app.app_context():
        dossier_id = receive(db.session, now=MONDAY).dossier.id
        db.session.commit()
        db.session.remove()

    def work(i: int) -> str:
        d = db.session.get(Dossier, dossier_id)
        return register_feedback(db.session, d, content=f"Phản ánh {i}", now=MONDAY).code

    results = _run_together(app, 8, work)
    codes = sorted(r for r in results if isinstance(r, str))
    assert codes == ["PAKN-260302-0001", "PAKN-260302-0002", "PAKN-260302-0003"], results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, str)), results
    with app.app_context():
        assert db.session.query(Feedback).filter_by(dossier_id=dossier_id).count() == 3
        db.session.remove()
