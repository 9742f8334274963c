"""Every 15 minutes: citizen feedback (phản ánh, kiến nghị) past its answer deadline."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.dossiers.scanning import scan_feedback


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return dict(scan_feedback(session, now))
