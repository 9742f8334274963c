"""Every minute: queue e-mails to citizens for new public events (status changes, apology), then
deliver the outbox through the pluggable senders with retries and backoff."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.notifications import deliver_outbox, enqueue_status_emails, senders_from_config

from . import last_run

# The event window overlaps the previous run by this much (keys make the overlap harmless).
OVERLAP = timedelta(hours=1)
# First run ever: do not e-mail the whole history, only the last day.
FIRST_WINDOW = timedelta(days=1)


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    last = last_run(session, "notify")
    since = (last - OVERLAP) if last is not None and last <= now else (now - FIRST_WINDOW)
    queued = enqueue_status_emails(session, since=since, now=now)
    session.flush()
    senders = config.get("NOTIFICATION_SENDERS") or senders_from_config(config)
    result = deliver_outbox(session, senders, now=now,
                            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 8)),
                            base_backoff_seconds=int(config.get("OUTBOX_BACKOFF_SECONDS", 60)),
                            checkpoint=session.commit)
    return {"queued": queued, "sent": result.sent, "retried": result.retried, "failed": result.failed}
