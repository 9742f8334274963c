"""The fixed moments the tests are written against, as aware UTC datetimes: the database stores
UTC, the desks work in Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

HANOI_OFFSET = timedelta(hours=7)


def hanoi(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Hà Nội wall-clock time as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - HANOI_OFFSET


# Monday 02/03/2026 09:00 in Hà Nội: a working morning with a full working week ahead (no public
# holiday until 30/04), so "5 working days" from here is 09/03 17:00.
MONDAY = hanoi(2026, 3, 2, 9)
TUESDAY = hanoi(2026, 3, 3, 9)
TUESDAY_10 = hanoi(2026, 3, 3, 10)
