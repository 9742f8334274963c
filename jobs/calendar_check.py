"""Each November: warn the admins if next year's working calendar lacks Tết, or if its Tết is still
the `holidays` package's estimate that no admin has confirmed (docs/guide-admin.md)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.admin.calendars import warn_unconfirmed_tet
from onestop.services.dossiers.scanning import check_next_year_calendar


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return {**check_next_year_calendar(session, now), **warn_unconfirmed_tet(session, now)}
