"""Blueprint 'admin' (to be filled by its issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)
