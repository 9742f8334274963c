"""The nightly metrics use their own GROUP BY (one per period, all agencies at once, rolled up);
for a closed period its Form 06 buckets must equal the reports area's ``form06``."""
from __future__ import annotations

from datetime import date

from onestop.domain.metrics import FORM06_COLUMNS
from onestop.services.reporting.metrics import subtree_counts
from onestop.services.reporting.reports import form06
from tests.factories import agency
from tests.services.test_scores_rules import build_march
from tests.times import hanoi


def test_closed_period_buckets_equal_form06(session):
    build_march(session)
    commune = agency(session, "000.00.31.H25")
    report = form06(session, commune, date(2026, 3, 1), date(2026, 3, 19), now=hanoi(2026, 6, 1))
    mine = subtree_counts(session, commune, hanoi(2026, 3, 1), hanoi(2026, 3, 20), "Asia/Ho_Chi_Minh")
    assert {c: getattr(mine, c) for c in FORM06_COLUMNS} == report.totals.counts()
    assert mine.received_total == 6
