"""Tết of years not yet announced comes from the `holidays` package and is flagged "unconfirmed" to
admins until an admin confirms or edits it (docs/domain.md §8, docs/guide-admin.md)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from jobs import run_job
from onestop.domain.errors import DomainError
from onestop.models import AuditLog, Notification, TetConfirmation
from onestop.services.admin import calendar_changes, calendars
from tests.factories import agency, user
from tests.notes import said

NOV = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 02/11/2026 08:00 in Hà Nội


def status(session, year: int) -> str:
    return next(t.status for t in calendars.tet_years(session, NOV) if t.year == year)


def test_future_years_are_flagged_with_the_packages_days(session):
    years = calendars.tet_years(session, NOV)
    assert years[0].year == 2027 and years[-1].year >= 2031  # five years ahead at least
    assert all(t.flagged and t.status == "unconfirmed" for t in years)
    y2027 = years[0]
    assert y2027.days == tuple(date(2027, 2, d) for d in range(4, 11))
    assert 2026 not in {t.year for t in years}  # this year's Tết is announced and past


def test_an_admin_confirms_a_year_and_only_that_year(session):
    admin = user(session, "t_admin")
    calendar_changes.confirm_tet_year(session, 2027, actor=admin, now=NOV)
    t2027 = next(t for t in calendars.tet_years(session, NOV) if t.year == 2027)
    assert t2027.status == "confirmed" and not t2027.flagged and t2027.confirmed_by == "t_admin"
    assert t2027.confirmation is not None and t2027.confirmation.via == "confirm"
    assert status(session, 2028) == "unconfirmed"
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "calendar.confirm_tet"))
    assert audit is not None and audit.details["days"].startswith("2027-02-04")


@pytest.mark.parametrize("year", [2026, 2099])
def test_only_future_years_of_the_calendar_can_be_confirmed(session, year):
    with pytest.raises(DomainError):
        calendar_changes.confirm_tet_year(session, year, actor=user(session, "t_admin"), now=NOV)
    assert session.get(TetConfirmation, year) is None


def test_a_nationwide_edit_near_tet_counts_as_the_admins_review(session):
    admin = user(session, "t_admin")
    # Tết 2028 is 24–29/01 in the package; the Government adds Monday 31/01 (say).
    calendar_changes.add_calendar_exception(session, on=date(2028, 1, 31), working=False,
                                            note="Nghỉ Tết (TB 2027)", agency=None, actor=admin, now=NOV)
    assert status(session, 2028) == "confirmed"
    assert session.get(TetConfirmation, 2028).via == "edit"  # type: ignore[union-attr]
    # A commune's own closure, or a nationwide one far from Tết, reviews nothing.
    calendar_changes.add_calendar_exception(session, on=date(2029, 2, 19), working=False, note="Lũ",
                                            agency=agency(session, "000.00.31.H25"), actor=admin, now=NOV)
    calendar_changes.add_calendar_exception(session, on=date(2029, 6, 1), working=False, note="Bão",
                                            agency=None, actor=admin, now=NOV)
    assert status(session, 2029) == "unconfirmed"


def test_a_package_upgrade_that_moves_confirmed_days_flags_the_year_again(session):
    calendar_changes.confirm_tet_year(session, 2027, actor=user(session, "t_admin"), now=NOV)
    session.get(TetConfirmation, 2027).package_days = "2027-02-05,2027-02-06"  # type: ignore[union-attr]
    session.flush()
    assert status(session, 2027) == "changed"
    assert next(t for t in calendars.tet_years(session, NOV) if t.year == 2027).flagged


def test_the_november_job_tells_admins_once_that_next_years_tet_is_unconfirmed(app, session):
    r = run_job(app, "calendar_check", NOV)
    assert r["warned"] == 0  # Tết 2027 is in the calendar …
    assert r["tet_unconfirmed"] == 2027 and r["unconfirmed_warned"] == 1  # … but not confirmed
    note = session.scalar(select(Notification).where(Notification.kind == "calendar"))
    assert note is not None and "04/02/2027" in said(note) and "xác nhận" in said(note)
    assert run_job(app, "calendar_check", NOV)["unconfirmed_warned"] == 0  # once
    calendar_changes.confirm_tet_year(session, 2027, actor=user(session, "t_admin"), now=NOV)
    r = run_job(app, "calendar_check", NOV)
    assert r["tet_unconfirmed"] is None and r["unconfirmed_warned"] == 0
