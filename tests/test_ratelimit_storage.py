"""The in-process rate-limit storage keeps limits' semantics without a thread per hit."""
from __future__ import annotations

import threading

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from onestop import ratelimit
from onestop.ratelimit import SweepingMemoryStorage


def test_scheme_is_registered_and_counts_like_memory():
    storage = storage_from_string("onestop-memory://")
    assert isinstance(storage, SweepingMemoryStorage)
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per minute")
    assert [limiter.hit(limit, "client-a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "client-b")


def test_hits_start_no_threads():
    storage = SweepingMemoryStorage()
    before = threading.active_count()
    for i in range(200):
        storage.incr(f"k{i}", expiry=60)
    assert threading.active_count() <= before + 1  # at most the constructor's one-off timer


def test_expired_keys_are_swept_inline(monkeypatch):
    storage = SweepingMemoryStorage()
    storage.incr("old", expiry=0.0)
    monkeypatch.setattr(ratelimit, "SWEEP_EVERY_SECONDS", 0.0)
    storage.incr("new", expiry=60)
    assert "old" not in storage.storage and storage.get("new") == 1
