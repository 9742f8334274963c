"""The delay report judges an open leg by THE open timing rule on its own share (docs/rules.md "Timing"
T4, T10; F4): a pause of the dossier open since before the leg's deadline stops the leg's clock (not
late, working time counted up to the pause), and the paused dossier is not late; a pause begun after
the leg's deadline does not hide the overrun."""
from __future__ import annotations

from datetime import date

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import SupplementRequestInput
from onestop.services.reporting import reports
from tests.factories import agency, user
from tests.services.test_reports_data import open_
from tests.services.test_reports_delays import POLICE
from tests.times import hanoi


def _at_police(session):
    d = open_(session, hanoi(2026, 3, 2, 9), code="3.000722")
    apply_action(session, d, "hand_off", actor=user(session, "t_officer"), now=hanoi(2026, 3, 3, 10))
    apply_action(session, d, "acknowledge", actor=user(session, "t_police"), now=hanoi(2026, 3, 3, 10))
    return d


def _report(session, now):
    return reports.delay_attribution(session, agency(session, "000.00.31.H25"), date(2026, 3, 1),
                                     date(2026, 3, 31), now=now)


def test_a_leg_paused_in_time_is_not_late(session):
    d = _at_police(session)
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu", missing_items=("Tờ khai",)),
                 actor=None, now=hanoi(2026, 3, 3, 11))
    report = _report(session, hanoi(2026, 3, 9, 9))
    police = next(a for a in report.agencies if a.agency_name == POLICE)
    assert (police.open, police.open_late, police.used_minutes, police.over_minutes) == (1, 0, 60, 0)
    assert report.late_dossiers == []


def test_a_leg_paused_after_its_share_ran_out_is_still_late(session):
    d = _at_police(session)
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu", missing_items=("Tờ khai",)),
                 actor=None, now=hanoi(2026, 3, 9, 8))
    report = _report(session, hanoi(2026, 3, 9, 9))
    police = next(a for a in report.agencies if a.agency_name == POLICE)
    assert (police.open, police.open_late) == (0, 1)
    assert [x.code for x in report.late_dossiers] == [d.code]
