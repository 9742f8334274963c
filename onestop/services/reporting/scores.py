"""Criterion scoring: rules are data (``ScoringRuleRow``, seeded from
``domain.scoring.DEFAULT_RULES`` and edited by an admin), measured values per agency subtree and
period (set-based, services.reporting.metrics), points by ``domain.scoring.score``, and the what-if:
"if the N dossiers due in the next X working days finish on time, the rate becomes R and the
points P (if they all go late: R′, P′)".

Decision 766/QĐ-TTg (national service index) indicators 2.1, 3.3, 5.4; the provincial PAR INDEX
"TTHC reform" set (Decision 876/QĐ-BNV for provinces; each province edits its own points).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...domain.index766 import EXTRA_RULES_766
from ...domain.scoring import (
    PAR_TTHC_RULES,
    RULES_766,
    ScoringRule,
    at_risk,
    rate,
    rule_kind,
    satisfaction_rate,
    score,
    what_if,
)
from ...domain.status import RUNNING
from ...models import Agency, Dossier, Procedure, ScoringRuleRow
from ..admin.calendars import calendar_for
from ..errors import N_, NotFound, ValidationFailed
from .metrics import Counts, subtree_counts
from .months import subtree_counts_by_month
from .reports import By, check_by, scope_condition

# Rule sets shipped by default, with the day each starts to apply.
# Says a scoring rule in the reader's words ("Tối đa 4 điểm khi đạt ≥ 80%; …"): the web layer's.
RuleText = Callable[[ScoringRule], str]

DEFAULT_SETS: tuple[tuple[str, tuple[ScoringRule, ...], date], ...] = (
    ("766", RULES_766 + EXTRA_RULES_766, date(2022, 6, 23)),  # Decision 766/QĐ-TTg of 23/6/2022
    ("PAR", PAR_TTHC_RULES, date(2015, 1, 1)),
)

MEASURES: dict[str, str] = {
    "on_time_rate": "Tỷ lệ hồ sơ giải quyết đúng hạn",
    "online_dossier_rate": "Tỷ lệ hồ sơ nộp trực tuyến",
    "satisfaction_rate": "Mức độ hài lòng (100% − % quá hạn − % phản ánh/không hài lòng)",
    "apology_rate": "Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi",
    "online_service_rate": "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình",
    "complaint_handled_rate": "Tỷ lệ phản ánh, kiến nghị trả lời đúng hạn",
    # The 766 measures from files, identity, payment and sync (services/reporting/index766.py).
    "sync_rate": "Tỷ lệ hồ sơ đã đồng bộ lên Cổng DVCQG",
    "online_payment_rate": "Tỷ lệ hồ sơ thanh toán trực tuyến (thủ tục có phí, lệ phí)",
    "digitisation_rate": "Tỷ lệ hồ sơ có thành phần và kết quả số hóa",
    "reuse_rate": "Tỷ lệ hồ sơ tái sử dụng giấy tờ đã số hóa",
    "national_store_rate": "Tỷ lệ hồ sơ dùng giấy tờ từ kho dữ liệu công dân (DVCQG)",
    "identity_rate": "Tỷ lệ hồ sơ xác thực định danh (VNeID, kho quốc gia, CSDL dân cư)",
}


def seed_scoring_rules(session: Session, now: datetime) -> int:
    """Insert the default rules that are not there yet (by rule set + criterion). Idempotent:
    an admin's edits are never overwritten. Returns how many rows were added."""
    existing = {(r, c) for r, c in session.execute(select(ScoringRuleRow.rule_set, ScoringRuleRow.criterion))}
    added = 0
    for rule_set, rules, since in DEFAULT_SETS:
        for rule in rules:
            if (rule_set, rule.criterion) in existing:
                continue
            session.add(ScoringRuleRow(
                rule_set=rule_set, criterion=rule.criterion, title=rule.title, measure=rule.measure,
                max_points=rule.max_points, kind=rule.kind, threshold=rule.threshold,
                tiers=[[str(b), str(p)] for b, p in rule.tiers],
                effective_from=rule.effective_from or since, effective_to=rule.effective_to,
                note=f"{rule.source} (mặc định, tạo {now:%d/%m/%Y})"))
            added += 1
    session.flush()
    return added


def to_rule(row: ScoringRuleRow) -> ScoringRule:
    return ScoringRule(
        criterion=row.criterion, measure=row.measure, max_points=Decimal(row.max_points),
        kind=rule_kind(row.kind),
        threshold=Decimal(row.threshold) if row.threshold is not None else None,
        tiers=tuple((Decimal(str(b)), Decimal(str(p))) for b, p in (row.tiers or [])),
        title=row.title, source=row.note, effective_from=row.effective_from, effective_to=row.effective_to)


def rules_in_force(session: Session, on: date) -> list[ScoringRuleRow]:
    return list(session.scalars(
        select(ScoringRuleRow).where(
            ScoringRuleRow.effective_from <= on,
            (ScoringRuleRow.effective_to.is_(None)) | (ScoringRuleRow.effective_to >= on))
        .order_by(ScoringRuleRow.rule_set, ScoringRuleRow.id)))


# ---------------------------------------------------------------- measured values


@dataclass
class Measured:
    value: Decimal
    numerator: int
    denominator: int


def online_service_counts(session: Session) -> tuple[int, int]:
    """(procedures offered as full online public services, active procedures) in the catalogue."""
    total = session.scalar(select(func.count()).select_from(Procedure).where(Procedure.active.is_(True))) or 0
    full = session.scalar(select(func.count()).select_from(Procedure).where(
        Procedure.active.is_(True), Procedure.online_level == "toan_trinh")) or 0
    return int(full), int(total)


def measured_values(counts: Counts, online_services: tuple[int, int]) -> dict[str, Measured]:
    """Each measure with its numerator and denominator. Satisfaction (Decision 766 indicator 5.4)
    counts DOSSIERS: 100 % − (% overdue + % of dossiers with a "dissatisfied" rating or an upheld complaint),
    docs/rules.md, "Form 06 and the on-time rate"."""

    unhappy = min(counts.received_total, counts.unhappy)
    return {
        "on_time_rate": Measured(rate(counts.on_time, counts.received_total), counts.on_time,
                                 counts.received_total),
        "online_dossier_rate": Measured(rate(counts.received_online, counts.received_in_period),
                                        counts.received_online, counts.received_in_period),
        "satisfaction_rate": Measured(
            satisfaction_rate(counts.received_total, counts.late, unhappy),
            counts.received_total - min(counts.received_total, counts.late + unhappy),
            counts.received_total),
        "apology_rate": Measured(rate(counts.late_apologised, counts.late), counts.late_apologised,
                                 counts.late),
        "online_service_rate": Measured(rate(*online_services), *online_services),
        "complaint_handled_rate": Measured(rate(counts.feedback_on_time, counts.feedback_due),
                                           counts.feedback_on_time, counts.feedback_due),
    }


@dataclass
class CriterionScore:
    rule_id: int
    rule_set: str
    criterion: str
    title: str
    measure: str
    measured: Decimal | None
    numerator: int
    denominator: int
    points: Decimal
    max_points: Decimal
    kind: str
    rule: ScoringRule  # how the points are given; said by onestop/web/sentences.py

    def as_json(self, rule_text: RuleText) -> dict[str, Any]:
        return {"rule_set": self.rule_set, "criterion": self.criterion, "title": self.title,
                "measure": self.measure,
                "measured": str(self.measured) if self.measured is not None else None,
                "numerator": self.numerator, "denominator": self.denominator, "points": str(self.points),
                "max_points": str(self.max_points), "kind": self.kind, "rule": rule_text(self.rule)}


@dataclass
class WhatIf:
    days: int
    horizon: datetime
    due_next: int
    rate_now: Decimal
    rate_if_on_time: Decimal
    rate_if_late: Decimal
    points_if_on_time: dict[str, Decimal] = field(default_factory=dict)
    points_if_late: dict[str, Decimal] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"days": self.days, "horizon": self.horizon.isoformat(), "due_next": self.due_next,
                "rate_now": str(self.rate_now), "rate_if_on_time": str(self.rate_if_on_time),
                "rate_if_late": str(self.rate_if_late),
                "points_if_on_time": {k: str(v) for k, v in self.points_if_on_time.items()},
                "points_if_late": {k: str(v) for k, v in self.points_if_late.items()}}


@dataclass
class ScoreReport:
    agency: Agency
    start: date
    end: date
    as_of: datetime
    counts: Counts
    criteria: list[CriterionScore]
    what_if: WhatIf | None = None
    by: str = "desk"

    def totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for c in self.criteria:
            p, m = out.get(c.rule_set, (Decimal(0), Decimal(0)))
            out[c.rule_set] = (p + c.points, m + c.max_points)
        return out

    def as_json(self, rule_text: RuleText) -> dict[str, Any]:
        """``rule_text`` says each criterion's rule in the reader's words (onestop/web/sentences.py)."""
        return {
            "agency": {"identifier": self.agency.identifier, "name": self.agency.name},
            "from": self.start.isoformat(), "to": self.end.isoformat(), "as_of": self.as_of.isoformat(),
            "by": self.by,
            "counts": {**self.counts.as_data()},
            "criteria": [c.as_json(rule_text) for c in self.criteria],
            "totals": {k: {"points": str(p), "max_points": str(m)} for k, (p, m) in self.totals().items()},
            "what_if": self.what_if.as_json() if self.what_if else None,
        }


def _bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    if end < start:
        raise ValidationFailed({"to": N_("Ngày kết thúc phải sau ngày bắt đầu.")})
    zone = ZoneInfo(tz)
    return datetime.combine(start, time(0), zone), datetime.combine(end + timedelta(days=1), time(0), zone)


def score_agency(session: Session, agency: Agency, start: date, end: date, *, now: datetime,
                 tz: str = "Asia/Ho_Chi_Minh", what_if_days: int | None = None, by: str = "desk",
                 file_values: dict[str, Measured] | None = None) -> ScoreReport:
    """Measured values, points and maximum of every rule in force on the period's last day, for
    the agency and its subtree (by receiving desk or by resolving agency), as of the earlier of
    ``now`` and the period's end — the same Form 06 buckets as the Form 06 page (one builder,
    ``reports.form06_counts``); with ``what_if_days`` also the what-if. ``file_values``: the 766 file
    measures already computed for the same subtree and moments (index766.file_facts), not read again."""
    scope = check_by(by)
    seed_scoring_rules(session, now)
    start_m, end_m = _bounds(start, end, tz)
    as_of = min(now, end_m)
    counts = subtree_counts(session, agency, start_m, as_of, tz, by=scope) if as_of > start_m else Counts()
    if file_values is None:
        # here, not at the top: services.reporting.index766 imports this module (an import cycle)
        from .index766 import file_measures  # the 766 measures from files, identity, payment, sync

        file_values = file_measures(session, agency, start_m, as_of, by=scope)
    report = _scored(session, agency, start, end, start_m, as_of, counts, file_values,
                     online_service_counts(session), scope=scope, tz=tz)
    if what_if_days is not None:
        report.what_if = what_if_for(session, report, now=now, days=what_if_days, end_m=end_m)
    return report


def score_months(session: Session, agency: Agency, spans: list[tuple[date, date]], *, now: datetime,
                 tz: str = "Asia/Ho_Chi_Minh", by: str = "desk",
                 file_values: list[dict[str, Measured]]) -> list[ScoreReport]:
    """``score_agency`` (without the what-if) of each span — the months of a trend — with every span's
    Form 06 in one statement (``months.subtree_counts_by_month``) and ``file_values`` the spans' 766
    file measures, computed by the caller in one statement too."""
    scope = check_by(by)
    seed_scoring_rules(session, now)
    moments = [(s_m, min(now, e_m)) for s_m, e_m in (_bounds(s, e, tz) for s, e in spans)]
    counts = subtree_counts_by_month(session, agency, moments, tz, by=scope)
    online = online_service_counts(session)
    return [_scored(session, agency, start, end, start_m, as_of, c, values, online, scope=scope, tz=tz)
            for (start, end), (start_m, as_of), c, values
            in zip(spans, moments, counts, file_values, strict=True)]


def _scored(session: Session, agency: Agency, start: date, end: date, start_m: datetime, as_of: datetime,
            counts: Counts, file_values: dict[str, Measured], online: tuple[int, int], *, scope: By,
            tz: str) -> ScoreReport:
    """The points of every rule in force on the period's last day (up to its moment), from the measured
    values."""
    values = measured_values(counts, online)
    values.update(file_values)
    criteria: list[CriterionScore] = []
    for row in rules_in_force(session, min(end, as_of.astimezone(ZoneInfo(tz)).date())):
        rule = to_rule(row)
        m = values.get(row.measure)
        criteria.append(CriterionScore(
            rule_id=row.id, rule_set=row.rule_set, criterion=row.criterion, title=row.title or rule.title,
            measure=row.measure, measured=m.value if m else None, numerator=m.numerator if m else 0,
            denominator=m.denominator if m else 0, points=score(rule, m.value if m else None),
            max_points=Decimal(row.max_points), kind=row.kind, rule=rule))
    return ScoreReport(agency=agency, start=start, end=end, as_of=max(as_of, start_m), counts=counts,
                       criteria=criteria, by=scope)


def what_if_for(session: Session, report: ScoreReport, *, now: datetime, days: int,
                end_m: datetime) -> WhatIf:
    """N = open dossiers of the subtree, clock running, counted in the period, due between now and
    the close of the ``days``-th working day from today (0 = today). Finishing them on time keeps the
    indicator 2.1 rate (they are already counted within time: ``domain.scoring.what_if``); if they all
    go late it drops to ``at_risk``. Points for each on-time criterion in force."""
    if not 0 <= days <= 60:
        raise ValidationFailed({"days": N_("Số ngày làm việc từ 0 đến 60.")})
    cal = calendar_for(session, report.agency)
    today = cal.local_date(now)
    last = cal.next_working_day(today, include_self=True) if days == 0 else cal.add_working_days(today, days)
    horizon = cal.closing(last)
    c = report.counts
    n = 0
    if end_m > now:  # a period already over cannot change
        ids = select(Agency.id).where(Agency.path.like(report.agency.path + "%")).scalar_subquery()
        n = int(session.scalar(
            select(func.count()).select_from(Dossier).where(
                Dossier.finished_at.is_(None), Dossier.status.in_([s.value for s in RUNNING]),
                scope_condition(ids, check_by(report.by)), Dossier.received_at.is_not(None),
                Dossier.supplement_count <= 1,
                Dossier.received_at < now, Dossier.due_at >= now, Dossier.due_at <= horizon)) or 0)
    n = min(n, c.in_progress_within)
    keep = what_if(c.on_time, c.received_total, n)
    risk = at_risk(c.on_time, c.received_total, n)
    wi = WhatIf(days=days, horizon=horizon, due_next=n, rate_now=rate(c.on_time, c.received_total),
                rate_if_on_time=keep, rate_if_late=risk)
    for crit in report.criteria:
        if crit.measure == "on_time_rate":
            row = session.get(ScoringRuleRow, crit.rule_id)
            assert row is not None
            rule = to_rule(row)
            wi.points_if_on_time[crit.criterion] = score(rule, keep)
            wi.points_if_late[crit.criterion] = score(rule, risk)
    return wi


# ---------------------------------------------------------------- admin edits


def _dec(value: str, name: str, errors: dict[str, str]) -> Decimal | None:
    value = (value or "").strip().replace(",", ".").rstrip("%")
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        errors[name] = N_("Nhập một số, ví dụ 0.9 hoặc 90%.")
        return None


def parse_tiers(text: str) -> list[list[str]]:
    """"1:2; 0.95:1.5" (or "100%:2") → [["1", "2"], ["0.95", "1.5"]]."""
    tiers: list[list[str]] = []
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        if ":" not in part:
            raise ValidationFailed({"tiers": N_("Bậc '%(tier)s' phải có dạng tỷ lệ:điểm, ví dụ 0.95:1.5.",
                                                tier=part.strip())})
        b, p = (x.strip() for x in part.split(":", 1))
        try:
            bound = Decimal(b.rstrip("%")) / (100 if b.endswith("%") else 1)
            points = Decimal(p)
        except InvalidOperation:
            raise ValidationFailed({"tiers": N_("Bậc '%(tier)s' không hợp lệ.", tier=part.strip())}) from None
        tiers.append([str(bound), str(points)])
    return tiers


def update_rule(session: Session, rule_id: int, *, title: str, max_points: str, kind: str, threshold: str,
                tiers: str, effective_from: date, effective_to: date | None, note: str,
                actor_id: int | None, now: datetime) -> ScoringRuleRow:
    """An admin edits a rule; the domain's ScoringRule checks the whole rule before it is saved."""
    row = session.get(ScoringRuleRow, rule_id)
    if row is None:
        raise NotFound("Không có tiêu chí này.")
    errors: dict[str, str] = {}
    mp = _dec(max_points, "max_points", errors)
    th = _dec(threshold, "threshold", errors)
    if th is not None and th > 1:
        th = th / 100  # "90" means 90 %
    if mp is None and "max_points" not in errors:
        errors["max_points"] = N_("Nhập điểm tối đa.")
    if kind not in ("proportional", "tiers"):
        errors["kind"] = N_("Chọn cách tính: tỷ lệ hoặc theo bậc.")
    tier_list = parse_tiers(tiers) if kind == "tiers" else []
    if errors:
        raise ValidationFailed(errors)
    assert mp is not None
    try:
        ScoringRule(criterion=row.criterion, measure=row.measure, max_points=mp, kind=rule_kind(kind),
                    threshold=th if kind == "proportional" else None,
                    tiers=tuple((Decimal(b), Decimal(p)) for b, p in tier_list),
                    effective_from=effective_from, effective_to=effective_to)
    except DomainError as exc:
        raise ValidationFailed({"rule": str(exc)}) from None
    if mp <= 0:
        raise ValidationFailed({"max_points": N_("Điểm tối đa phải lớn hơn 0.")})
    row.title = title.strip() or row.title
    row.max_points = mp
    row.kind = kind
    row.threshold = th if kind == "proportional" else None
    row.tiers = tier_list
    row.effective_from = effective_from
    row.effective_to = effective_to
    row.note = note.strip()
    session.flush()
    return row


__all__ = [
    "MEASURES",
    "CriterionScore",
    "ScoreReport",
    "WhatIf",
    "measured_values",
    "parse_tiers",
    "rules_in_force",
    "score_agency",
    "score_months",
    "seed_scoring_rules",
    "to_rule",
    "update_rule",
    "what_if_for",
]
