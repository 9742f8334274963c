"""Verification and throttles of the citizen surface, in one place (docs/domain.md §4,
docs/security.md "Citizens' look-up and limits").

* **One bucket per client address** for every way of proving a secret — the page's POST, the
  JSON API, the rating and complaint posts: ``limiter.shared_limit`` with one scope, so an
  attacker does not get four budgets. :data:`guess_limit` counts every request of the blueprint it
  is given (the API), :data:`guess_limit_post` only its POSTs (the page's GET shows the form or the
  live session's dossier and proves nothing). Given to the blueprint, not to each view: a
  blueprint's limits are checked once, in the limiter's own before-request pass, whereas a view
  decorator adds a second pass of its own to every request (docs/benchmarks.md, "Look-up vs bare
  endpoint").
* **The phone-4 guard** (:func:`verify_guarded`) around every verification.
* **The look-up session**: after a verified look-up the signed session cookie holds the one
  dossier's id and an expiry (:func:`mark_verified`, :func:`session_dossier`).

The counters live in the limiter's storage: Redis in production, one count for every worker and
node (docs/operations.md §3).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from flask import current_app, session
from limits import RateLimitItem, parse_many
from sqlalchemy import select

from ...domain.codes import MAX_CODE_LENGTH, lookup_key, normalize_code, parse_code
from ...domain.errors import DomainError
from ...domain.status import DossierAction
from ...extensions import db, limiter
from ...models import Dossier, DossierEvent
from ...services.public import lookup as lookup_svc

LOOKUP_SCOPE = "citizen-lookup"
PHONE4_SCOPE = "lookup-phone4"
VERIFIED_KEY = "lookup_verified"
VERIFIED_MINUTES = 15

_T = TypeVar("_T")


def secret_key() -> bytes:
    """The HMAC key of the receipts' look-up secrets (docs/security.md)."""
    return lookup_key(current_app.config)


def lookup_limit() -> str:
    """Read at request time so tests and operators can change it without rebuilding the app."""
    return str(current_app.config.get("LOOKUP_RATE_LIMIT") or "30 per minute;300 per hour")


guess_limit = limiter.shared_limit(lookup_limit, scope=LOOKUP_SCOPE)
guess_limit_post = limiter.shared_limit(lookup_limit, scope=LOOKUP_SCOPE, methods=["POST"])


def retry_after_seconds() -> int:
    """Seconds until the breached limit of this request lets the next guess through."""
    lim = limiter.current_limit
    if lim is None:
        return 60
    try:
        return max(1, int(lim.reset_at - time.time()))
    except Exception:  # noqa: BLE001  (storage unreachable: a safe default)
        return 60


# ---------------------------------------------------------------- the phone-4 guard

def verify_guarded(code: str, phone4: str,
                   verify: Callable[[str, lookup_svc.FactorCheck], _T | None]) -> _T | None:
    """THE phone-4 guard around every way of proving a look-up — the page, the API, rating and
    complaint posts: ``verify(phone4, check)`` runs the service's verification with the digits
    this guard lets through, and reports in ``check`` whether they matched.

    The phone's last four digits are only 10,000 values and a desk's codes are sequential, so
    besides the per-address limit each well-formed dossier code accepts only
    ``LOOKUP_PHONE4_FAILURES`` wrong phone-4 guesses (default 10 a day). Every wrong guess counts,
    whatever else the request carries — a wrong or a right secret included (a look-up succeeds on
    either factor, so success says nothing about the digits). Once the count is reached the phone
    route is closed for that code: the digits are not compared at all, so the right ones fail too,
    with the same generic answer after the same work. The receipt's secret is never refused here:
    an attacker can close the weaker factor, not lock the citizen out. The counter lives in the
    rate limiter's storage under ``[RATELIMIT_KEY_PREFIX/]lookup-phone4/<code>``."""
    keys = _phone4_keys(code) if phone4 and limiter.enabled else None
    limit = _phone4_limit()
    # The guess is counted *before* the digits are compared — one atomic increment in the shared
    # store — so guesses sent in parallel cannot all be compared before the first is counted.
    if keys is not None and not limiter.limiter.hit(limit, *keys):
        phone4, keys = "", None  # closed for this code until the window ends
    check = lookup_svc.FactorCheck()
    found = verify(phone4, check)
    if keys is not None and check.phone4_matched:
        # Right digits never count: give the guess back (the limiter's fixed window, Flask-Limiter's
        # default strategy, which the app does not change: a hit of cost -1 is a decrement).
        limiter.limiter.hit(limit, *keys, cost=-1)
    return found


def _phone4_keys(code: str) -> list[str] | None:
    try:
        parse_code(code[: MAX_CODE_LENGTH + 1])  # only well-formed codes get a counter
    except DomainError:
        return None
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [k for k in (prefix, PHONE4_SCOPE, normalize_code(code)) if k]


def _phone4_limit() -> RateLimitItem:
    return _parsed_limits(str(current_app.config.get("LOOKUP_PHONE4_FAILURES") or "10 per day"))[0]


@lru_cache(maxsize=8)
def _parsed_limits(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(sorted(parse_many(spec)))


# ---------------------------------------------------------------- the look-up session

def mark_verified(dossier: Dossier, now: datetime) -> None:
    """The citizen's look-up session (docs/security.md, "The citizen's look-up session"): after a
    verified look-up, the signed session cookie holds THE one dossier's id and an expiry
    ``VERIFIED_MINUTES`` later — never the secret or the digits. A later look-up replaces it
    (one dossier at a time); rating and complaint posts use it without extending it."""
    session[VERIFIED_KEY] = {"id": dossier.id,
                             "until": (now + timedelta(minutes=VERIFIED_MINUTES)).timestamp()}


def session_dossier(code: str, now: datetime) -> Dossier | None:
    """The dossier of a live look-up session, if ``code`` is its code; else None."""
    mark = session.get(VERIFIED_KEY)
    if not isinstance(mark, dict):
        return None
    until, dossier_id = mark.get("until"), mark.get("id")
    if not isinstance(until, (int, float)) or until <= now.timestamp() or not isinstance(dossier_id, int):
        return None
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or dossier.code != normalize_code((code or "")[:MAX_CODE_LENGTH + 1]):
        return None
    # A secret reissued since (a lost receipt: the old one may be in other hands) ends the session.
    opened = datetime.fromtimestamp(until, UTC) - timedelta(minutes=VERIFIED_MINUTES)
    if db.session.scalar(select(DossierEvent.id).where(
            DossierEvent.dossier_id == dossier.id, DossierEvent.action == DossierAction.REISSUE_SECRET.value,
            DossierEvent.at >= opened).limit(1)) is not None:
        return None
    return dossier
