"""The timing rule is written twice — in Python (domain/timing.timing_view) and in SQL
(services/dossiers/timing_sql.py, used by the scans and reports) — and the two must give identical answers
(docs/rules.md, "Timing"). Random dossiers (seeded: a failure is reproducible) with pauses open and
closed, begun before/at/after the due time, 0–3 supplement requests, finished/open, due times and
finishes around ``now`` and around local midnight, and some built through the services with stops
and withdrawals that end a pause; on SQLite and PostgreSQL (the ``app`` fixture)."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from onestop.domain.status import DossierStatus
from onestop.domain.timing import Timing, timing_view
from onestop.models import Dossier, PauseInterval
from onestop.services.admin.calendars import calendar_for
from onestop.services.dossiers import scanning
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    CompleteInput,
    PaymentRequestInput,
    StopInput,
    SupplementRequestInput,
    WithdrawInput,
)
from onestop.services.dossiers.timing import (
    TIMING_COLUMNS,
    inputs_of_dossier,
    inputs_of_row,
    open_pause_start,
)
from onestop.services.dossiers.timing_sql import timing_case
from tests.factories import agency, procedure, receive, user
from tests.times import hanoi

COMMUNE = "000.01.31.H25"
OPEN = [DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.AWAITING_SUPPLEMENT,
        DossierStatus.AWAITING_PAYMENT]
FINISHED = [DossierStatus.STOPPED, DossierStatus.WITHDRAWN, DossierStatus.RESULT_READY,
            DossierStatus.RETURNED]

NOWS = [
    hanoi(2026, 3, 11, 10),        # a Wednesday morning
    hanoi(2026, 3, 13, 16, 59),    # Friday, a minute before closing (due soon runs over the weekend)
    hanoi(2026, 3, 11, 23, 59),    # a minute before local midnight
    hanoi(2026, 3, 15, 12),        # a Sunday
]


def _near(rng: random.Random, base: datetime) -> datetime:
    """A moment near ``base``: exactly it, a second either side, around local midnight (17:00 UTC),
    around closing time, or anywhere within ±6 days."""
    roll = rng.random()
    if roll < 0.15:
        return base
    if roll < 0.3:
        return base + timedelta(seconds=rng.choice([-1, 1]))
    day = (base + timedelta(days=rng.randint(-6, 6))).date()
    if roll < 0.55:  # local midnight ± a minute
        return datetime(day.year, day.month, day.day, 17, 0,
                        tzinfo=UTC) + timedelta(minutes=rng.choice([-1, 0, 1]))
    if roll < 0.7:  # local closing 17:00 = 10:00 UTC
        return datetime(day.year, day.month, day.day, 10, 0,
                        tzinfo=UTC) + timedelta(minutes=rng.choice([-1, 0, 1]))
    return base + timedelta(minutes=rng.randint(-6 * 24 * 60, 6 * 24 * 60))


def _random_dossiers(session, rng: random.Random, now: datetime, n: int) -> None:
    a = agency(session, COMMUNE)
    proc = procedure(session, "1.004884")
    for i in range(n):
        due = _near(rng, now)
        start = due - timedelta(days=rng.randint(1, 12), minutes=rng.randint(0, 600))
        finished = rng.random() < 0.4
        status = rng.choice(FINISHED if finished else OPEN)
        finished_at = None
        if finished:
            finished_at = _near(rng, due if rng.random() < 0.7 else now)
            finished_at = max(finished_at, start + timedelta(minutes=1))
        supplements = rng.choice([0, 0, 1, 1, 2, 3])
        d = Dossier(code=f"T-{now:%m%d%H%M}-{i:04d}", lookup_secret_hash="0" * 64, procedure_id=proc.id,
                    receiving_agency_id=a.id, current_agency_id=a.id, applicant_name="Nguyễn Văn An",
                    channel="direct", submitted_at=start, received_at=start, clock_base_at=start,
                    clock_start_at=start, due_at=due, status=status.value, supplement_count=supplements,
                    finished_at=finished_at, updated_at=start, limit_value=5, limit_unit="working_days")
        if rng.random() < 0.2 and not finished:
            d.promised_due_at = due + timedelta(days=3)
        session.add(d)
        session.flush()
        for _ in range(rng.choice([0, 1, 1, 2])):
            p_start = _near(rng, due if rng.random() < 0.6 else now)
            p_start = max(p_start, start)
            closed = finished or status not in (DossierStatus.AWAITING_SUPPLEMENT,
                                                DossierStatus.AWAITING_PAYMENT) \
                or rng.random() < 0.3
            end = None
            if closed:
                end = p_start + timedelta(minutes=rng.randint(0, 3000))
                if finished_at is not None:
                    end = min(max(end, p_start), max(finished_at, p_start))
            session.add(PauseInterval(dossier_id=d.id, kind=rng.choice(["supplement", "payment"]),
                                      started_at=p_start, ended_at=end))
    session.flush()


def _through_the_services(session, rng: random.Random, now: datetime, n: int) -> None:
    """Dossiers whose due times come from the real actions: pauses ended normally, by a stop
    (form 05) or by a withdrawal; second supplement requests; finishes around the due time."""
    clerk, head, officer = user(session, "t_clerk"), user(session, "t_head"), user(session, "t_officer")
    for _ in range(n):
        t = now - timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 8))
        d = receive(session, now=t).dossier
        apply_action(session, d, "transfer", actor=clerk, now=t + timedelta(minutes=5))
        t += timedelta(hours=1)
        for _step in range(rng.choice([0, 1, 1, 2])):
            kind = rng.choice(["supplement", "payment"])
            if kind == "supplement":
                apply_action(session, d, "request_supplement",
                             SupplementRequestInput(reason="Thiếu", missing_items=("Bản sao",)),
                             actor=officer, now=t)
            else:
                apply_action(session, d, "request_payment",
                             PaymentRequestInput(reason="Lệ phí"), actor=officer, now=t)
            t += timedelta(hours=rng.randint(1, 72))
            if t >= now:
                break
            end = rng.random()
            session.flush()
            session.expire(d, ["pauses"])
            if end < 0.2:
                apply_action(session, d, "stop", StopInput(reason="Không bổ sung"), actor=head, now=t)
                break
            if end < 0.35:
                apply_action(session, d, "withdraw", WithdrawInput(reason="Rút"), actor=clerk, now=t)
                break
            apply_action(session, d, "provide_supplement" if kind == "supplement" else "confirm_payment",
                         actor=clerk, now=t)
            t += timedelta(hours=rng.randint(1, 24))
        if d.finished_at is None and t < now and rng.random() < 0.5 and d.status == "processing":
            apply_action(session, d, "complete", CompleteInput(result="Đã cấp"), actor=officer, now=t)
    session.flush()


@pytest.mark.parametrize("now", NOWS, ids=["wednesday", "friday-close", "midnight", "sunday"])
def test_sql_and_python_timing_agree_on_random_dossiers(session, now):
    rng = random.Random(f"timing-twin-{now.isoformat()}")
    _random_dossiers(session, rng, now, 150)
    _through_the_services(session, rng, now, 12)
    cal = calendar_for(session, agency(session, COMMUNE))
    soon = scanning.due_soon_threshold(session, now)
    sql_kind = timing_case(finished=Dossier.finished_at.is_not(None), finished_at=Dossier.finished_at,
                           due_at=Dossier.due_at, pause_start=open_pause_start(Dossier.id),
                           supplement_count=Dossier.supplement_count, now=now, soon=soon, tz=cal.tz_name)
    rows = session.execute(select(Dossier.id, sql_kind.label("sql"), *TIMING_COLUMNS)
                           .where(Dossier.due_at.is_not(None))).all()
    assert len(rows) >= 150
    orm = {d.id: d for d in session.scalars(select(Dossier).where(Dossier.due_at.is_not(None)))}
    seen: set[str] = set()
    for row in rows:
        from_row = timing_view(inputs_of_row(row, tz=cal.tz_name), now, cal)
        from_orm = timing_view(inputs_of_dossier(orm[row.id]), now, cal)
        assert inputs_of_row(row, tz=cal.tz_name) == inputs_of_dossier(orm[row.id]), row.id
        assert from_row.timing is not None
        assert row.sql == from_row.timing.value == from_orm.timing.value, (row.id, dict(row._mapping))
        seen.add(row.sql)
    # The data reaches every bucket of both rules.
    assert seen == {t.value for t in Timing}

    # The scans flag exactly the dossiers the Python rule calls overdue / due soon.
    expected_overdue = {r.id for r in rows if r.sql == Timing.OVERDUE.value}
    expected_soon = {r.id for r in rows if r.sql == Timing.DUE_SOON.value}
    assert scanning.flag_overdue_dossiers(session, now) == len(expected_overdue)
    assert scanning.flag_due_soon_dossiers(session, now) == len(expected_soon)
    flagged = session.execute(
        select(Dossier.id, Dossier.overdue_flagged_at, Dossier.due_soon_flagged_at)).all()
    assert {i for i, o, _s in flagged if o is not None} == expected_overdue
    assert {i for i, _o, s in flagged if s is not None} == expected_soon
