"""Daily: delete stored dossier files that no row references once older than the grace period
(an upload whose database commit failed; docs/operations.md, "Dossier files")."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onestop.integrations.storage import storage_for
from onestop.services.dossiers.files import purge_orphans


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    grace = timedelta(hours=float(config.get("FILE_ORPHAN_GRACE_HOURS") or 24))
    return purge_orphans(session, storage_for(config), now=now, grace=grace)
