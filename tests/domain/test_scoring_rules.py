"""Scoring rules as data (Decision 766/QĐ-TTg; PAR INDEX, Decision 876/QĐ-BNV)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from onestop.domain.errors import DomainError
from onestop.domain.scoring import (
    DEFAULT_RULES,
    ScoringRule,
    at_risk,
    rate,
    satisfaction_rate,
    score,
    what_if,
)

RULES = {r.criterion: r for r in DEFAULT_RULES}


def test_on_time_indicator_is_rate_times_twenty() -> None:
    rule = RULES["766.2.1"]
    assert score(rule, D("0.9650")) == D("19.30")
    assert score(rule, D(1)) == D("20.00")
    assert score(rule, D(0)) == D("0.00")


def test_satisfaction_full_marks_from_ninety_percent() -> None:
    rule = RULES["766.5.4"]
    assert score(rule, D("0.95")) == D("6.00")
    assert score(rule, D("0.90")) == D("6.00")
    assert score(rule, D("0.45")) == D("3.00")


def test_online_dossiers_full_marks_from_half() -> None:
    rule = RULES["766.3.3"]
    assert score(rule, D("0.50")) == rule.max_points
    assert score(rule, D("0.25")) == (rule.max_points / 2).quantize(D("0.01"))


def test_score_of_missing_measure_is_zero() -> None:
    assert score(RULES["766.2.1"], None) == D("0.00")


def test_score_rounds_half_up() -> None:
    rule = ScoringRule("x", "m", D(3), "proportional", threshold=D(1))
    assert score(rule, D("0.0025")) == D("0.01")  # 0.0075 → 0.01


def test_tiers_highest_matching_wins() -> None:
    rule = RULES["par.tthc.on_time"]
    assert score(rule, D(1)) == D("2.00")
    assert score(rule, D("0.97")) == D("1.50")
    assert score(rule, D("0.90")) == D("1.00")
    assert score(rule, D("0.85")) == D("0.50")
    assert score(rule, D("0.79")) == D("0.00")


def test_apology_is_all_or_nothing() -> None:
    rule = RULES["par.tthc.apology"]
    assert score(rule, D(1)) == D("1.00")
    assert score(rule, D("0.99")) == D("0.00")


def test_lower_is_better_rules() -> None:
    proportional = ScoringRule(
        "late", "late_rate", D(10), "proportional", threshold=D("0.05"), higher_is_better=False
    )
    assert score(proportional, D("0.02")) == D("10.00")
    assert score(proportional, D("0.525")) == D("5.00")  # (1 - 0.525) × 10 / 0.95
    bands = ((D("0.01"), D(2)), (D("0.05"), D(1)))
    tiers = ScoringRule("late", "late_rate", D(2), "tiers", tiers=bands, higher_is_better=False)
    assert score(tiers, D("0.005")) == D("2.00")
    assert score(tiers, D("0.03")) == D("1.00")
    assert score(tiers, D("0.10")) == D("0.00")


def test_rate_outside_unit_interval_is_rejected() -> None:
    with pytest.raises(DomainError):
        score(RULES["766.2.1"], D("1.01"))


def test_invalid_rules_are_rejected() -> None:
    with pytest.raises(DomainError):
        ScoringRule("x", "m", D(-1), "proportional")
    with pytest.raises(DomainError):
        ScoringRule("x", "m", D(1), "tiers")
    with pytest.raises(DomainError):
        ScoringRule("x", "m", D(1), "proportional", threshold=D(2))


def test_rate_helper() -> None:
    assert rate(193, 200) == D("0.9650")
    assert rate(2, 3) == D("0.6667")
    assert rate(0, 0) == D(1)  # nothing arose: full marks


def test_what_if_due_soon_finish_on_time_keeps_the_rate() -> None:
    # 190 counted on time (incl. 12 open and due soon) out of 200.
    assert what_if(190, 200, 12) == D("0.9500")
    assert at_risk(190, 200, 12) == D("0.8900")


def test_what_if_rejects_inconsistent_counts() -> None:
    with pytest.raises(DomainError):
        what_if(10, 200, 12)


def test_satisfaction_rate() -> None:
    assert satisfaction_rate(200, 6, 4) == D("0.9500")
    assert satisfaction_rate(10, 8, 7) == D("0.0000")  # floored at 0
    assert satisfaction_rate(0, 0, 0) == D(1)
    with pytest.raises(DomainError):
        satisfaction_rate(10, 11, 0)
