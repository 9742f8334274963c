"""Re-export of the declarative base (kept outside models/ so extensions can import it)."""
from __future__ import annotations

from ..database.base import Base, UTCDateTime, enum_check

__all__ = ["Base", "UTCDateTime", "enum_check"]
