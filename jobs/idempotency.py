"""Hourly: forget the API's Idempotency-Key answers older than 24 hours (one DELETE);
docs/security.md, "Staff sessions and API"."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.dossiers.idempotency import purge_expired_keys


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return {"expired_keys_deleted": purge_expired_keys(session, now)}
