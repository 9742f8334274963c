"""One answer per number: THE Form 06 builder, as of the earlier of now and the period's end, by
receiving desk and by resolving agency; the SQL buckets equal the pure rule on random dossiers with
pauses, apologies, hand-offs, stops and withdrawals; the same scope at the same moment gives the same
numbers on the Form 06 page, the head dashboard, the 766 scores, the nightly snapshot and the public
page (docs/rules.md, "Form 06 and the on-time rate")."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from onestop.domain.metrics import Form06Row, form06_bucket, period_bounds
from onestop.domain.status import FINISHED, DossierStatus
from onestop.models import Dossier, MetricSnapshot, PauseInterval
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    ActionInput,
    ApologyInput,
    CompleteInput,
    PaymentRequestInput,
    ReturnInput,
    StopInput,
    SupplementRequestInput,
    WithdrawInput,
)
from onestop.services.public.feedback import register_feedback, submit_rating, transparency_figures
from onestop.services.reporting import reports
from onestop.services.reporting.metrics import snapshot_metrics
from onestop.services.reporting.scores import score_agency
from tests.factories import agency, receive, user
from tests.times import hanoi

TZ = "Asia/Ho_Chi_Minh"
PROVINCE = "000.00.00.H25"
CENTRE = "000.00.01.H25"  # TTPVHCC tỉnh: receives provincial procedures
EDUCATION = "000.00.07.H25"  # Sở Giáo dục và Đào tạo: resolves 1.005095 / 3.000465
COMMUNE = "000.00.31.H25"
COMMUNE_DESK = "000.01.31.H25"
NOW = hanoi(2026, 11, 20, 10)  # November 2026 is not over
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
FINISHED_VALUES = {s.value for s in FINISHED}
GOOD = {"score_access": 4, "score_procedure": 4, "score_officer": 4, "score_result": 4, "score_feedback": 4}


def _act(session, d: Dossier, action: str, when: datetime, data: ActionInput | None = None) -> None:
    session.flush()
    session.expire(d, ["pauses", "legs"])
    apply_action(session, d, action, data, actor=None, now=when)


def _commune(session, when: datetime, rng: random.Random) -> Dossier:
    code = rng.choice(["1.004884", "1.004222", "1.001022"])
    d = receive(session, now=when, procedure_code=code,
                channel=rng.choice(["direct", "online", "postal"])).dossier
    _act(session, d, "transfer", when + timedelta(minutes=5))
    return d


def _provincial(session, when: datetime, rng: random.Random) -> Dossier:
    code = rng.choice(["1.005095", "1.005095", "2.001610"])
    d = receive(session, now=when, procedure_code=code, clerk="t_pclerk",
                channel=rng.choice(["direct", "online"])).dossier
    if rng.random() < 0.85:  # some wait at the desk (resolver = the desk until handed over)
        _act(session, d, "transfer", when + timedelta(minutes=10))
    return d


def _working_moment(rng: random.Random, first: date, last: date) -> datetime:
    while True:
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        if day.weekday() < 5:
            return hanoi(day.year, day.month, day.day, rng.choice([8, 9, 10, 14, 15, 16]),
                         rng.choice([0, 30]))


def build_random(session, seed: int, n: int = 70) -> list[Dossier]:
    """Dossiers received Sep–Nov 2026 at a commune desk and at the provincial centre, each driven by
    random legal steps up to NOW: supplement requests (up to three), payment pauses, apologies,
    completion and return (then a rating), stops and withdrawals (also during a pause), complaints."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        received = _working_moment(rng, date(2026, 9, 1), date(2026, 11, 19))
        d = _provincial(session, received, rng) if rng.random() < 0.4 else _commune(session, received, rng)
        t = received + timedelta(hours=1)
        for _step in range(6):
            t += timedelta(hours=rng.choice([2, 5, 20, 30, 50, 100]))
            if t >= NOW:
                break
            status = d.status
            roll = rng.random()
            if status in FINISHED_VALUES or status == DossierStatus.RECEIVED.value:
                break
            if status == DossierStatus.PROCESSING.value:
                _processing_step(session, d, t, roll, rng)
            else:
                _paused_step(session, d, t, roll)
        _maybe_complaint(session, d, t, rng)
        out.append(d)
    session.flush()
    return out


def _processing_step(session, d: Dossier, t: datetime, roll: float, rng: random.Random) -> None:
    # Pauses after an apology too: the promised date moves with the due time (rules T14).
    if roll < 0.25 and d.supplement_count < 3:
        _act(session, d, "request_supplement", t,
             SupplementRequestInput(reason="Thiếu giấy tờ", missing_items=("Tờ khai",)))
    elif roll < 0.33:
        _act(session, d, "request_payment", t, PaymentRequestInput(reason="Lệ phí"))
    elif roll < 0.43 and d.promised_due_at is None and d.due_at is not None and t < d.due_at:
        _act(session, d, "apologise", t,
             ApologyInput(reason="Chậm do xác minh", new_due_at=d.due_at + timedelta(days=3)))
    elif roll < 0.75:
        _act(session, d, "complete", t, CompleteInput(result="Đã cấp"))
        if rng.random() < 0.6 and t + timedelta(hours=2) < NOW:
            _act(session, d, "return_result", t + timedelta(hours=1),
                 ReturnInput(method="direct"), )
            submit_rating(session, d, scores=GOOD, satisfied=rng.random() < 0.7, comment="",
                          now=t + timedelta(hours=2))
    elif roll < 0.82:
        _act(session, d, "stop", t, StopInput(reason="Không đủ điều kiện"))
    elif roll < 0.88:
        _act(session, d, "withdraw", t, WithdrawInput(reason="Công dân rút"))


def _paused_step(session, d: Dossier, t: datetime, roll: float) -> None:
    if d.status == DossierStatus.AWAITING_SUPPLEMENT.value:
        if roll < 0.6:
            _act(session, d, "provide_supplement", t)
        elif roll < 0.7:
            _act(session, d, "stop", t, StopInput(reason="Không bổ sung"))
        elif roll < 0.8:
            _act(session, d, "withdraw", t, WithdrawInput(reason="Công dân rút"))
    elif d.status == DossierStatus.AWAITING_PAYMENT.value:
        if roll < 0.6:
            _act(session, d, "confirm_payment", t)
        elif roll < 0.75:
            _act(session, d, "withdraw", t, WithdrawInput(reason="Không nộp phí"))


def _maybe_complaint(session, d: Dossier, t: datetime, rng: random.Random) -> None:
    if rng.random() < 0.12:
        fb = register_feedback(session, d, content="Chậm trả kết quả", kind="complaint",
                               now=min(NOW - timedelta(minutes=5), t))
        if rng.random() < 0.7:  # decided (upheld or not) some hours later, maybe after NOW
            fb.status, fb.answer, fb.upheld = "answered", "Đã xem xét", rng.random() < 0.5
            fb.answered_at = fb.created_at + timedelta(hours=rng.choice([1, 30, 300]))


# ---------------------------------------------------------------- the pure reference


@dataclass
class Expected:
    rows: dict[str, Form06Row]
    late_apologised: int
    unhappy: int


def _resolver_path(d: Dossier) -> str:
    first = next((leg for leg in d.legs if leg.seq == 1), None)
    return first.to_agency.path if first is not None else d.receiving_agency.path


def python_form06(session, ag, start: date, end: date, *, now: datetime, by: str) -> Expected:
    """Every input read in Python as it stood at the moment, then the pure per-dossier rule."""
    start_m, end_m = period_bounds(start, end, TZ)
    as_of = min(now, end_m)
    out = Expected({}, 0, 0)
    for d in session.scalars(select(Dossier).order_by(Dossier.id)):
        path = d.receiving_agency.path if by == "desk" else _resolver_path(d)
        if not path.startswith(ag.path):
            continue
        due = d.due_at
        for ev in d.events:  # the first due change after the moment: its old value was in force
            if ev.at >= as_of and "old_due_at" in (ev.payload or {}):
                due = datetime.fromisoformat(ev.payload["old_due_at"])
                break
        pauses = session.scalars(select(PauseInterval).where(PauseInterval.dossier_id == d.id)).all()
        open_pauses = [p.started_at for p in pauses
                       if p.started_at < as_of and (p.ended_at is None or p.ended_at >= as_of)]
        requests = sum(1 for ev in d.events if ev.action == "request_supplement" and ev.at < as_of)
        row = form06_bucket(received_at=d.received_at, finished_at=d.finished_at, due_at=due,
                            channel=d.channel,
                            supplement_requests=requests,
                            paused_since=min(open_pauses) if open_pauses else None,
                            start_moment=start_m, end_moment=as_of, tz=TZ, field=d.procedure.field)
        if row is None:
            continue
        out.rows.setdefault(row.field, Form06Row(field=row.field)).add(row)
        late = row.resolved_late or row.in_progress_overdue
        if late and d.promised_due_at is not None:
            out.late_apologised += 1
        unhappy = any(r.satisfied is False and r.created_at < as_of for r in _ratings(session, d)) or any(
            f.kind == "complaint" and f.upheld is True and f.answered_at < as_of
            for f in _feedback(session, d))
        out.unhappy += int(unhappy)
    return out


def _ratings(session, d):
    from onestop.models import Rating

    return session.scalars(select(Rating).where(Rating.dossier_id == d.id)).all()


def _feedback(session, d):
    from onestop.models import Feedback

    return session.scalars(select(Feedback).where(Feedback.dossier_id == d.id)).all()


SCOPES = [(PROVINCE, "desk"), (PROVINCE, "resolver"), (COMMUNE, "desk"), (COMMUNE, "resolver"),
          (CENTRE, "desk"), (EDUCATION, "resolver"), (EDUCATION, "desk")]


@pytest.mark.parametrize("seed", [20261120, 7])
def test_sql_buckets_equal_the_pure_rule_on_random_data(session, seed):
    build_random(session, seed)
    for ident, by in SCOPES:
        ag = agency(session, ident)
        for start, end in (NOVEMBER, OCTOBER, (date(2026, 9, 15), date(2026, 11, 30))):
            report = reports.form06(session, ag, start, end, now=NOW, by=by)
            expected = python_form06(session, ag, start, end, now=NOW, by=by)
            assert {r.field: r.counts() for r in report.rows} == \
                {k: v.counts() for k, v in expected.rows.items()}, (ident, by, start)
            assert report.identity_errors() == []
            start_m, as_of = reports.measured_at(ag, start, end, NOW)
            extras = reports.form06_counts(session, ag, start_m, as_of, tz=TZ, by=by, extras=True)
            assert sum(b.late_apologised for b in extras.values()) == expected.late_apologised
            assert sum(b.unhappy for b in extras.values()) == expected.unhappy


def test_measures_for_one_scope_and_moment_agree_everywhere(session):
    build_random(session, 99)
    for ident, by in SCOPES:
        ag = agency(session, ident)
        f = reports.form06(session, ag, *NOVEMBER, now=NOW, by=by).totals
        on_time = f.resolved_early + f.resolved_on_time + f.in_progress_within
        # The head dashboard: open dossiers at now, same scope.
        dash = reports.head_dashboard(session, ag, now=NOW, by=by)
        assert (dash.within + dash.due_soon + dash.paused, dash.overdue) == \
            (f.in_progress_within, f.in_progress_overdue), (ident, by)
        # The 766 indicator 2.1 numerator / denominator on the scores.
        score = score_agency(session, ag, *NOVEMBER, now=NOW, tz=TZ, by=by)
        crit = next(c for c in score.criteria if c.criterion == "766.2.1")
        assert (crit.numerator, crit.denominator) == (on_time, f.received_total), (ident, by)
        if by == "desk":  # the public page lists agencies by receiving desk
            (pub,) = transparency_figures(session, [ag], *period_bounds(*NOVEMBER, TZ), now=NOW)
            assert (pub.on_time, pub.handled, pub.finished) == (on_time, f.received_total, f.resolved_total)
            sat = next(c for c in score.criteria if c.criterion == "766.5.4")
            assert sat.measured == pub.satisfaction_rate
    # The nightly snapshot of the month, as of now, by receiving desk.
    snapshot_metrics(session, NOW)
    for ident in (PROVINCE, COMMUNE, CENTRE):
        ag = agency(session, ident)
        f = reports.form06(session, ag, *NOVEMBER, now=NOW).totals
        snap = session.scalar(select(MetricSnapshot).where(
            MetricSnapshot.agency_id == ag.id, MetricSnapshot.field == "",
            MetricSnapshot.period_kind == "month",
            MetricSnapshot.period_start == NOVEMBER[0]))
        assert snap is not None
        assert {k: snap.data[k] for k in f.counts()} == f.counts()


# ---------------------------------------------------------------- each disagreement, on literal data


def test_a_period_not_yet_over_is_measured_as_of_now(session):
    # 1.004884: 5 working days. Received Mon 16/11 09:00 → due Mon 23/11 17:00: on 20/11 it is
    # within time; judged at the period's end (30/11) it would be overdue.
    d = receive(session, now=hanoi(2026, 11, 16, 9), procedure_code="1.004884").dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 11, 16, 9, 5))
    # Received Mon 09/11 → due Mon 16/11 17:00, still open on 20/11: overdue.
    late = receive(session, now=hanoi(2026, 11, 9, 9), procedure_code="1.004884").dossier
    apply_action(session, late, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 11, 9, 9, 5))
    commune = agency(session, COMMUNE)
    report = reports.form06(session, commune, *NOVEMBER, now=NOW)
    assert (report.totals.in_progress_within, report.totals.in_progress_overdue) == (1, 1)
    assert report.as_of == NOW and not report.period_over
    assert report.as_json()["as_of"] == "2026-11-20T10:00:00+07:00"
    score = score_agency(session, commune, *NOVEMBER, now=NOW, tz=TZ)
    assert (score.counts.in_progress_within, score.counts.in_progress_overdue) == (1, 1)
    # After the period, the same form is as of its end: both are overdue then.
    after = reports.form06(session, commune, *NOVEMBER, now=hanoi(2026, 12, 5, 9))
    assert (after.totals.in_progress_within, after.totals.in_progress_overdue) == (0, 2)
    assert after.period_over


def test_more_than_one_supplement_request_makes_an_open_dossier_overdue_everywhere(session):
    d = receive(session, now=hanoi(2026, 11, 16, 9), procedure_code="1.004222").dossier  # 7 working days
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 11, 16, 9, 5))
    _act(session, d, "request_supplement", hanoi(2026, 11, 16, 14),
         SupplementRequestInput(reason="Thiếu", missing_items=("A",)), )
    _act(session, d, "provide_supplement", hanoi(2026, 11, 17, 9))
    _act(session, d, "request_supplement", hanoi(2026, 11, 17, 14),
         SupplementRequestInput(reason="Thiếu", missing_items=("B",)), )
    assert d.due_at > NOW
    commune = agency(session, COMMUNE)
    f = reports.form06(session, commune, *NOVEMBER, now=NOW).totals
    assert (f.in_progress_within, f.in_progress_overdue) == (0, 1)
    assert reports.head_dashboard(session, commune, now=NOW, by="desk").overdue == 1
    crit = next(c for c in score_agency(session, commune, *NOVEMBER, now=NOW, tz=TZ).criteria
                if c.criterion == "766.2.1")
    assert (crit.numerator, crit.denominator) == (0, 1)
    (pub,) = transparency_figures(session, [commune], *period_bounds(*NOVEMBER, TZ), now=NOW)
    assert (pub.on_time, pub.handled) == (0, 1)
    # Before the second request (as of 17/11 12:00) it was within time.
    early = reports.form06(session, commune, date(2026, 11, 1), date(2026, 11, 16), now=NOW).totals
    assert (early.in_progress_within, early.in_progress_overdue) == (1, 0)


def test_a_department_served_by_the_provincial_centre_gets_its_form_as_resolver(session):
    for day in (2, 3, 4):
        d = receive(session, now=hanoi(2026, 11, day, 9), procedure_code="1.005095", clerk="t_pclerk").dossier
        _act(session, d, "transfer", hanoi(2026, 11, day, 9, 30))
        assert d.current_agency.identifier == EDUCATION
    education, centre = agency(session, EDUCATION), agency(session, CENTRE)
    by_desk = reports.form06(session, education, *NOVEMBER, now=NOW, by="desk")
    by_resolver = reports.form06(session, education, *NOVEMBER, now=NOW, by="resolver")
    assert by_desk.totals.received_total == 0
    assert by_resolver.totals.received_total == 3
    assert [r.field for r in by_resolver.rows] == ["Giáo dục"]
    assert reports.form06(session, centre, *NOVEMBER, now=NOW, by="desk").totals.received_total == 3
    assert reports.form06(session, centre, *NOVEMBER, now=NOW, by="resolver").totals.received_total == 0
    score = score_agency(session, education, *NOVEMBER, now=NOW, tz=TZ, by="resolver")
    assert score.counts.received_total == 3


def test_satisfaction_counts_dossiers_not_ratings(session):
    commune = agency(session, COMMUNE)
    dossiers = []
    for day in (2, 3, 4, 5):
        d = receive(session, now=hanoi(2026, 11, day, 9), procedure_code="1.004884").dossier
        apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 11, day, 9, 5))
        _act(session, d, "complete", hanoi(2026, 11, day, 15), CompleteInput(result="Xong"))
        _act(session, d, "return_result", hanoi(2026, 11, day, 16), ReturnInput(method="direct"))
        dossiers.append(d)
    # One dossier both rated "dissatisfied" and complained about: ONE unhappy dossier, not two.
    submit_rating(session, dossiers[0], scores=GOOD, satisfied=False, comment="", now=hanoi(2026, 11, 6, 9))
    register_feedback(session, dossiers[0], content="Thái độ chưa tốt", kind="complaint",
                      now=hanoi(2026, 11, 6, 10))
    submit_rating(session, dossiers[1], scores=GOOD, satisfied=True, comment="", now=hanoi(2026, 11, 6, 9))
    score = score_agency(session, commune, *NOVEMBER, now=NOW, tz=TZ)
    assert score.counts.unhappy == 1
    sat = next(c for c in score.criteria if c.criterion == "766.5.4")
    assert sat.measured == Decimal("0.75")  # 100 % − (0 overdue + 1 of 4 unhappy)
    (pub,) = transparency_figures(session, [commune], *period_bounds(*NOVEMBER, TZ), now=NOW)
    assert pub.satisfaction_rate == sat.measured


def test_an_unknown_scope_is_a_clear_error(session):
    from onestop.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        reports.form06(session, agency(session, COMMUNE), *NOVEMBER, now=NOW, by="holder")  # type: ignore[arg-type]
    assert "desk" in str(exc.value.errors["by"])
