"""Nightly metrics: per agency (rolled up the agency tree) and per field (lĩnh vực), for the month,
quarter and year to date — Form 06 buckets, the on-time rate by Decision 766/QĐ-TTg indicator 2.1,
apologies issued vs late dossiers, online share and satisfaction (indicator 5.4) — stored as
``MetricSnapshot`` rows that dashboards read.

Set-based: the Form 06 buckets come from THE Form 06 builder (``reports.form06_counts``: one
GROUP BY (receiving agency, field) per period, as of the earlier of now and the period's end, with the
due time, pause and supplement requests in force at that moment — the same numbers as the Form 06
page, the scores and the public page); one GROUP BY over ratings and one over feedback; the roll-up
up the tree then runs over those few grouped rows in Python (each agency's row is added to its
ancestors through the materialised path). The rules: docs/rules.md, "Form 06 and the on-time rate".
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...domain.metrics import FORM06_COLUMNS, Form06Row
from ...domain.scoring import rate, satisfaction_rate
from ...models import Agency, Dossier, Feedback, MetricSnapshot, Procedure, Rating
from ..admin.agencies import subtree_ids_query
from .reports import BucketCounts, By, form06_counts, moments_table

D = Dossier.__table__
PR = Procedure.__table__
R = Rating.__table__
F = Feedback.__table__

PERIOD_KINDS = ("month", "quarter", "ytd")


@dataclass
class Counts(Form06Row):
    """Everything the snapshot and the scores need, for one (agency, field) group: the Form 06
    buckets plus the apology, rating and complaint counts."""

    late_apologised: int = 0  # late resolved or overdue in progress, with an apology (form 04)
    unhappy: int = 0  # dossiers with a "dissatisfied" rating or an upheld complaint (indicator 5.4)
    ratings: int = 0
    dissatisfied: int = 0  # ratings marked dissatisfied (shown; the measure counts ``unhappy``)
    complaints: int = 0
    feedback_due: int = 0  # feedback whose answer deadline fell in the period
    feedback_on_time: int = 0  # … answered by the deadline

    def add(self, other: Form06Row) -> None:
        for f in fields(self):
            if f.name != "field" and hasattr(other, f.name):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def on_time(self) -> int:
        """Numerator of indicator 2.1: finished early/on time + still open within time."""
        return self.resolved_early + self.resolved_on_time + self.in_progress_within

    @property
    def late(self) -> int:
        return self.resolved_late + self.in_progress_overdue

    @property
    def received_in_period(self) -> int:
        return self.received_online + self.received_direct_postal

    def rates(self) -> dict[str, Decimal]:
        return {
            "on_time_rate": rate(self.on_time, self.received_total),
            "late_rate": rate(self.late, self.received_total, empty=Decimal(0)),
            "apology_rate": rate(self.late_apologised, self.late),
            "online_dossier_rate": rate(self.received_online, self.received_in_period, empty=Decimal(0)),
            "satisfaction_rate": satisfaction_rate(self.received_total, self.late, self.unhappy),
            "complaint_handled_rate": rate(self.feedback_on_time, self.feedback_due),
        }

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        data.pop("field", None)  # the snapshot row names its field itself
        data["on_time"] = self.on_time
        data["late"] = self.late
        data.update({k: str(v) for k, v in self.rates().items()})
        return data


def _ts(value: datetime) -> ColumnElement[datetime]:
    return literal(value, D.c.due_at.type)


def _aggregate(session: Session, start_m: datetime, end_m: datetime, tz: str, *,
               agency: Agency | None = None, by_agency: bool = True,
               by: By = "desk") -> dict[tuple[int, str], Counts]:
    """(agency id, or 0 when not grouped by agency; field) → Counts, before roll-up. The Form 06
    buckets, apologies and unhappy dossiers come from THE Form 06 builder
    (``reports.form06_counts``) as of ``end_m``; ratings and PAKN are counted beside them."""
    out: defaultdict[tuple[int, str], Counts] = defaultdict(Counts)
    add_buckets(out, form06_counts(session, agency, start_m, end_m, tz=tz, by=by, group_by_agency=by_agency,
                                   extras=True))
    add_ratings_and_feedback(session, [out], [(start_m, end_m)], agency=agency, by_agency=by_agency)
    return out


def add_buckets(out: defaultdict[tuple[int, str], Counts],
                buckets: dict[tuple[int, str], BucketCounts]) -> None:
    """Form 06 buckets (with apologies and unhappy dossiers) into the counts of their groups."""
    for group, b in buckets.items():
        c = out[group]
        for name in FORM06_COLUMNS:
            setattr(c, name, getattr(c, name) + getattr(b.row, name))
        c.late_apologised += b.late_apologised
        c.unhappy += b.unhappy


def add_ratings_and_feedback(session: Session, outs: list[defaultdict[tuple[int, str], Counts]],
                             months: list[tuple[datetime, datetime]], *, agency: Agency | None,
                             by_agency: bool) -> None:
    """Ratings (SIPAS) and feedback (PAKN) of each [start, end) in ``months``, added to ``outs`` (one per
    period, same order) by the agency they concern (0 when not grouped by agency) and field: one
    statement for ratings and one for feedback, however many periods (the months of a trend are joined
    as a derived table; a single period keeps its bounds as values)."""
    if len(months) == 1:
        s, e = _ts(months[0][0]), _ts(months[0][1])
        k: Any = None
    else:
        mo = moments_table([(i, start, end) for i, (start, end) in enumerate(months)])
        s, e, k = mo.c.s, mo.c.a, mo.c.k
    lead = [k] if k is not None else []

    def grp(agency_col: Any) -> list[Any]:
        return [*lead, agency_col, PR.c.field] if by_agency else [*lead, PR.c.field]

    def counts(row: Any) -> Counts:
        i = int(row[0]) if k is not None else 0
        rest = row[1:] if k is not None else row
        key = (int(rest[0] or 0), rest[1]) if by_agency else (0, rest[0])
        return outs[i][key]

    agency_ids = subtree_ids_query(agency) if agency is not None else None
    # Ratings (SIPAS) and feedback (PAKN) given in the period, by the agency they concern (shown
    # beside the scores; the satisfaction measure counts dossiers — ``unhappy`` above).
    wr = [R.c.agency_id.in_(agency_ids)] if agency_ids is not None else []
    q_r = (select(*grp(R.c.agency_id), func.count(),
                  func.coalesce(func.sum(case((R.c.satisfied.is_(False), 1), else_=0)), 0))
           .select_from(R.join(D, D.c.id == R.c.dossier_id).join(PR, PR.c.id == D.c.procedure_id))
           .where(R.c.created_at >= s, R.c.created_at < e, *wr).group_by(*grp(R.c.agency_id)))
    for row in session.execute(q_r):
        c = counts(row)
        c.ratings += int(row[-2])
        c.dissatisfied += int(row[-1] or 0)
    complaint = and_(F.c.created_at >= s, F.c.created_at < e, F.c.kind == "complaint")
    due_in = and_(F.c.due_at >= s, F.c.due_at < e)
    answered_ok = and_(due_in, F.c.answered_at.is_not(None), F.c.answered_at <= F.c.due_at)
    wf = [F.c.agency_id.in_(agency_ids)] if agency_ids is not None else []
    q_f = (select(*grp(F.c.agency_id),
                  func.coalesce(func.sum(case((complaint, 1), else_=0)), 0),
                  func.coalesce(func.sum(case((due_in, 1), else_=0)), 0),
                  func.coalesce(func.sum(case((answered_ok, 1), else_=0)), 0))
           .select_from(F.join(D, D.c.id == F.c.dossier_id).join(PR, PR.c.id == D.c.procedure_id))
           .where(or_(complaint, due_in), *wf).group_by(*grp(F.c.agency_id)))
    for row in session.execute(q_f):
        c = counts(row)
        c.complaints += int(row[-3] or 0)
        c.feedback_due += int(row[-2] or 0)
        c.feedback_on_time += int(row[-1] or 0)


def rolled_up(session: Session, raw: dict[tuple[int, str], Counts]) -> dict[tuple[int, str], Counts]:
    """Add each agency's counts to itself and every ancestor, per field and for all fields ("")."""
    paths = dict(session.execute(select(Agency.id, Agency.path)).all())
    out: dict[tuple[int, str], Counts] = defaultdict(Counts)
    for (aid, fld), c in raw.items():
        path = paths.get(aid, f"/{aid}/")
        for anc in (int(p) for p in path.strip("/").split("/") if p):
            out[(anc, fld)].add(c)
            out[(anc, "")].add(c)
    return out


def subtree_counts(session: Session, agency: Agency, start_m: datetime, end_m: datetime, tz: str, *,
                   by: By = "desk") -> Counts:
    """All fields together, for an agency and its subtree by desk or resolver, as of ``end_m`` (the
    score page's measured values)."""
    total = Counts()
    for c in _aggregate(session, start_m, end_m, tz, agency=agency, by_agency=False, by=by).values():
        total.add(c)
    return total


# ---------------------------------------------------------------- periods and the snapshot


def period_of(kind: str, day: date) -> tuple[date, date]:
    """[first day, last day] of the month / quarter / year-to-date period containing ``day``."""
    if kind == "month":
        start = day.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
    elif kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        nxt = (start + timedelta(days=93)).replace(day=1)
    elif kind == "ytd":
        start = date(day.year, 1, 1)
        nxt = date(day.year + 1, 1, 1)
    else:
        raise ValueError(kind)
    return start, nxt - timedelta(days=1)


def snapshot_metrics(session: Session, now: datetime, *, tz: str = "Asia/Ho_Chi_Minh") -> dict[str, Any]:
    """Compute and upsert the snapshots for the periods containing today — and, just after a
    period boundary, also the period that ended at local midnight (so the last minutes of a month
    are never lost). Re-running with the same ``now`` writes the same values."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    periods: set[tuple[str, date, date]] = set()
    for day in (today, today - timedelta(days=1)):
        for kind in PERIOD_KINDS:
            periods.add((kind, *period_of(kind, day)))
    written = 0
    for kind, start, end in sorted(periods):
        start_m = datetime.combine(start, time(0), zone)
        end_m = min(now, datetime.combine(end + timedelta(days=1), time(0), zone))
        if end_m <= start_m:
            continue
        data = rolled_up(session, _aggregate(session, start_m, end_m, tz))
        rows = [{"agency_id": aid, "field": fld, "period_kind": kind, "period_start": start,
                 "period_end": end, "computed_at": now,
                 "data": {**c.as_data(), "as_of": end_m.isoformat()}}
                for (aid, fld), c in sorted(data.items())]
        written += _upsert(session, rows)
    session.flush()
    return {"periods": len(periods), "snapshots": written}


def _upsert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = MetricSnapshot.__table__
    dialect = session.get_bind().dialect.name
    mod: Any = postgresql if dialect == "postgresql" else sqlite
    total = 0
    for i in range(0, len(rows), 500):
        chunk = rows[i:i + 500]
        ins = mod.insert(table).values(chunk)
        ins = ins.on_conflict_do_update(
            index_elements=["agency_id", "field", "period_kind", "period_start"],
            set_={"period_end": ins.excluded.period_end, "computed_at": ins.excluded.computed_at,
                  "data": ins.excluded.data})
        session.execute(ins)
        total += len(chunk)
    return total


__all__ = ["PERIOD_KINDS", "Counts", "add_buckets", "add_ratings_and_feedback", "period_of", "rolled_up",
           "snapshot_metrics", "subtree_counts"]
