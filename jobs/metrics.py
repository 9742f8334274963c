"""Nightly: metrics snapshots per agency (rolled up the tree) and field, for month, quarter and
year to date; the scoring rules are seeded here too so that dashboards always find them."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.reporting.metrics import snapshot_metrics
from onestop.services.reporting.scores import seed_scoring_rules


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    seeded = seed_scoring_rules(session, now)
    result = snapshot_metrics(session, now, tz=str(config.get("TIMEZONE", "Asia/Ho_Chi_Minh")))
    return {**result, "rules_seeded": seeded}
