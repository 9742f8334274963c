"""Blueprint 'reception' (to be filled by its issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reception", __name__)
