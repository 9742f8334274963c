"""07:00 on working days (working Saturdays included, Tết excluded): the heads' digest."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.dossiers.scanning import digest_heads


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return digest_heads(session, now)
