"""Nightly: the honest estimate per procedure and resolving agency
(onestop/services/dossiers/estimates.py)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.dossiers.estimates import refresh_estimates


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return refresh_estimates(session, now)
