"""In-process rate-limit storage for single-node deployments (``RATELIMIT_STORAGE_URI =
"onestop-memory://"``, the default).

``limits``' MemoryStorage starts a new timer *thread* on almost every hit to sweep expired
keys 10 ms later; starting a thread costs about half a millisecond, which was a third of a
citizen look-up's time (measured in bench/lookup.py, docs/benchmarks.md). Expiry of the key
being checked is already lazy (``get`` drops it); this subclass only replaces the sweep of the
*other* keys with an inline one at most every few seconds. Behaviour is otherwise the
library's. Several web nodes must share a store instead: ``redis://`` or ``memcached://``
(docs/operations.md).
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
