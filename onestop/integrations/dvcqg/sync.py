"""One sync run: take the portal's online submissions in, then send the outbox (docs/integration.md)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ...domain.codes import lookup_key
from .client import PortalClient, PortalError
from .intake import take_in
from .outbox import send_pending, sync_enabled


def sync_now(session: Session, config: Mapping[str, Any], now: datetime, *,
             checkpoint: Callable[[], None] | None = None, client: PortalClient | None = None,
             intake: bool = True) -> dict[str, Any]:
    """Pull and push once. The intake is committed (``checkpoint``) BEFORE it is acknowledged to
    the portal: a crash in between re-pulls the same submissions, which are then recognised by
    their portal code and only acknowledged again."""
    if not sync_enabled(config):
        return {"enabled": False}
    own = client is None
    client = client or PortalClient.from_config(config)
    out: dict[str, Any] = {"enabled": True}
    try:
        if intake:
            try:
                taken = take_in(session, client.online_submissions(),
                                unit_code=str(config["DVCQG_UNIT_CODE"]),
                                now=now, lookup_key=lookup_key(config))
                if checkpoint is not None:
                    checkpoint()
                client.acknowledge(taken.acknowledgements)
                out["intake"] = taken.as_dict()
            except PortalError as exc:
                out["intake"] = {"error": str(exc)[:500]}
        sent = send_pending(
            session, client, now, batch_dossiers=int(config.get("DVCQG_BATCH_DOSSIERS") or 200),
            max_attempts=int(config.get("DVCQG_MAX_ATTEMPTS") or 8),
            base_backoff_seconds=int(config.get("DVCQG_BACKOFF_SECONDS") or 60),
            backoff_cap_seconds=int(config.get("DVCQG_BACKOFF_CAP_SECONDS") or 1800),
            lease_seconds=int(config.get("DVCQG_LEASE_SECONDS") or 300), checkpoint=checkpoint)
        out["push"] = sent.as_dict()
    finally:
        if own:
            client.close()
    return out
