"""Nightly metrics: per agency (rolled up the agency tree) and per field (lĩnh vực), for the month,
quarter and year to date — Form 06 buckets, the on-time rate by Decision 766/QĐ-TTg indicator 2.1,
apologies issued vs late dossiers, online share and satisfaction (indicator 5.4) — stored as
``MetricSnapshot`` rows that dashboards read.

Set-based: one GROUP BY (receiving agency, field) over the dossiers per period, one over ratings and
one over feedback; the roll-up up the tree then runs over those few grouped rows in Python (each
agency's row is added to its ancestors through the materialised path).

The bucket rules are those of ``onestop.domain.metrics.form06_bucket`` (Circular 01/2020/TT-VPCP
Form 06; THE on-time rule of ``domain.timing``), written as SQL ``CASE`` expressions:

* counted: received (``received_at`` set) before the end moment, not finished before the start;
* carried over / received online / direct+postal; resolved early / on time / late (more than one
  supplement request ⇒ late; finished without a clock ⇒ on time); in progress within / overdue at the
  end moment, where a pause open at the end that began no later than the due time keeps it within;
* "early" compares local dates (agency zone). Vietnam has had one fixed offset (+07:00) since 1975, so
  SQLite uses a fixed ``'+420 minutes'`` modifier; PostgreSQL uses ``timezone(zone, t)``.

Approximation (documented): the due time used is the one stored now; for a closed past period the
reports area's Form 06 "as of" (from the event log) is authoritative. The nightly snapshot of the
current period is exact, because the period ends at ``now``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..domain.metrics import Form06Row
from ..domain.scoring import rate, satisfaction_rate
from ..models import Agency, Dossier, Feedback, MetricSnapshot, PauseInterval, Procedure, Rating

D = Dossier.__table__
P = PauseInterval.__table__
PR = Procedure.__table__
R = Rating.__table__
F = Feedback.__table__

PERIOD_KINDS = ("month", "quarter", "ytd")


@dataclass
class Counts(Form06Row):
    """Everything the snapshot and the scores need, for one (agency, field) group: the Form 06
    buckets plus the apology, rating and complaint counts."""

    late_apologised: int = 0  # late resolved or overdue in progress, with an apology (form 04)
    ratings: int = 0
    dissatisfied: int = 0
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
            "satisfaction_rate": satisfaction_rate(
                self.received_total, self.late,
                min(self.received_total, self.dissatisfied + self.complaints)),
            "complaint_handled_rate": rate(self.feedback_on_time, self.feedback_due),
        }

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        data.pop("field", None)  # the snapshot row names its field itself
        data["on_time"] = self.on_time
        data["late"] = self.late
        data.update({k: str(v) for k, v in self.rates().items()})
        return data


def _local_date(session: Session, col: Any, tz: str) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(tz, col))
    offset = ZoneInfo(tz).utcoffset(datetime(2020, 1, 1))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.date(col, f"{minutes:+d} minutes")


def _ts(value: datetime) -> ColumnElement[datetime]:
    return literal(value, D.c.due_at.type)


def dossier_counts_query(session: Session, start_m: datetime, end_m: datetime, tz: str,
                         group_by: list[Any], where: list[ColumnElement[bool]] | None = None) -> Any:
    """The Form 06 GROUP BY for [start_m, end_m) (end_m = the period's end moment, or now)."""
    s, e = _ts(start_m), _ts(end_m)
    one = literal(1)
    resolved = and_(D.c.finished_at.is_not(None), D.c.finished_at < e)
    late_f = and_(D.c.due_at.is_not(None), or_(D.c.finished_at > D.c.due_at, D.c.supplement_count > 1))
    early_f = and_(D.c.due_at.is_not(None),
                   _local_date(session, D.c.finished_at, tz) < _local_date(session, D.c.due_at, tz))
    paused_at_end = exists().where(P.c.dossier_id == D.c.id, P.c.started_at < e,
                                   or_(P.c.ended_at.is_(None), P.c.ended_at >= e), P.c.started_at <= D.c.due_at)
    overdue_open = and_(D.c.due_at.is_not(None), D.c.due_at < e, ~paused_at_end)

    def n(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, one), else_=0)), 0)

    cols = [
        func.count().label("received_total"),
        n(and_(D.c.received_at >= s, D.c.channel == "online")).label("received_online"),
        n(and_(D.c.received_at >= s, D.c.channel != "online")).label("received_direct_postal"),
        n(D.c.received_at < s).label("carried_over"),
        n(resolved).label("resolved_total"),
        n(and_(resolved, ~late_f, early_f)).label("resolved_early"),
        n(and_(resolved, ~late_f, ~early_f)).label("resolved_on_time"),
        n(and_(resolved, late_f)).label("resolved_late"),
        n(~resolved).label("in_progress_total"),
        n(and_(~resolved, ~overdue_open)).label("in_progress_within"),
        n(and_(~resolved, overdue_open)).label("in_progress_overdue"),
        n(and_(D.c.promised_due_at.is_not(None),
               or_(and_(resolved, late_f), and_(~resolved, overdue_open)))).label("late_apologised"),
    ]
    # NULL-safe: every late/early/overdue test starts with "due_at IS NOT NULL", so a dossier
    # finished without a clock (due_at NULL) gets FALSE, never NULL, and lands in "on time".
    q = (select(*group_by, *cols).select_from(D.join(PR, PR.c.id == D.c.procedure_id))
         .where(D.c.received_at.is_not(None), D.c.received_at < e,
                or_(D.c.finished_at.is_(None), D.c.finished_at >= s), *(where or []))
         .group_by(*group_by))
    return q


def _aggregate(session: Session, start_m: datetime, end_m: datetime, tz: str, *,
               agency_ids: Any = None, by_agency: bool = True) -> dict[tuple[int, str], Counts]:
    """(agency id, or 0 when not grouped by agency; field) → Counts, before roll-up."""
    out: dict[tuple[int, str], Counts] = defaultdict(Counts)

    def grp(agency_col: Any) -> list[Any]:
        return [agency_col, PR.c.field] if by_agency else [PR.c.field]

    def key(row: Any) -> tuple[int, str]:
        return (int(row[0] or 0), row[1]) if by_agency else (0, row[0])

    wd = [D.c.receiving_agency_id.in_(agency_ids)] if agency_ids is not None else []
    q = dossier_counts_query(session, start_m, end_m, tz, grp(D.c.receiving_agency_id), wd)
    for row in session.execute(q):
        c = out[key(row)]
        m = row._mapping
        for f in fields(Counts):
            if f.name in m and f.name != "field":
                setattr(c, f.name, int(m[f.name] or 0))
    s, e = _ts(start_m), _ts(end_m)
    # Ratings (SIPAS) and feedback (PAKN) given in the period, by the agency they concern.
    wr = [R.c.agency_id.in_(agency_ids)] if agency_ids is not None else []
    q_r = (select(*grp(R.c.agency_id), func.count(),
                  func.coalesce(func.sum(case((R.c.satisfied.is_(False), 1), else_=0)), 0))
           .select_from(R.join(D, D.c.id == R.c.dossier_id).join(PR, PR.c.id == D.c.procedure_id))
           .where(R.c.created_at >= s, R.c.created_at < e, *wr).group_by(*grp(R.c.agency_id)))
    for row in session.execute(q_r):
        c = out[key(row)]
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
        c = out[key(row)]
        c.complaints += int(row[-3] or 0)
        c.feedback_due += int(row[-2] or 0)
        c.feedback_on_time += int(row[-1] or 0)
    return out


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


def subtree_counts(session: Session, agency: Agency, start_m: datetime, end_m: datetime, tz: str) -> Counts:
    """All fields together, for an agency and its subtree (the score page's measured values)."""
    ids = select(Agency.id).where(Agency.path.like(agency.path + "%")).scalar_subquery()
    total = Counts()
    for c in _aggregate(session, start_m, end_m, tz, agency_ids=ids, by_agency=False).values():
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


__all__ = ["PERIOD_KINDS", "Counts", "period_of", "rolled_up", "snapshot_metrics", "subtree_counts"]
