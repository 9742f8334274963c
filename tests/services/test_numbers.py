"""Figures are printed with Babel in the reader's language, rounded half-up on the exact decimal
value (docs/rules.md, "Form 06 and the on-time rate", F6)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from onestop.services.numbers import as_of_label, format_as_of, format_number, format_rate, percent_value


@pytest.mark.parametrize("value,locale,expected", [
    (Decimal("0.8125"), "vi", "81,3%"),  # half-up: binary floating point printed 81.2
    (Decimal("0.8125"), "en", "81.3%"),
    (0.8125, "vi", "81,3%"),  # a float is read through its shortest repr, not its binary value
    (Decimal("0.8124"), "vi", "81,2%"),
    (Decimal(1), "vi", "100,0%"),
    (Decimal(0), "en", "0.0%"),
    (None, "vi", "—"),
])
def test_rates_are_percentages_in_the_locale_rounded_half_up(value, locale, expected):
    assert format_rate(value, locale) == expected


def test_two_decimals_and_plain_numbers():
    assert format_rate(Decimal("0.44445"), "vi", 2) == "44,45%"
    assert format_number(Decimal("81.25"), "vi") == "81,3"
    assert format_number(81.25, "en") == "81.3"
    assert format_number(Decimal("1234.55"), "vi") == "1.234,6"
    assert percent_value(Decimal("0.0005"), 1) == Decimal("0.1")


def test_the_moment_is_printed_day_first_in_local_time():
    moment = datetime(2026, 11, 29, 3, 5, tzinfo=UTC)
    assert format_as_of(moment) == "29/11/2026 10:05"
    assert as_of_label(moment) == "Số liệu tính đến 29/11/2026 10:05"
