"""Every 15 minutes: flag overdue and due-soon dossiers and overdue liên thông legs; notify the
assignee (or the heads) in-app and citizens with an e-mail (docs/domain.md §2: the apology is due no
later than one working day before the deadline)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.dossiers.scanning import scan_dossiers


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return dict(scan_dossiers(session, now).as_dict())
