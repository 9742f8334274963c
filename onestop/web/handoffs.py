"""Blueprint 'handoffs' (to be filled by its issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("handoffs", __name__)
