"""Numbers as people read them: rates as percentages with the locale's decimal mark (Vietnamese
"81,3 %", English "81.3%"), rounded half-up on the exact decimal value (Babel formats with the
decimal context's half-even rounding and binary floats round 81.25 down, so the value is quantized
with ``ROUND_HALF_UP`` first). The "as of" moment of a report in dd/mm/yyyy HH:MM, local time.

Used by the pages (Jinja filters ``pct`` and ``asof``), the CLI and the exports, so a figure prints
the same everywhere (docs/rules.md, "Form 06 and the on-time rate").
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal, format_percent

__all__ = ["as_of_label", "format_as_of", "format_number", "format_rate", "percent_value"]


def percent_value(rate: Decimal | float, digits: int = 1) -> Decimal:
    """``rate`` in [0, 1] as a percentage rounded half-up to ``digits`` decimals: 0.8125 → 81.3."""
    exact = Decimal(str(rate)) if isinstance(rate, float) else Decimal(rate)
    return (exact * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def format_rate(rate: Decimal | float | None, locale: Locale | str = "vi", digits: int = 1) -> str:
    """0.8125 → "81,3 %" (vi) / "81.3%" (en); None → "—"."""
    if rate is None:
        return "—"
    value = percent_value(rate, digits) / 100  # exact after half-up rounding: Babel's rounding is a no-op
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return str(format_percent(value, format=pattern, locale=locale))


def format_number(value: Decimal | float, locale: Locale | str = "vi", digits: int = 1) -> str:
    """A decimal number with the locale's marks, rounded half-up: 81.25 → "81,3" (vi) / "81.3" (en)."""
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    q = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(q, format=pattern, locale=locale))


def format_as_of(moment: datetime, tz: str = "Asia/Ho_Chi_Minh") -> str:
    """dd/mm/yyyy HH:MM in the agency's zone."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")


def as_of_label(moment: datetime, tz: str = "Asia/Ho_Chi_Minh") -> str:
    """"Số liệu tính đến dd/mm/yyyy HH:MM", for the Vietnamese workbook and the CLI (pages say it
    through the catalogue)."""
    return f"Số liệu tính đến {format_as_of(moment, tz)}"
