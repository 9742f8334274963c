"""Hourly: roll up the closed local days for Form 06 and re-roll the closed days touched since the
last run (onestop/services/reporting/rollup.py; docs/operations.md, "The report roll-up")."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.reporting.rollup import refresh_rollup


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return refresh_rollup(session, now)
