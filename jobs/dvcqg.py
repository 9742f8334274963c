"""Every minute: take online dossiers in from the national portal and send it what changed
(the outbox, in order per dossier, with backoff and dead letters: docs/integration.md)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.integrations.dvcqg.sync import sync_now


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    # Each claimed batch and each outcome is committed as it happens: a kill -9 loses nothing.
    return sync_now(session, config, now, checkpoint=session.commit)
