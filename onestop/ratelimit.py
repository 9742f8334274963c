"""Rate-limit storage: the in-process store for one process (``RATELIMIT_STORAGE_URI =
"onestop-memory://"``, the default), and the rule that several workers share one store.

``limits``' MemoryStorage starts a new timer *thread* on almost every hit to sweep expired
keys 10 ms later; starting a thread costs about half a millisecond, which was a third of a
citizen look-up's time (measured in bench/lookup.py, docs/benchmarks.md). Expiry of the key
being checked is already lazy (``get`` drops it); this subclass only replaces the sweep of the
*other* keys with an inline one at most every few seconds. Behaviour is otherwise the
library's.

Several worker processes or hosts must share one store (``redis://``): in-process counters are
per process, so with N workers an attacker gets N times every limit — the look-up's per-address
budget and the per-code phone-last-4 lock alike (web/lookup.py keeps both in this storage). So
production refuses to start several workers over an in-process store (:func:`refusal`, checked
when the limiter is bound to the app and again by gunicorn.conf.py against gunicorn's real worker
count); docs/operations.md §3, docs/security.md "Citizens' look-up and limits".
"""
from __future__ import annotations

import time

from limits.storage.memory import MemoryStorage

SWEEP_EVERY_SECONDS = 5.0


class SweepingMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["onestop-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._last_sweep = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep >= SWEEP_EVERY_SECONDS:
            self._last_sweep = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


# limits' schemes whose counters live in the worker's own memory.
IN_PROCESS_SCHEMES = frozenset({"memory", "async+memory", *SweepingMemoryStorage.STORAGE_SCHEME})


def refusal(*, env_name: str, storage_uri: str, workers: int) -> str | None:
    """Why this configuration must not start, or ``None``: in production, more than one worker
    over an in-process store."""
    scheme = (storage_uri or "memory://").split("://", 1)[0].strip().lower()
    if env_name != "production" or scheme not in IN_PROCESS_SCHEMES or workers == 1:
        return None
    return (f"Refusing to start: {workers} workers with the in-process rate-limit store {storage_uri!r} "
            "would each count on their own, giving a guesser that many times the look-up limit and the "
            "phone-last-4 lock. Set ONESTOP_RATELIMIT_STORAGE_URI=redis://<host>:6379/0 (one store shared "
            "by every worker and host), or run exactly one worker (ONESTOP_WORKERS=1). "
            "See docs/operations.md, section 3.")
