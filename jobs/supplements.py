"""Twice an hour: lapsed supplement windows — remind the citizen, then flag to the desk."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.dossiers.scanning import scan_supplements


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return dict(scan_supplements(session, now))
