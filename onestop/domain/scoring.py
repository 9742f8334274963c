"""Criterion points from measured rates. Scoring rules are *data* (docs/domain.md §6).

Two families of criteria are fed by the tracker:

* Decision 766/QĐ-TTg (2022) — the national index of service to citizens and businesses (100 points):
  indicator 2.1 on-time handling (20 points, "score ≈ rate × 20"), 3.3 online dossiers, 5.4
  satisfaction with TTHC handling, … Its generic rule: points = max if rate ≥ threshold, else
  rate × max / threshold (``kind="proportional"``).
* The PAR INDEX (Chỉ số cải cách hành chính; Decision 876/QĐ-BNV for provinces): each province issues
  its own set for its departments and communes, with tiers or proportional points. The defaults below
  are a sensible starting set that each province edits (an admin table seeded from ``DEFAULT_RULES``).

Conventions:

* rates are ``Decimal`` in [0, 1];
* ``score(rule, None)`` is 0: a measure that was not reported earns nothing (it is *not* the same as
  an empty denominator — "không phát sinh hồ sơ" — which :func:`rate` reports as 1, full marks,
  following the usual PAR guidance "trường hợp không phát sinh thì được điểm tối đa");
* points are rounded to 2 decimals, ROUND_HALF_UP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from onestop.domain.errors import DomainError

__all__ = [
    "DEFAULT_RULES",
    "PAR_TTHC_RULES",
    "RULES_766",
    "ScoringRule",
    "at_risk",
    "rate",
    "satisfaction_rate",
    "score",
    "what_if",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_CENT = Decimal("0.01")
_RATE_Q = Decimal("0.0001")


RuleKind = Literal["proportional", "tiers"]


def rule_kind(value: str) -> RuleKind:
    """A stored or typed kind as the rule takes it; anything else is refused."""
    if value == "proportional":
        return "proportional"
    if value == "tiers":
        return "tiers"
    raise DomainError(f"Kiểu chấm điểm không hợp lệ {value!r}. (Unknown kind.)")


@dataclass(frozen=True, slots=True)
class ScoringRule:
    """One criterion's scoring rule.

    * ``proportional``: full ``max_points`` when the rate reaches ``threshold``, otherwise
      ``rate × max_points / threshold`` (threshold ``None`` means 1).
    * ``tiers``: ``((min_rate, points), …)``; the highest ``min_rate`` that the rate reaches wins;
      none reached → 0.
    * ``higher_is_better=False`` (e.g. a late rate): proportional works on ``1 − rate`` against
      ``1 − threshold``; tiers read ``(max_rate, points)`` and the lowest bound not exceeded wins.
    """

    criterion: str
    measure: str
    max_points: Decimal
    kind: RuleKind
    threshold: Decimal | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    higher_is_better: bool = True
    title: str = ""
    source: str = ""
    effective_from: date | None = None
    effective_to: date | None = None

    def __post_init__(self) -> None:
        if self.max_points < 0:
            raise DomainError(f"{self.criterion}: điểm tối đa không được âm. (max_points must be ≥ 0.)")
        if self.kind not in ("proportional", "tiers"):
            raise DomainError(f"{self.criterion}: kiểu chấm điểm không hợp lệ {self.kind!r}. (Unknown kind.)")
        if self.threshold is not None and not _ZERO <= self.threshold <= _ONE:
            raise DomainError(f"{self.criterion}: ngưỡng phải trong [0, 1]. (threshold must be in [0, 1].)")
        if self.kind == "tiers":
            if not self.tiers:
                raise DomainError(f"{self.criterion}: thiếu bậc điểm. (tiers are required.)")
            for bound, points in self.tiers:
                if not _ZERO <= bound <= _ONE or not _ZERO <= points <= self.max_points:
                    raise DomainError(
                        f"{self.criterion}: bậc ({bound}, {points}) không hợp lệ. (Invalid tier.)"
                    )
        if (
            self.effective_from is not None
            and self.effective_to is not None
            and self.effective_to < self.effective_from
        ):
            raise DomainError(f"{self.criterion}: thời gian hiệu lực không hợp lệ. (Invalid period.)")

    def in_force(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


def _q2(x: Decimal) -> Decimal:
    return x.quantize(_CENT, rounding=ROUND_HALF_UP)


def score(rule: ScoringRule, rate: Decimal | None) -> Decimal:
    """Points for a measured ``rate`` in [0, 1]; ``None`` (not measured) → 0.00."""
    if rate is None:
        return _q2(_ZERO)
    if not _ZERO <= rate <= _ONE:
        raise DomainError(f"Tỷ lệ phải trong [0, 1], nhận {rate}. (Rate must be in [0, 1].)")
    if rule.kind == "proportional":
        threshold = _ONE if rule.threshold is None else rule.threshold
        r = rate if rule.higher_is_better else _ONE - rate
        t = threshold if rule.higher_is_better else _ONE - threshold
        if r >= t:
            return _q2(rule.max_points)
        return _q2(r * rule.max_points / t)
    best: tuple[Decimal, Decimal] | None = None
    for bound, points in rule.tiers:
        if rule.higher_is_better:
            if rate >= bound and (best is None or bound > best[0]):
                best = (bound, points)
        elif rate <= bound and (best is None or bound < best[0]):
            best = (bound, points)
    return _q2(best[1] if best is not None else _ZERO)


def rate(numerator: int, denominator: int, *, empty: Decimal = _ONE) -> Decimal:
    """``numerator / denominator`` to 4 decimals (HALF_UP); an empty denominator gives ``empty``
    (default 1: nothing arose, so nothing was late — "không phát sinh thì được điểm tối đa")."""
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise DomainError(
            f"Tỷ lệ không hợp lệ: {numerator}/{denominator}. (Need 0 ≤ numerator ≤ denominator.)"
        )
    if denominator == 0:
        return empty
    return (Decimal(numerator) / Decimal(denominator)).quantize(_RATE_Q, rounding=ROUND_HALF_UP)


def _check_counts(on_time: int, total: int, due_next: int) -> None:
    if not 0 <= due_next <= on_time <= total:
        raise DomainError(
            f"Số liệu không hợp lệ: đúng hạn {on_time}, tổng {total}, sắp đến hạn {due_next} "
            "(cần 0 ≤ sắp đến hạn ≤ đúng hạn ≤ tổng). (Need 0 ≤ due_next ≤ on_time ≤ total.)"
        )


def what_if(on_time: int, total: int, due_next: int) -> Decimal:
    """The Decision 766 indicator 2.1 rate if the ``due_next`` dossiers due soon all finish on time.

    Inputs are the indicator's own counts: ``on_time`` = finished early/on time + still open within
    time (due soon included), ``total`` = all dossiers handled in the period, ``due_next`` = open
    dossiers due soon. Because an open dossier within time is *already* counted on time (and is
    already in the denominator), finishing the ``due_next`` dossiers on time keeps the rate exactly
    where it is: the answer is ``on_time / total``. What changes is that the rate becomes *secured*
    instead of provisional; the downside — the rate if they all go late — is :func:`at_risk`.
    The dashboard shows both ("giữ đúng hạn: X %; nếu trễ: Y %").
    """
    _check_counts(on_time, total, due_next)
    return rate(on_time, total)


def at_risk(on_time: int, total: int, due_next: int) -> Decimal:
    """The indicator 2.1 rate if the ``due_next`` dossiers due soon all become overdue: they leave
    the numerator (open overdue / finished late both count as not on time) and stay in the
    denominator: ``(on_time − due_next) / total``."""
    _check_counts(on_time, total, due_next)
    return rate(on_time - due_next, total)


def satisfaction_rate(total: int, overdue: int, complained_or_dissatisfied: int) -> Decimal:
    """Decision 766 indicator 5.4 (docs/domain.md §6): satisfaction = 100 % − (% overdue + % with a
    complaint or a "dissatisfied" rating). The two shares are added as the formula says (a dossier
    both overdue and complained about counts in both); the result is floored at 0. No dossiers → 1."""
    if total < 0 or not 0 <= overdue <= total or not 0 <= complained_or_dissatisfied <= total:
        raise DomainError(
            f"Số liệu không hợp lệ: tổng {total}, quá hạn {overdue}, phản ánh/không hài lòng "
            f"{complained_or_dissatisfied}. (Counts must be between 0 and total.)"
        )
    if total == 0:
        return _ONE
    value = _ONE - (Decimal(overdue) + Decimal(complained_or_dissatisfied)) / Decimal(total)
    return max(_ZERO, value).quantize(_RATE_Q, rounding=ROUND_HALF_UP)


_D = Decimal

# Decision 766/QĐ-TTg (23/6/2022), appendix: national service index.
RULES_766: tuple[ScoringRule, ...] = (
    ScoringRule(
        criterion="766.2.1",
        measure="on_time_rate",
        max_points=_D(20),
        kind="proportional",
        threshold=_D(1),  # "score ≈ rate × 20": full marks only at 100 %
        title="Tỷ lệ hồ sơ xử lý đúng hạn (tiến độ giải quyết)",
        source="QĐ 766/QĐ-TTg, chỉ số 2.1",
    ),
    ScoringRule(
        criterion="766.3.3",
        measure="online_dossier_rate",
        # ASSUMPTION: 8 points. The threshold (full marks at ≥ 50 % of dossiers filed online) is the
        # one docs/domain.md §6 quotes; the maximum was not verified against the Decision's appendix.
        # Admins correct it in the scoring-rule table.
        max_points=_D(8),
        kind="proportional",
        threshold=_D("0.50"),
        title="Tỷ lệ hồ sơ trực tuyến",
        source="QĐ 766/QĐ-TTg, chỉ số 3.3 (điểm tối đa: giả định, cần đối chiếu)",
    ),
    ScoringRule(
        criterion="766.5.4",
        measure="satisfaction_rate",
        max_points=_D(6),
        kind="proportional",
        threshold=_D("0.90"),  # full marks at ≥ 90 % (see satisfaction_rate)
        title="Mức độ hài lòng trong tiếp nhận, giải quyết TTHC",
        source="QĐ 766/QĐ-TTg, chỉ số 5.4",
    ),
)

# PAR INDEX, area "Cải cách thủ tục hành chính" (Decision 876/QĐ-BNV for provinces). Each province
# issues its own criteria and points for its departments and communes: these defaults are a starting
# point that the province's admin edits (criterion, measure, points, thresholds, effective period).
PAR_TTHC_RULES: tuple[ScoringRule, ...] = (
    ScoringRule(
        criterion="par.tthc.on_time",
        measure="on_time_rate",
        max_points=_D(2),
        kind="tiers",
        # 100 % on time: full; ≥ 95 %: 1.5; ≥ 90 %: 1; ≥ 80 %: 0.5; below: 0.
        tiers=((_D(1), _D(2)), (_D("0.95"), _D("1.5")), (_D("0.90"), _D(1)), (_D("0.80"), _D("0.5"))),
        title="Tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
        source="Bộ chỉ số CCHC cấp tỉnh (mặc định; mỗi tỉnh tự điều chỉnh)",
    ),
    ScoringRule(
        criterion="par.tthc.apology",
        measure="apology_rate",  # late dossiers with an apology / late dossiers (none late → 1)
        max_points=_D(1),
        kind="tiers",
        tiers=((_D(1), _D(1)),),  # all-or-nothing: an apology for every late dossier
        title="Xin lỗi người dân, tổ chức đối với 100% hồ sơ trễ hạn",
        source="NĐ 61/2018 Điều 19 (nay NĐ 118/2025); Bộ chỉ số CCHC cấp tỉnh (mặc định)",
    ),
    ScoringRule(
        criterion="par.tthc.online_services",
        measure="online_service_rate",  # procedures offered as full online public services
        max_points=_D("1.5"),
        kind="proportional",
        threshold=_D("0.80"),  # docs/domain.md §6: online services full at ≥ 80 %
        title="Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến",
        source="Bộ chỉ số CCHC cấp tỉnh (mặc định; mỗi tỉnh tự điều chỉnh)",
    ),
    ScoringRule(
        criterion="par.tthc.complaints",
        measure="complaint_handled_rate",  # PAKN handled on time / PAKN received (none → 1)
        max_points=_D(1),
        kind="tiers",
        tiers=((_D(1), _D(1)), (_D("0.80"), _D("0.5"))),
        title="Xử lý phản ánh, kiến nghị về TTHC đúng hạn",
        source="Bộ chỉ số CCHC cấp tỉnh (mặc định; mỗi tỉnh tự điều chỉnh)",
    ),
)

DEFAULT_RULES: tuple[ScoringRule, ...] = RULES_766 + PAR_TTHC_RULES
