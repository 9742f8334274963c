"""Blueprint 'scores' (to be filled by its issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scores", __name__)
