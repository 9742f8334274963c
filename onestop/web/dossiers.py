"""Blueprint 'dossiers' (to be filled by its issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dossiers", __name__)
