"""The public transparency page and its figures (Decision 766 indicators 2.1, 5.4)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput, SupplementRequestInput
from onestop.services.public.feedback import (
    answer_feedback,
    register_feedback,
    submit_rating,
    transparency_figures,
)
from tests.factories import agency, receive, user
from tests.times import MONDAY, TUESDAY_10

NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
SCORES = {"score_access": 3, "score_procedure": 3, "score_officer": 3, "score_result": 3, "score_feedback": 3}


def _finish(session, d, at):
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=user(session, "t_head"), now=at)


def _scenario(session):
    """Tân Lạc: one finished early, one finished late, one open and overdue, one open within time
    (received later); Mường Bi: one finished on time."""
    early = receive(session, now=MONDAY).dossier
    _finish(session, early, datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    late = receive(session, now=MONDAY).dossier
    _finish(session, late, datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    receive(session, now=MONDAY)  # open, due 09/03: overdue at NOW
    receive(session, now=datetime(2026, 3, 19, 2, 0, tzinfo=UTC))  # open, within time
    other = receive(session, now=MONDAY, clerk="t_clerk_other").dossier
    apply_action(session, other, "transfer", actor=user(session, "t_clerk_other"), now=MONDAY)
    apply_action(session, other, "complete",
                 CompleteInput(result="Đã cấp"),
                 actor=user(session, "t_head_other"), now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    returned = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
    apply_action(session, early, "return_result", actor=user(session, "t_clerk"), now=returned)
    submit_rating(session, early, scores=SCORES, satisfied=False, comment="", now=returned)
    return early, late, other


def test_on_time_rate_and_satisfaction_per_agency_in_one_group_by(session):
    _scenario(session)
    start = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)  # 01/03/2026 00:00 +07:00
    tl, mb = agency(session, "000.00.31.H25"), agency(session, "000.00.32.H25")
    figs = {f.identifier: f for f in transparency_figures(session, [tl, mb], start, NOW, now=NOW)}
    t = figs["000.00.31.H25"]
    assert (t.received, t.finished, t.handled, t.on_time, t.not_satisfied) == (4, 2, 4, 2, 1)
    assert t.on_time_rate == Decimal("0.5")
    # 100 % − (2 overdue/late + 1 dissatisfied) / 4 = 25 %.
    assert t.satisfaction_rate == Decimal("0.25")
    m = figs["000.00.32.H25"]
    assert (m.received, m.finished, m.handled, m.on_time) == (1, 1, 1, 1)
    assert m.on_time_rate == Decimal(1) and m.satisfaction_rate == Decimal(1)


def test_two_supplement_requests_count_late_even_when_finished_before_due(session):
    d = receive(session, now=MONDAY).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    head = user(session, "t_head")
    for _ in range(2):
        apply_action(session, d, "request_supplement",
                     SupplementRequestInput(reason="Thiếu", missing_items=("A",)), actor=head, now=MONDAY)
        session.expire(d, ["pauses"])  # the view-only relationship does not see the new pause row
        apply_action(session, d, "provide_supplement", actor=head, now=MONDAY)
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=head, now=TUESDAY_10)
    start = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    (f,) = transparency_figures(session, [agency(session, "000.00.31.H25")], start, NOW, now=NOW)
    assert (f.handled, f.on_time) == (1, 0)


def test_an_upheld_complaint_lowers_satisfaction_an_undecided_one_does_not(session):
    """Decision 766 indicator 5.4 (docs/rules.md F5): a complaint counts once it is upheld."""
    d = receive(session, now=MONDAY).dossier
    fb = register_feedback(session, d, content="Chậm", now=MONDAY)
    start = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    scope = [agency(session, "000.00.31.H25")]
    (f,) = transparency_figures(session, scope, start, TUESDAY_10, now=NOW)
    assert (f.handled, f.on_time, f.not_satisfied) == (1, 1, 0)
    answer_feedback(session, fb.id, answer="Đúng, đã chấn chỉnh.", upheld=True,
                    actor=user(session, "t_head"), now=MONDAY)
    (f,) = transparency_figures(session, scope, start, TUESDAY_10, now=NOW)
    assert (f.handled, f.on_time, f.not_satisfied) == (1, 1, 1)
    assert f.satisfaction_rate == Decimal(0)


@pytest.fixture
def clock(clock):  # type: ignore[no-untyped-def]
    clock.now = NOW
    return clock


def test_public_page_lists_agencies_with_drill_down_and_table_fallback(session, client, clock):
    _scenario(session)
    session.commit()
    r = client.get("/public")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Công khai kết quả giải quyết hồ sơ" in html and "Tháng này" in html and "Năm nay" in html
    assert "/public/000.00.31.H25" in html  # drill-down link (the commune has children)
    assert 'data-url="/public/data.json"' in html and "chart.umd.min.js" in html
    assert "<script>" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # no inline script
    sub = client.get("/public/000.00.31.H25").get_data(as_text=True)
    assert "50,0%" in sub and "25,0%" in sub  # Vietnamese decimal comma (Babel)
    assert client.get("/public/999.99.99.Z99").status_code == 404


def test_public_data_endpoint_feeds_the_chart(session, client, clock):
    _scenario(session)
    session.commit()
    data = client.get("/public/000.00.31.H25/data.json").get_json()
    assert data["agency"]["identifier"] == "000.00.31.H25"
    year = data["periods"]["year"]
    assert year["from"] == "2026-01-01" and year["to"] == "2026-03-20"
    assert year["total"]["received"] == 4 and year["total"]["on_time_rate"] == 0.5
    rows = {r["identifier"]: r for r in year["rows"]}
    assert rows["000.01.31.H25"]["received"] == 4  # the desk that received them
    top = client.get("/public/data.json").get_json()
    tops = {r["identifier"]: r for r in top["periods"]["month"]["rows"]}
    assert tops["000.00.31.H25"]["handled"] == 4 and tops["000.00.32.H25"]["handled"] == 1
