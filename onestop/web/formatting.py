"""Jinja filters for figures: ``pct`` (a rate as a percentage in the request's locale, half-up) and
``asof`` ("dd/mm/yyyy HH:MM" local) — thin wrappers over ``services.numbers``."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from flask_babel import get_locale

from ..services.numbers import format_as_of, format_number, format_rate
from .i18n import local_tz


def _locale() -> Locale | str:
    # The request's Locale object, not its name: Babel rebuilds a named locale's number symbols on
    # every call (about 0.2 ms a figure; a report page shows hundreds).
    return get_locale() or "vi"


def pct(rate: Decimal | float | None, digits: int = 1) -> str:
    return format_rate(rate, _locale(), digits)


def num(value: Decimal | float | None, digits: int = 1) -> str:
    return "—" if value is None else format_number(value, _locale(), digits)


def asof(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return format_as_of(moment, local_tz().key)


def register(env: Any) -> None:
    env.filters["pct"] = pct
    env.filters["num"] = num
    env.filters["asof"] = asof
