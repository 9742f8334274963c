"""The honest estimate beside the statutory date: "thường xong trong N ngày làm việc".

For each procedure and resolving agency, the median and the 90th percentile of the working days
from reception to result (``received_at`` → ``finished_at`` of dossiers whose result is ready or
returned) over the last ``WINDOW_DAYS`` days, recomputed nightly by the ``estimates`` job into
``procedure_estimates``. Shown only from ``MIN_CASES`` dossiers on, always labelled as an estimate:
the statutory due time printed on the receipt (Decree 61/2018 art. 18) alone decides on-time.

Working days are counted as ``WorkingCalendar.working_days_between`` does (days d with
receipt-day < d <= result-day on the national calendar): a result the same day is 0 ("trong
ngày"). The count is set-based: one temporary table of local days with their running working-day
number, joined twice to the dossiers of the window; the percentiles are computed in SQL — with
``percentile_cont`` on PostgreSQL and with window functions (``row_number``/``count`` over the
group, then the same linear interpolation) on SQLite; a test proves both give the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import Column, Integer, MetaData, Table, and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from ...database.base import UTCDateTime
from ...domain.errors import DomainError
from ...domain.status import DossierStatus
from ...models import Agency, Dossier, HandoffLeg, Procedure
from ...models.estimate import ProcedureEstimate
from ..admin.agencies import resolve_kind
from ..admin.calendars import national_calendar
from ..reporting.reports import resolver_id

WINDOW_DAYS = 90
MIN_CASES = 10
RESULT_STATUSES = (DossierStatus.RESULT_READY.value, DossierStatus.RETURNED.value)

_meta = MetaData()
# One row per local day: [start_at, end_at) in UTC and the working days counted up to that day.
_days = Table("tmp_estimate_days", _meta,
              Column("start_at", UTCDateTime(), primary_key=True),
              Column("end_at", UTCDateTime(), nullable=False),
              Column("n", Integer, nullable=False),
              prefixes=["TEMPORARY"])


@dataclass(frozen=True)
class Estimate:
    cases: int
    median_days: Decimal
    p90_days: Decimal
    window_days: int
    computed_at: datetime

    @property
    def median_whole(self) -> int:
        return int(self.median_days.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def p90_whole(self) -> int:
        return int(self.p90_days.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- computing (nightly)

def _fill_days(session: Session, start: datetime, now: datetime) -> None:
    cal = national_calendar(session)
    first = cal.local_date(start) - timedelta(days=1)
    last = cal.local_date(now) + timedelta(days=1)
    rows: list[dict[str, Any]] = []
    n = 0
    d = first
    while d <= last:
        if cal.is_working_day(d):
            n += 1
        lo = datetime.combine(d, time(0), cal.tz).astimezone(UTC)
        hi = datetime.combine(d + timedelta(days=1), time(0), cal.tz).astimezone(UTC)
        rows.append({"start_at": lo, "end_at": hi, "n": n})
        d += timedelta(days=1)
    conn = session.connection()
    _days.drop(conn, checkfirst=True)
    _days.create(conn)
    conn.execute(insert(_days), rows)


def samples_query(now: datetime, window_days: int = WINDOW_DAYS) -> Any:
    """(procedure_id, agency_id, days) for each result of the window: a subquery."""

    since = now - timedelta(days=window_days)
    r = _days.alias("r")
    f = _days.alias("f")
    return (
        select(Dossier.procedure_id.label("procedure_id"), resolver_id().label("agency_id"),
               (f.c.n - r.c.n).label("days"))
        .join(r, and_(Dossier.received_at >= r.c.start_at, Dossier.received_at < r.c.end_at))
        .join(f, and_(Dossier.finished_at >= f.c.start_at, Dossier.finished_at < f.c.end_at))
        .where(Dossier.status.in_(RESULT_STATUSES), Dossier.finished_at >= since, Dossier.finished_at < now,
               Dossier.received_at.is_not(None))
        .subquery("samples")
    )


def _percentiles_pg(samples: Any, min_cases: int) -> Any:
    return (select(samples.c.procedure_id, samples.c.agency_id, func.count().label("cases"),
                   func.percentile_cont(0.5).within_group(samples.c.days).label("median_days"),
                   func.percentile_cont(0.9).within_group(samples.c.days).label("p90_days"))
            .group_by(samples.c.procedure_id, samples.c.agency_id)
            .having(func.count() >= min_cases))


def _percentiles_window(samples: Any, min_cases: int, dialect: str) -> Any:
    """percentile_cont(p) = v[lo] + (h - lo) * (v[lo + 1] - v[lo]) with h = (cnt - 1) * p and
    lo = floor(h) over the group's values ordered (0-based), computed with window functions."""
    part = (samples.c.procedure_id, samples.c.agency_id)
    ranked = select(samples.c.procedure_id, samples.c.agency_id, samples.c.days,
                    (func.row_number().over(partition_by=part, order_by=samples.c.days) - 1).label("i"),
                    func.count().over(partition_by=part).label("cnt")).subquery("ranked")

    def pct(p: float) -> Any:
        h = (ranked.c.cnt - 1) * literal(p)
        # floor(h): SQLite's cast truncates (h >= 0); PostgreSQL's rounds, so floor() there.
        lo = func.floor(h) if dialect == "postgresql" else func.cast(h, Integer)
        v_lo = func.max(case((ranked.c.i == lo, ranked.c.days)))
        v_hi = func.max(case((ranked.c.i == lo + 1, ranked.c.days)))
        frac = func.max(case((ranked.c.i == lo, h - lo)))
        return v_lo + frac * (func.coalesce(v_hi, v_lo) - v_lo)

    return (select(ranked.c.procedure_id, ranked.c.agency_id, func.count().label("cases"),
                   pct(0.5).label("median_days"), pct(0.9).label("p90_days"))
            .group_by(ranked.c.procedure_id, ranked.c.agency_id)
            .having(func.count() >= min_cases))


def compute_estimates(session: Session, now: datetime, *, window_days: int = WINDOW_DAYS,
                      min_cases: int = MIN_CASES,
                      method: str | None = None) -> list[tuple[int, int, int, Decimal,
                                                                                            Decimal]]:
    """(procedure_id, agency_id, cases, median, p90) per group with at least ``min_cases`` results.
    ``method`` "pg" (percentile_cont) or "window" (both engines); default by engine."""
    since = now - timedelta(days=window_days)
    oldest = session.scalar(select(func.min(Dossier.received_at)).where(
        Dossier.status.in_(RESULT_STATUSES), Dossier.finished_at >= since, Dossier.finished_at < now))
    if oldest is None:
        return []
    _fill_days(session, oldest, now)
    samples = samples_query(now, window_days)
    dialect = session.get_bind().dialect.name
    method = method or ("pg" if dialect == "postgresql" else "window")
    stmt = (_percentiles_pg(samples, min_cases) if method == "pg"
            else _percentiles_window(samples, min_cases, dialect))
    out = []
    for row in session.execute(stmt):
        pid, aid, cases, med, p90 = cast(tuple[Any, Any, Any, Any, Any], tuple(row))
        out.append((int(pid), int(aid), int(cases), _dec(med), _dec(p90)))
    return sorted(out)


def _dec(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def refresh_estimates(session: Session, now: datetime, *, window_days: int = WINDOW_DAYS,
                      min_cases: int = MIN_CASES) -> dict[str, Any]:
    """The nightly job's work: replace ``procedure_estimates`` with this night's figures."""
    rows = compute_estimates(session, now, window_days=window_days, min_cases=min_cases)
    session.execute(delete(ProcedureEstimate))
    if rows:
        session.execute(insert(ProcedureEstimate), [
            {"procedure_id": p, "agency_id": a, "cases": c, "median_days": m, "p90_days": q,
             "window_days": window_days, "computed_at": now} for p, a, c, m, q in rows])
    _days.drop(session.connection(), checkfirst=True)
    session.flush()
    return {"groups": len(rows), "cases": sum(r[2] for r in rows)}


# ---------------------------------------------------------------- reading (panel, receipt, look-up)

def estimate_for(session: Session, procedure_id: int, agency_id: int | None,
                 min_cases: int = MIN_CASES) -> Estimate | None:
    if agency_id is None:
        return None
    row = session.scalar(select(ProcedureEstimate).where(ProcedureEstimate.procedure_id == procedure_id,
                                                         ProcedureEstimate.agency_id == agency_id))
    if row is None or row.cases < min_cases:
        return None
    return Estimate(row.cases, Decimal(row.median_days), Decimal(row.p90_days), row.window_days,
                    row.computed_at)


def resolving_agency_at(session: Session, procedure: Procedure, desk: Agency) -> Agency | None:
    """The agency that will resolve ``procedure`` received at ``desk`` (as ``transfer`` picks it)."""

    kind = procedure.steps[0].agency_kind if procedure.steps else procedure.lead_kind
    try:
        return resolve_kind(session, kind, desk)
    except DomainError:
        return None


def estimate_for_dossier(session: Session, d: Dossier) -> Estimate | None:
    """The estimate for a dossier: at its resolving agency (the first hand-off's receiver, else
    the one ``transfer`` will pick)."""

    agency_id = session.scalar(select(HandoffLeg.to_agency_id).where(HandoffLeg.dossier_id == d.id,
                                                                     HandoffLeg.seq == 1))
    if agency_id is None:
        ag = resolving_agency_at(session, d.procedure, d.receiving_agency)
        agency_id = ag.id if ag is not None else None
    return estimate_for(session, d.procedure_id, agency_id)
