"""Fixtures of the web tests (the database, client and `auth` fixtures are in tests/conftest.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.times import TUESDAY_10

# Where the citizen surface (onestop/web/public/) and the staff PAKN inbox read the clock.
CITIZEN_CLOCKS = ("public.page", "public.api", "public.transparency", "feedback")


@dataclass
class Clock:
    now: datetime


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The citizen surface's clock, pinned on Tuesday 03/03/2026 10:00 in Hà Nội — the day after
    tests.times.MONDAY, when the dossiers the tests receive on Monday are looked up. A test moves it
    with ``clock.now = …``; a module overrides it with its own ``clock`` fixture."""
    pinned = Clock(TUESDAY_10)
    for module in CITIZEN_CLOCKS:
        monkeypatch.setattr(f"onestop.web.{module}.utcnow", lambda: pinned.now)
    return pinned
