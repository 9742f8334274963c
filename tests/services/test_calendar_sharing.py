"""Calendars are shared between agencies with the same effective exceptions, hours and zone
(building one costs ~0.2 s; a province has ~200 agencies), and split as soon as one differs."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from onestop.services.admin import calendars
from tests.conftest import NOW
from tests.factories import agency


@pytest.fixture(autouse=True)
def fresh_cache(app) -> Iterator[None]:
    """Start and end with the app's calendar store empty."""
    app.extensions["onestop.calendars"].clear()
    yield
    app.extensions["onestop.calendars"].clear()


def test_agencies_without_own_exceptions_share_one_calendar(session):
    finance, home = agency(session, "000.00.02.H25"), agency(session, "000.00.03.H25")
    assert finance.path != home.path
    assert calendars.calendar_for(session, finance) is calendars.calendar_for(session, home)


def test_an_agency_exception_gives_it_and_its_subtree_their_own_calendar(session):
    province, commune = agency(session, "000.00.00.H25"), agency(session, "000.00.31.H25")
    centre = agency(session, "000.01.31.H25")  # the commune's service centre, below it
    finance = agency(session, "000.00.02.H25")
    calendars.add_exception(session, on=date(2026, 5, 4), working=False, note="Lũ quét", agency=commune,
                            actor_id=None, now=NOW)
    flooded = calendars.calendar_for(session, centre)
    assert flooded is calendars.calendar_for(session, commune)
    assert flooded is not calendars.calendar_for(session, finance)
    assert not flooded.is_working_day(date(2026, 5, 4))
    assert calendars.calendar_for(session, finance).is_working_day(date(2026, 5, 4))
    assert calendars.calendar_for(session, province) is calendars.calendar_for(session, finance)
