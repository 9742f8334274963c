"""The base class of every model: Flask-SQLAlchemy's ``db.Model``, typed for mypy."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..extensions import db

if TYPE_CHECKING:
    # mypy takes no attribute (``db.Model``) as a base class. Flask-SQLAlchemy builds db.Model from
    # the body of database.base.Base (the same registry, metadata and type map), so Base is its type.
    from ..database.base import Base as Model
else:
    Model = db.Model

__all__ = ["Model"]
