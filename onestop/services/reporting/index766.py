"""The province's 766 score predicted (docs/integration.md, "The 766 index predicted"): every
indicator the portal computes from what the province syncs — 1.4 sync, 2.1 on time, 3.3 online
dossiers, 3.6 online payment, 4.2 digitisation, 4.3 reuse, 4.4 national document store, 4.5 identity,
5.2 complaints, 5.4 satisfaction — for an agency subtree and a period, as of the earlier of ``now``
and the period's end (the Form 06 rule, ``reports.measured_at``).

The points come from ONE place, ``services.reporting.scores.score_agency`` (rules are data, edited by an
admin); this module adds the measures behind 1.4 and 3.6–4.5 (``file_measures``, one set-based
statement), the formulas, the dossiers that pull each indicator down, the comparison with the score
the portal published, and the monthly trend."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ...domain.index766 import FORMULAS, POPULATION_DB
from ...domain.scoring import rate
from ...integrations.dvcqg.mapping import fees
from ...models import Agency, Dossier, Procedure
from ..errors import N_, ValidationFailed
from .reports import By, check_by, measured_at, no_jit, parse_period, scope_condition
from .scores import CriterionScore, Measured, RuleText, ScoreReport, score_agency, score_months

FILE_MEASURES = ("sync_rate", "online_payment_rate", "digitisation_rate", "reuse_rate", "national_store_rate",
                 "identity_rate")
# The portal's published groups (report_tinh_766_service) and the 766 indicator groups they sum.
PUBLISHED_GROUPS = {"CKMB": "1", "TDGQ": "2", "TTTT": "3", "MDSH": "4", "MDHL": "5"}
_FINISHED_WITH_RESULT = ("result_ready", "returned")


def parse_index_period(value: str) -> tuple[date, date]:
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``."""
    value = (value or "").strip().upper()
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return parse_period("month", value)
    if re.fullmatch(r"\d{4}-Q[1-4]", value):
        return parse_period("quarter", value)
    if re.fullmatch(r"\d{4}", value):
        return parse_period("year", value)
    raise ValidationFailed({"period": N_("Kỳ phải có dạng YYYY-MM, YYYY-Qn hoặc YYYY "
                                         "(ví dụ 2026-11, 2026-Q3, 2026).")})


def _fee_procedures(session: Session) -> list[int]:
    """Procedures with a non-zero fee (the catalogue's fee text, read as the portal sync reads it)."""
    return [pid for pid, text in session.execute(select(Procedure.id, Procedure.fee)) if fees(text or "")]


# Besides the dossier's own 766 fields, the conditions read the first moments of its counting files and
# of its first accepted sync, kept on the dossier by database triggers (migration h19f1) from
# dossier_files and dvcqg_outbox. A fact holds "as of" a moment when its first moment is before it, so
# every measure is a condition on one dossier row: no join, no probe per dossier.
def _before(moment_col: Any, as_of: Any) -> ColumnElement[bool]:
    """The fact's first moment is before ``as_of`` — never NULL, so that "not in the numerator" lists
    the dossiers without the fact too."""
    return and_(moment_col.is_not(None), moment_col < as_of)


def _conditions(as_of: Any, fee_ids: list[int], d: Any) -> dict[str, tuple[ColumnElement[bool],
                                                                          ColumnElement[bool]]]:
    """measure -> (in the denominator, in the numerator) for one dossier row ``d`` (the dossier table
    or a population's columns) as of ``as_of`` (a moment, or each row's own moment as a column). What
    counts: docs/integration.md, "The 766 index predicted"."""
    has_result = and_(d.finished_at.is_not(None), d.finished_at < as_of, d.status.in_(_FINISHED_WITH_RESULT))
    national = _before(d.first_national_at, as_of)
    everyone: ColumnElement[bool] = d.id.is_not(None)
    return {
        "sync_rate": (everyone, _before(d.first_synced_at, as_of)),
        "online_payment_rate": (d.procedure_id.in_(fee_ids) if fee_ids else d.id.is_(None),
                                and_(d.payment_channel.is_not(None), d.payment_channel.in_((1, 2)))),
        # 4.2: a digitised component, and the result as a file once there is a result.
        "digitisation_rate": (everyone, and_(_before(d.first_component_at, as_of),
                                             or_(not_(has_result), _before(d.first_result_file_at, as_of)))),
        "reuse_rate": (everyone, _before(d.first_reused_at, as_of)),
        "national_store_rate": (everyone, national),
        "identity_rate": (everyone, or_(d.vneid_verified.is_(True), national,
                                        cast(d.csdl_codes, String).like(f'%"{POPULATION_DB}"%'))),
    }


def _population(agency: Agency, start_m: datetime, as_of: datetime, by: By) -> ColumnElement[bool]:
    ids = select(Agency.id).where(Agency.path.like(agency.path + "%")).scalar_subquery()
    return and_(scope_condition(ids, by), Dossier.received_at.is_not(None), Dossier.received_at >= start_m,
                Dossier.received_at < as_of)


def _month_case(months: list[tuple[datetime, datetime]], values: list[Any]) -> ColumnElement[Any]:
    """Per dossier, the value of the month its reception falls in (months contiguous and ordered)."""
    whens = [(Dossier.received_at < months[i + 1][0], values[i]) for i in range(len(months) - 1)]
    return case(*whens, else_=values[-1]) if whens else values[-1]


def _joined(session: Session, agency: Agency, start_m: datetime, as_of: datetime, by: By,
            months: list[tuple[datetime, datetime]] | None = None) -> tuple[Any, Any, Any, Any]:
    """(source, where, conditions, row): the population's rows and the measures' conditions on them;
    ``row`` names the columns (``row.id``, ``row.code``, ``row.received_at``, ``row.k``). With ``months``
    ([(start, as-of)], contiguous from ``start_m`` to ``as_of``) each dossier is measured as of ITS
    month's as-of moment and ``row.k`` is that month's index: every month of the trend in one
    statement, each by the same rule as a single period."""
    no_jit(session)
    periods = months or [(start_m, as_of)]
    month_k = _month_case(periods, [literal(i) for i in range(len(periods))])
    moment_type = Dossier.__table__.c.received_at.type
    own_as_of: Any = as_of if months is None else _month_case(
        periods, [literal(a, type_=moment_type) for _, a in periods])
    conds = _conditions(own_as_of, _fee_procedures(session), Dossier)
    return Dossier.__table__, _population(agency, start_m, as_of, by), conds, _Row(Dossier, month_k)


@dataclass(frozen=True)
class _Row:
    """The dossier table's columns plus the month index."""
    table: Any
    k: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


def file_measures_by_month(session: Session, agency: Agency, months: list[tuple[datetime, datetime]], *,
                           by: By = "desk") -> list[dict[str, Measured]]:
    """``file_measures`` of each month [(start, as-of)] (contiguous, ordered), each as of its own
    as-of moment, in ONE statement grouped by month (the trend)."""
    out: list[dict[str, Measured]] = [_measured({}) for _ in months]
    live = [(s_m, a_m) for s_m, a_m in months if a_m > s_m]
    if not live:
        return out
    source, population, conds, row = _joined(session, agency, live[0][0], live[-1][1], by, months=live)
    cols: list[Any] = [row.k.label("k"), *_sum_columns(conds)]
    got = {int(r._mapping["k"]): dict(r._mapping) for r in session.execute(
        select(*cols).select_from(source).where(population).group_by(row.k))}
    index = {m: i for i, m in enumerate(months)}
    for k, m in enumerate(live):
        out[index[m]] = _measured(got.get(k, {}))
    return out


def _sum_columns(conds: dict[str, tuple[ColumnElement[bool], ColumnElement[bool]]], *,
                 only: ColumnElement[bool] | None = None, prefix: str = "") -> list[Any]:
    """The conditional sums of every measure; with ``only``, over the rows it holds (one trend month in
    the period's statement), the columns named with ``prefix``."""
    def count(cond: ColumnElement[bool] | None) -> Any:
        cond = cond if only is None else (only if cond is None else and_(only, cond))
        return func.count() if cond is None else func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    # A denominator of every dossier is the row count, shared.
    cols: list[Any] = [count(None).label(f"{prefix}all")]
    for name in FILE_MEASURES:
        den, num = conds[name]
        if name == "online_payment_rate":
            cols.append(count(den).label(f"{prefix}{name}_d"))
            cols.append(count(and_(den, num)).label(f"{prefix}{name}_n"))
        else:
            cols.append(count(num).label(f"{prefix}{name}_n"))
    return cols


def _measured(row: Mapping[str, Any], prefix: str = "") -> dict[str, Measured]:
    out: dict[str, Measured] = {}
    for name in FILE_MEASURES:
        n = int(row.get(f"{prefix}{name}_n") or 0)
        dn = int(row.get(f"{prefix}{name}_d", row.get(f"{prefix}all")) or 0)
        out[name] = Measured(rate(n, dn), n, dn)
    return out


def file_measures(session: Session, agency: Agency, start_m: datetime, as_of: datetime, *,
                  by: By = "desk") -> dict[str, Measured]:
    """The measures behind 1.4, 3.6, 4.2–4.5 over the dossiers received in [start_m, as_of) in the
    subtree: one statement of conditional sums (both engines)."""
    if as_of <= start_m:
        return _measured({})
    source, population, conds, _ = _joined(session, agency, start_m, as_of, by)
    return _measured(dict(session.execute(
        select(*_sum_columns(conds)).select_from(source).where(population)).one()._mapping))


def file_facts(session: Session, agency: Agency, start_m: datetime, as_of: datetime, *, by: By = "desk",
               limit: int = 20) -> tuple[dict[str, Measured], dict[str, list[str]]]:
    """``file_measures`` and, for each measure, the codes of up to ``limit`` dossiers in its denominator
    but not its numerator (oldest received first) — in ONE statement: on PostgreSQL one aggregate with
    each list an ordered, filtered ``array_agg``; on SQLite each dossier's flags are computed once (a
    common table expression), then summed, and each list is a top-``limit`` read of those flags."""
    if as_of <= start_m:
        return file_measures(session, agency, start_m, as_of, by=by), {m: [] for m in FILE_MEASURES}
    source, population, conds, row = _joined(session, agency, start_m, as_of, by)
    if session.get_bind().dialect.name == "postgresql":
        one_pass = _file_facts_aggregated(session, source, population, conds, row, limit)
        return one_pass[0], one_pass[1]
    count = len(FILE_MEASURES)
    flag_cols: list[Any] = [row.id.label("id"), row.code.label("code"), row.received_at.label("received_at")]
    for i, name in enumerate(FILE_MEASURES):
        den, num = conds[name]
        flag_cols.append(case((and_(den, num), 1), else_=0).label(f"n{i}"))
        flag_cols.append(case((den, 1), else_=0).label(f"d{i}"))
        flag_cols.append(case((and_(den, not_(num)), 1), else_=0).label(f"l{i}"))
    per = select(*flag_cols).select_from(source).where(population).cte("per")
    none = cast(None, Integer)
    # One row of sums (measure -1), then the laggards of each measure (measure i, rank order kept).
    sums = select(literal(-1).label("m"), cast(None, String).label("code"), none.label("k"),
                  *(func.coalesce(func.sum(per.c[f"{x}{i}"]), 0).label(f"{x}{i}")
                    for i in range(count) for x in "nd"))
    parts: list[Any] = [sums]
    for i in range(count):
        top = (select(per.c.code, per.c.received_at, per.c.id).where(per.c[f"l{i}"] == 1)
               .order_by(per.c.received_at, per.c.id).limit(limit).subquery(f"top{i}"))
        parts.append(select(literal(i).label("m"), top.c.code,
                            func.row_number().over(order_by=(top.c.received_at, top.c.id)).label("k"),
                            *(none.label(f"{x}{j}") for j in range(count) for x in "nd")))
    rows = session.execute(union_all(*parts)).all()
    lists: dict[str, list[tuple[int, str]]] = {m: [] for m in FILE_MEASURES}
    measures: dict[str, Measured] = {}
    for row in rows:
        m = row._mapping
        if m["m"] == -1:
            for i, name in enumerate(FILE_MEASURES):
                n, dn = int(m[f"n{i}"]), int(m[f"d{i}"])
                measures[name] = Measured(rate(n, dn), n, dn)
        else:
            lists[FILE_MEASURES[int(m["m"])]].append((int(m["k"]), str(m["code"])))
    return measures, {name: [code for _, code in sorted(found)] for name, found in lists.items()}


def _file_facts_aggregated(session: Session, source: Any, population: Any, conds: Any, row: Any,
                           limit: int, extra: list[Any] | None = None
                           ) -> tuple[dict[str, Measured], dict[str, list[str]], dict[str, Any]]:
    """PostgreSQL: the sums and each measure's oldest laggards as ordered, filtered ``array_agg`` sliced
    to ``limit`` — the plain one-row aggregate of ``file_measures`` with six more columns (materialising
    the flags for a second read cost more than the lists themselves; bench/index766.py)."""
    cols: list[Any] = _sum_columns(conds) + (extra or [])
    for i, name in enumerate(FILE_MEASURES):
        den, num = conds[name]
        oldest_first = aggregate_order_by(row.code, row.received_at, row.id)
        codes = func.array_agg(oldest_first).filter(and_(den, not_(num)))
        cols.append(type_coerce(codes, ARRAY(String))[1:limit].label(f"l{i}"))
    got = dict(session.execute(select(*cols).select_from(source).where(population)).one()._mapping)
    return _measured(got), {name: list(got[f"l{i}"] or []) for i, name in enumerate(FILE_MEASURES)}, got


def file_facts_with_months(session: Session, agency: Agency, start_m: datetime, as_of: datetime,
                           months: list[tuple[datetime, datetime]], *, by: By = "desk", limit: int = 20
                           ) -> tuple[dict[str, Measured], dict[str, list[str]],
                                      list[dict[str, Measured]]] | None:
    """``file_facts`` of the period and ``file_measures_by_month`` of ``months`` in ONE statement, on
    PostgreSQL, when the months tile the period exactly (first month starting at ``start_m``, the last
    measured as of ``as_of``, none empty): the same dossiers, read once, each measured as of the
    period's moment and as of its month's. None otherwise (SQLite, or a trend reaching before the
    period), and the caller runs the two statements."""
    if (session.get_bind().dialect.name != "postgresql" or not months or months[0][0] != start_m
            or months[-1][1] != as_of or any(a_m <= s_m for s_m, a_m in months)):
        return None
    source, population, conds, row = _joined(session, agency, start_m, as_of, by)
    moment_type = Dossier.__table__.c.received_at.type
    own_as_of = _month_case(months, [literal(a, type_=moment_type) for _, a in months])
    month_k = _month_case(months, [literal(i) for i in range(len(months))])
    conds_m = _conditions(own_as_of, _fee_procedures(session), Dossier)
    extra: list[Any] = []
    for i in range(len(months)):
        extra += _sum_columns(conds_m, only=month_k == i, prefix=f"m{i}_")
    measures, lists, got = _file_facts_aggregated(session, source, population, conds, row, limit, extra)
    return measures, lists, [_measured(got, f"m{i}_") for i in range(len(months))]


def pulling_down(session: Session, agency: Agency, start_m: datetime, as_of: datetime, measure: str, *,
                 by: By = "desk", limit: int = 20) -> list[str]:
    """Codes of the dossiers in the denominator but not the numerator of ``measure`` (oldest first)."""
    if measure not in FILE_MEASURES:
        return []
    return file_facts(session, agency, start_m, as_of, by=by, limit=limit)[1][measure]


@dataclass
class Indicator:
    criterion: CriterionScore
    formula: str
    dossiers: list[str] = field(default_factory=list)

    def as_json(self, rule_text: RuleText) -> dict[str, Any]:
        return {**self.criterion.as_json(rule_text), "formula": self.formula, "pulling_down": self.dossiers}


@dataclass
class Index766:
    report: ScoreReport
    period: str
    indicators: list[Indicator]
    published: dict[str, Any] | None
    comparison: list[dict[str, Any]]
    trend: list[dict[str, Any]]

    @property
    def total(self) -> tuple[Decimal, Decimal]:
        return (sum((i.criterion.points for i in self.indicators), Decimal(0)),
                sum((i.criterion.max_points for i in self.indicators), Decimal(0)))

    def as_json(self, rule_text: RuleText) -> dict[str, Any]:
        p, m = self.total
        return {"agency": {"identifier": self.report.agency.identifier, "name": self.report.agency.name},
                "period": self.period, "from": self.report.start.isoformat(),
                "to": self.report.end.isoformat(),
                "as_of": self.report.as_of.isoformat(), "by": self.report.by,
                "indicators": [i.as_json(rule_text) for i in self.indicators],
                "total": {"points": str(p), "max_points": str(m)},
                "published": self.published, "comparison": self.comparison, "trend": self.trend,
                "what_if": self.report.what_if.as_json() if self.report.what_if else None}


def _months(start: date, end: date) -> list[tuple[date, date]]:
    out = []
    cur = date(start.year, start.month, 1)
    while cur <= end:
        nxt = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        out.append((cur, min(end, nxt - timedelta(days=1))))
        cur = nxt
    return out


def _total_766(report: ScoreReport) -> Decimal:
    return sum((c.points for c in report.criteria if c.rule_set == "766"), Decimal(0))


# Measures of the procedure catalogue, not of dossiers: they have a denominator in every month.
_CATALOGUE_MEASURES = frozenset({"online_service_rate"})


def trend_point(month: str, report: ScoreReport) -> dict[str, Any]:
    """One month of the trend. A month in which no 766 indicator has a dossier to measure scores full
    marks by the scoring rule (an empty denominator is rated 1, domain.scoring.rate), which on a trend reads
    as a perfect month: it is shown as "no data" (points None) instead."""
    measured = [c for c in report.criteria if c.rule_set == "766" and c.measure not in _CATALOGUE_MEASURES]
    if all(c.denominator == 0 for c in measured):
        return {"month": month, "points": None, "no_data": True}
    return {"month": month, "points": str(_total_766(report)), "no_data": False}


def compare(indicators: list[Indicator], published: dict[str, Any] | None,
            sync: Measured | None) -> list[dict[str, Any]]:
    """Predicted vs published per group, with the reason a difference is expected."""
    if not published:
        return []
    rows = []
    for key, group in PUBLISHED_GROUPS.items():
        mine = [i for i in indicators if i.criterion.criterion.startswith(f"766.{group}.")]
        predicted = sum((i.criterion.points for i in mine), Decimal(0))
        theirs = published.get(key)
        try:
            pub = Decimal(str(theirs)) if theirs is not None else None
        except ArithmeticError:
            pub = None
        diff = None if pub is None else predicted - pub
        why = ""
        if diff is not None and diff != 0:
            if sync is not None and sync.denominator and sync.numerator < sync.denominator:
                why = (f"Cổng chỉ tính hồ sơ đã đồng bộ: {sync.denominator - sync.numerator} "
                       "hồ sơ chưa lên Cổng; ")
            if not mine:
                why += "nhóm chỉ số này hệ thống chưa dự tính (chỉ số Cổng tự chấm)."
            else:
                why += "điểm tối đa/ngưỡng trong bảng quy tắc có thể khác cách Cổng chấm; xem từng chỉ số."
        rows.append({"group": key, "predicted": str(predicted),
                     "published": None if pub is None else str(pub),
                     "difference": None if diff is None else str(diff), "explanation": why.strip()})
    tong = published.get("TONG_SCORE")
    if tong is not None:
        total = sum((i.criterion.points for i in indicators), Decimal(0))
        try:
            rows.append({"group": "TONG_SCORE", "predicted": str(total), "published": str(tong),
                         "difference": str(total - Decimal(str(tong))), "explanation": ""})
        except ArithmeticError:
            pass
    return rows


def _trend_months(agency: Agency, start: date, end: date, as_of: datetime, now: datetime, tz: str
                  ) -> tuple[list[tuple[date, date]], list[tuple[datetime, datetime]]]:
    """The trend's months (from January for a month or a quarter, the period's own months for a year)
    up to the as-of moment's local day, and each month's (start, as-of) moments."""
    # The local day of the as-of moment (a UTC date would drop the first hours of a Hà Nội day).
    trend_end = min(end, as_of.astimezone(ZoneInfo(tz)).date())
    trend_start = date(start.year, 1, 1) if (end - start).days < 92 else start
    spans = _months(trend_start, trend_end)
    return spans, [measured_at(agency, m_start, m_end, now) for m_start, m_end in spans]


def monthly_trend(session: Session, agency: Agency, period: str, *, now: datetime,
                  tz: str = "Asia/Ho_Chi_Minh", by: str = "desk",
                  month_values: list[dict[str, Measured]] | None = None) -> list[dict[str, Any]]:
    """The monthly trend of ``period``'s 766 total: every month scored as a period of its own, as of the
    earlier of now and its end — its Form 06 for all months in one statement (services/reporting/
    months.py), its file measures in another (or ``month_values`` already computed with the period's)."""
    start, end = parse_index_period(period)
    scope = check_by(by)
    _, as_of = measured_at(agency, start, end, now)
    spans, moments = _trend_months(agency, start, end, as_of, now, tz)
    if not spans:
        return []
    if month_values is None:
        month_values = file_measures_by_month(session, agency, moments, by=scope)
    reports_ = score_months(session, agency, spans, now=now, tz=tz, by=scope, file_values=month_values)
    return [trend_point(f"{m_start:%Y-%m}", r) for (m_start, _), r in zip(spans, reports_, strict=True)]


def index766(session: Session, agency: Agency, period: str, *, now: datetime, tz: str = "Asia/Ho_Chi_Minh",
             by: str = "desk", published: dict[str, Any] | None = None, what_if_days: int | None = 3,
             trend: bool = True, limit: int = 20) -> Index766:
    """Every indicator of the period with its points, formula and the dossiers pulling it down, the
    published score compared and, with ``trend``, the monthly trend (``monthly_trend``; the page asks
    for it separately, so the index is not held up by it)."""
    start, end = parse_index_period(period)
    scope = check_by(by)
    start_m, as_of = measured_at(agency, start, end, now)
    moments = _trend_months(agency, start, end, as_of, now, tz)[1] if trend else []
    together = file_facts_with_months(session, agency, start_m, as_of, moments, by=scope, limit=limit)
    month_values: list[dict[str, Measured]] | None = None
    if together is not None:
        measures, lists, month_values = together
    else:
        measures, lists = file_facts(session, agency, start_m, as_of, by=scope, limit=limit)
    report = score_agency(session, agency, start, end, now=now, tz=tz, what_if_days=what_if_days, by=scope,
                          file_values=measures)
    own = [c for c in report.criteria if c.rule_set == "766"]
    # Only an indicator below its maximum has dossiers pulling it down.
    indicators = [Indicator(criterion=c, formula=FORMULAS.get(c.measure, ""),
                            dossiers=lists.get(c.measure, []) if c.points < c.max_points else [])
                  for c in own]
    indicators.sort(key=lambda i: [int(x) if x.isdigit() else 0
                                   for x in i.criterion.criterion.split(".")[1:]])
    sync = next((Measured(c.criterion.measured or Decimal(0), c.criterion.numerator, c.criterion.denominator)
                 for c in indicators if c.criterion.measure == "sync_rate"), None)
    months = monthly_trend(session, agency, period, now=now, tz=tz, by=scope,
                           month_values=month_values) if trend else []
    return Index766(report=report, period=period.strip().upper(), indicators=indicators, published=published,
                    comparison=compare(indicators, published, sync), trend=months)
