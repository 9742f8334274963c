"""Delay attribution along a three-agency liên thông chain (procedure 3.000722: UBND xã 40 %,
Công an xã 30 %, BHXH 30 % of 3 working days = 1350 office minutes)."""
from __future__ import annotations

from datetime import date

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput
from onestop.services.reporting import reports
from tests.factories import agency, user
from tests.services.test_reports_data import open_
from tests.times import hanoi

UBND, POLICE, BHXH = "Ủy ban nhân dân xã Tân Lạc", "Công an xã Tân Lạc", "Bảo hiểm xã hội tỉnh Phú Thọ"


def test_three_agency_chain_blames_the_agency_that_overran_its_share(session):
    d = open_(session, hanoi(2026, 3, 2, 9), code="3.000722")
    apply_action(session, d, "hand_off", actor=user(session, "t_officer"), now=hanoi(2026, 3, 3, 10))
    apply_action(session, d, "acknowledge", actor=user(session, "t_police"), now=hanoi(2026, 3, 3, 10))
    apply_action(session, d, "hand_off", actor=user(session, "t_police"), now=hanoi(2026, 3, 6, 9))
    apply_action(session, d, "acknowledge", actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 6, 9))
    apply_action(session, d, "complete",
                 CompleteInput(result="Xong"), actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 6, 14))
    assert [leg.share_minutes for leg in d.legs] == [540, 405, 405]
    assert [leg.result for leg in d.legs] == ["on_time", "late", "early"]

    report = reports.delay_attribution(session, agency(session, "000.00.31.H25"), date(2026, 3, 1),
                                       date(2026, 3, 31), now=hanoi(2026, 4, 1, 9))
    by_name = {a.agency_name: a for a in report.agencies}
    assert set(by_name) == {UBND, POLICE, BHXH}
    police = by_name[POLICE]
    assert (police.legs, police.late, police.on_time_total, police.used_minutes, police.over_minutes) == (
        1, 1, 0, 1290, 885)
    ubnd = by_name[UBND]
    assert (ubnd.on_time, ubnd.late, ubnd.used_minutes, ubnd.over_minutes) == (1, 0, 505, 0)
    bhxh = by_name[BHXH]
    assert (bhxh.early, bhxh.used_minutes, bhxh.over_minutes) == (1, 180, 0)
    assert report.agencies[0].agency_name == POLICE  # most late first
    # The dossier (due Thu 05/03 17:00, finished Fri 06/03 14:00) is late because of the police leg.
    assert [(x.code, x.blamed) for x in report.late_dossiers] == [(d.code, [(POLICE, 885)])]
    assert report.blame_totals == [(POLICE, 1)]


def test_an_open_leg_past_its_share_is_counted_as_open_late(session):
    d = open_(session, hanoi(2026, 3, 2, 9), code="3.000722")
    apply_action(session, d, "hand_off", actor=user(session, "t_officer"), now=hanoi(2026, 3, 3, 10))
    apply_action(session, d, "acknowledge", actor=user(session, "t_police"), now=hanoi(2026, 3, 3, 10))
    report = reports.delay_attribution(session, agency(session, "000.00.31.H25"), date(2026, 3, 1),
                                       date(2026, 3, 31), now=hanoi(2026, 3, 9, 9))
    police = next(a for a in report.agencies if a.agency_name == POLICE)
    assert (police.open_late, police.late_total) == (1, 1)
    assert report.late_dossiers[0].blamed[0][0] == POLICE
