"""Every minute: deliver the outbox (citizens' e-mail, SMS and Zalo messages, queued with their
consent in the same transaction as the dossier action) through the configured senders, with
retries and backoff (docs/integration.md, "Messaging")."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestop.services.notify.notifications import deliver_outbox, senders_from_config


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    # Citizens are written to only with the consent recorded at reception: messages are queued by
    # the action itself (services.notify.events), not by scanning every public event.
    queued = 0
    senders = config.get("NOTIFICATION_SENDERS") or senders_from_config(config)
    result = deliver_outbox(session, senders, now=now,
                            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 8)),
                            base_backoff_seconds=int(config.get("OUTBOX_BACKOFF_SECONDS", 60)),
                            checkpoint=session.commit)
    return {"queued": queued, "sent": result.sent, "retried": result.retried, "failed": result.failed}
