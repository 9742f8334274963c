"""Small SQL helpers shared by the set-based services."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult, Result


def rows_affected(result: Result[Any]) -> int:
    """Rows an UPDATE or INSERT … SELECT changed (the statement's cursor rowcount)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)
