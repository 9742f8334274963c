"""Shared literal datasets for the report tests (no tests here; imported by test_reports*.py and
tests/web/test_reports*.py). Dossiers are created through the services with literal times."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from onestop.models import Dossier
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput, SupplementRequestInput, WithdrawInput
from tests.factories import receive, user
from tests.times import hanoi

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
# A moment long after the test periods: Form 06 of a period that is over, as of its end.
LATER = datetime(2026, 6, 1, tzinfo=UTC)


def open_(session, when: datetime, *, code: str = "1.004884", channel: str = "direct",
          name: str = "Nguyễn Văn An",
          note: str = "") -> Dossier:
    d = receive(session, now=when, procedure_code=code, channel=channel, name=name, note=note).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=when + timedelta(minutes=5))
    return d


def officer_for(d: Dossier) -> str:
    return "t_police" if d.current_agency.identifier == "000.02.31.H25" else "t_officer"


def complete(session, d: Dossier, when: datetime) -> None:
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=user(session, officer_for(d)), now=when)


def supplement(session, d: Dossier, when: datetime) -> None:
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu giấy tờ", missing_items=("Bản sao giấy chứng sinh",)),
                 actor=user(session, officer_for(d)), now=when)


def provide(session, d: Dossier, when: datetime) -> None:
    # dossiers.py reads the viewonly ``pauses`` collection, which is stale after a second
    # request_supplement in the same session (reported upstream): reload it.
    session.flush()
    session.expire(d, ["pauses"])
    apply_action(session, d, "provide_supplement", actor=user(session, "t_clerk"), now=when)


@dataclass
class March:
    """The hand-computed March 2026 dataset (1.004884 = 5 working days, field Hộ tịch;
    1.004222 = 7 working days, field Cư trú). No holidays in March 2026."""

    carried_early: Dossier
    online_on_time: Dossier
    direct_late: Dossier
    postal_two_supplements: Dossier
    withdrawn: Dossier
    open_overdue: Dossier
    open_within: Dossier
    paused: Dossier
    residence_overdue: Dossier


def build_march(session) -> March:
    # Received Wed 25/02 (due Wed 04/03 17:00), finished Tue 03/03: carried over, resolved early.
    carried = open_(session, hanoi(2026, 2, 25, 9))
    complete(session, carried, hanoi(2026, 3, 3, 10))
    # Received and finished in February: not counted.
    gone = open_(session, hanoi(2026, 2, 26, 9))
    complete(session, gone, hanoi(2026, 2, 27, 10))
    # Online Mon 02/03 (due Mon 09/03 17:00), finished 09/03 10:00: on time.
    on_time = open_(session, hanoi(2026, 3, 2, 9), channel="online")
    complete(session, on_time, hanoi(2026, 3, 9, 10))
    # Direct Mon 02/03, finished Tue 10/03: late.
    late = open_(session, hanoi(2026, 3, 2, 9))
    complete(session, late, hanoi(2026, 3, 10, 10))
    # Postal Tue 03/03, two supplement requests, finished early: late (Decision 766: > 1 request).
    two = open_(session, hanoi(2026, 3, 3, 9), channel="postal")
    supplement(session, two, hanoi(2026, 3, 4, 9))
    provide(session, two, hanoi(2026, 3, 4, 14))
    supplement(session, two, hanoi(2026, 3, 5, 9))
    provide(session, two, hanoi(2026, 3, 5, 14))
    complete(session, two, hanoi(2026, 3, 6, 10))
    # Direct Wed 04/03, withdrawn Thu 05/03: resolved (early).
    withdrawn = open_(session, hanoi(2026, 3, 4, 9))
    apply_action(session, withdrawn, "withdraw",
                 WithdrawInput(reason="Công dân rút hồ sơ"),
                 actor=user(session, "t_clerk"), now=hanoi(2026, 3, 5, 9))
    # Direct Fri 20/03 (due Fri 27/03 17:00), open at the end: overdue.
    overdue = open_(session, hanoi(2026, 3, 20, 9))
    # Direct Fri 27/03 (due Fri 03/04): within.
    within = open_(session, hanoi(2026, 3, 27, 9))
    # Direct Fri 20/03, supplement asked Thu 26/03 before the due time, still paused at the end: within.
    paused = open_(session, hanoi(2026, 3, 20, 10))
    supplement(session, paused, hanoi(2026, 3, 26, 9))
    # Cư trú (7 working days): Thu 05/03 → due Mon 16/03, open: overdue.
    residence = open_(session, hanoi(2026, 3, 5, 9), code="1.004222")
    # Refused at the desk (no clock): not counted. Received in April: not counted.
    receive(session, now=hanoi(2026, 3, 10, 9), outcome="refuse", reason="Không thuộc thẩm quyền")
    open_(session, hanoi(2026, 4, 1, 9))
    session.flush()
    return March(carried, on_time, late, two, withdrawn, overdue, within, paused, residence)


# The expected Form 06 (hand-computed from the comments above).
EXPECTED_MARCH = {
    "Hộ tịch": dict(received_total=8, received_online=1, received_direct_postal=6, carried_over=1,
                    resolved_total=5, resolved_early=2, resolved_on_time=1, resolved_late=2,
                    in_progress_total=3, in_progress_within=2, in_progress_overdue=1),
    "Cư trú": dict(received_total=1, received_online=0, received_direct_postal=1, carried_over=0,
                   resolved_total=0, resolved_early=0, resolved_on_time=0, resolved_late=0,
                   in_progress_total=1, in_progress_within=0, in_progress_overdue=1),
}
