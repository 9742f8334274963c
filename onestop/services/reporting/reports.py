"""Heads' reports: Form 06/VPCP/KSTT as of a moment, closed-period snapshots, the overdue list, the
head dashboard, delay attribution along liên thông chains, and chart series.

**One Form 06 builder** (:func:`form06_counts`): the page, the Excel file, the CLI, the API, the
closed-period snapshots, the nightly metrics, the scores and the public transparency page all read
their buckets from it. The rules (docs/rules.md, "Form 06 and the on-time rate"):

* the moment: a period not yet over is measured **as of the earlier of now and the period's end**,
  and every page and export says so ("Số liệu tính đến …");
* the per-dossier timing is THE timing rule written once in SQL (``services.dossiers.timing_sql``; its Python
  twin is ``domain.timing``), fed with the inputs *in force at that moment*, so later events never
  change a past period:
  - ``received_at`` and ``finished_at`` (the *first* finish, set once by ``apply_action``);
  - the statutory due time in force at the moment: a due change after it (supplement provided,
    payment confirmed, calendar re-plan — each recorded as an event with ``old_due_at``/``due_at``,
    docs/architecture.md §2) is undone by reading ``old_due_at`` of the first such event after the moment;
  - the pause open at the moment (``pause_intervals``);
  - the supplement requests made before the moment (more than one ⇒ late / overdue);
* the scope: by **receiving desk** (``receiving_agency_id`` in the subtree) or by **resolving
  agency** (the agency the dossier was first handed to — the procedure's competent agency, for liên
  thông the lead agency — or the desk itself while it has not been handed over).

Every figure over many dossiers is ONE set-based statement (GROUP BY with CASE expressions); Python
only folds the handful of grouped rows. The pure reference is
:func:`onestop.domain.metrics.form06_bucket` (a property test compares the two on random data).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from ...database.base import UTCDateTime
from ...domain.metrics import (
    FORM06_COLUMNS,
    AgencyDelay,
    Form06Row,
    LegFacts,
    delay_per_agency,
    identity_errors,
    late_because_of,
    period_bounds,
)
from ...domain.status import PAUSED, Channel, DossierAction
from ...domain.timing import TimeLeft, Timing, due_soon_from, time_left
from ...models import (
    Agency,
    Dossier,
    DossierEvent,
    Feedback,
    HandoffLeg,
    PauseInterval,
    Procedure,
    Rating,
    ReportSnapshot,
    User,
)
from ..admin import calendars
from ..admin.agencies import subtree_ids_query
from ..admin.calendars import calendar_for
from ..dossiers.timing import open_pause_start
from ..dossiers.timing_sql import finished_timing_case, is_overdue_open, open_timing_case
from ..errors import N_, Conflict, NotFound, ValidationFailed
from ..numbers import percent_value
from ..sql import no_jit  # also registers the SQLite index-hint compilation
from . import rollup as _rollup

_PAUSED_SQL = tuple(s.value for s in PAUSED)

By = Literal["desk", "resolver"]
BY_CHOICES: tuple[str, ...] = ("desk", "resolver")


def check_by(value: str | None) -> By:
    """``desk`` (by receiving desk) or ``resolver`` (by resolving agency); anything else is a clear error."""
    v = (value or "desk").strip()
    if v == "desk":
        return "desk"
    if v == "resolver":
        return "resolver"
    raise ValidationFailed({"by": N_("Tham số 'by' phải là 'desk' (theo nơi tiếp nhận) hoặc 'resolver' "
                                     "(theo cơ quan giải quyết).")})


# ---------------------------------------------------------------- dialect helpers

def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _json_ts(session: Session, column: Any, key: str) -> ColumnElement[Any]:
    """A timestamp stored in a JSON payload as ISO 8601 with an offset, as a comparable timestamp.

    SQLite keeps ``UTCDateTime`` columns as naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff';
    ``strftime`` converts the offset to UTC and gives milliseconds, padded to that format (due times
    are whole minutes, so nothing is lost). PostgreSQL casts to ``timestamptz``.
    """
    if _dialect(session) == "postgresql":
        return cast(column[key].as_string(), UTCDateTime())
    text_ts = func.strftime("%Y-%m-%d %H:%M:%f", func.json_extract(column, f"$.{key}")) + literal("000")
    return text_ts


def _month_key(session: Session, column: Any, tz: str, offset_minutes: int) -> ColumnElement[Any]:
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, f"{offset_minutes:+d} minutes")


def _offset_minutes(tz: ZoneInfo, at: datetime) -> int:
    off = at.astimezone(tz).utcoffset()
    return int(off.total_seconds() // 60) if off is not None else 0


def _tz(agency: Agency) -> ZoneInfo:
    return ZoneInfo(agency.timezone or "Asia/Ho_Chi_Minh")


# ---------------------------------------------------------------- scope: desk or resolver

def resolver_id() -> ColumnElement[Any]:
    """The resolving agency of a dossier (correlated to ``Dossier``): the agency of its first hand-off
    (the procedure's competent agency; for liên thông the lead agency), else its receiving desk."""
    leg = aliased(HandoffLeg)
    first = (select(leg.to_agency_id).where(leg.dossier_id == Dossier.id, leg.seq == 1)
             .correlate(Dossier).scalar_subquery())
    return func.coalesce(first, Dossier.receiving_agency_id)


def scope_condition(ids: Any, by: By) -> ColumnElement[bool]:
    """Dossiers that count for the agencies ``ids`` (a subquery or list of ids) by desk or resolver."""
    if by == "desk":
        return Dossier.receiving_agency_id.in_(ids)
    first = aliased(HandoffLeg)
    handed = select(first.dossier_id).where(first.seq == 1, first.to_agency_id.in_(ids))
    any_leg = aliased(HandoffLeg)
    never_handed = ~exists().where(any_leg.dossier_id == Dossier.id, any_leg.seq == 1)
    return or_(Dossier.id.in_(handed), and_(Dossier.receiving_agency_id.in_(ids), never_handed))


# ---------------------------------------------------------------- Form 06

@dataclass
class Form06:
    agency: Agency
    start: date
    end: date
    rows: list[Form06Row]
    totals: Form06Row
    as_of: datetime  # the moment measured: min(now, local midnight after ``end``)
    by: str = "desk"

    @property
    def period_over(self) -> bool:
        """True when ``as_of`` is the period's end (the numbers can no longer change)."""
        return self.as_of >= period_bounds(self.start, self.end, _tz(self.agency))[1]

    def as_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency.identifier,
            "agency_name": self.agency.name,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "as_of": self.as_of.astimezone(_tz(self.agency)).isoformat(),
            "rows": [_row_json(r) for r in self.rows],
            "totals": _row_json(self.totals, with_field=False),
        }

    def identity_errors(self) -> list[str]:
        errs: list[str] = []
        for r in [*self.rows, self.totals]:
            errs += identity_errors(r)
        return errs


def _row_json(row: Form06Row, *, with_field: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"field": row.field} if with_field else {}
    out.update(row.counts())
    return out


def due_in_force_at(session: Session, dossier_id_col: Any, due_col: Any,
                    moment: datetime) -> ColumnElement[Any]:
    """The statutory due time in force at ``moment``: the ``old_due_at`` of the first due change
    recorded after ``moment`` if there is one, else the dossier's current ``due_at``."""
    ev = aliased(DossierEvent)
    old = _json_ts(session, ev.payload, "old_due_at")
    first_after = (
        select(old)
        .where(ev.dossier_id == dossier_id_col, ev.at >= moment,
               ev.payload["old_due_at"].as_string().is_not(None))
        .order_by(ev.seq)
        .limit(1)
        .correlate_except(ev)
        .scalar_subquery()
    )
    return func.coalesce(first_after, due_col, type_=UTCDateTime())


def supplements_before(moment: Any, dossier_id: Any = Dossier.id,
                       supplement_count: Any = Dossier.supplement_count) -> ColumnElement[Any]:
    """Supplement requests made before ``moment`` (a value or a column), correlated to the row of
    ``dossier_id``. Only looked up when the dossier has more than one request today — the only case
    where the count can change a bucket."""
    ev = aliased(DossierEvent)
    n = (select(func.count()).where(ev.dossier_id == dossier_id, ev.at < moment,
                                    ev.action == DossierAction.REQUEST_SUPPLEMENT.value)
         .correlate_except(ev).scalar_subquery())
    return case((supplement_count > 1, n), else_=supplement_count)


def pause_open_at(moment: Any, dossier_id: Any = Dossier.id) -> ColumnElement[Any]:
    """The start of the pause open at ``moment`` (NULL when none), correlated to the row of
    ``dossier_id``."""
    return (
        select(func.min(PauseInterval.started_at))
        .where(PauseInterval.dossier_id == dossier_id, PauseInterval.started_at < moment,
               or_(PauseInterval.ended_at.is_(None), PauseInterval.ended_at >= moment))
        .correlate_except(PauseInterval)
        .scalar_subquery()
    )


def unhappy_before(moment: Any, dossier_id: Any = Dossier.id) -> ColumnElement[bool]:
    """A "dissatisfied" rating, or a complaint about the dossier UPHELD (decided when answered;
    docs/rules.md F5), before ``moment`` — Decision 766 indicator 5.4."""
    return or_(
        exists().where(Rating.dossier_id == dossier_id, Rating.satisfied.is_(False),
                       Rating.created_at < moment),
        exists().where(Feedback.dossier_id == dossier_id, Feedback.kind == "complaint",
                       Feedback.upheld.is_(True), Feedback.answered_at < moment),
    )


def dossier_parts(session: Session, in_scope: ColumnElement[bool], start_m: datetime, end_m: datetime,
                   columns: Sequence[Any], *, materialised: str = "") -> Any:
    """The Form 06 dossier set — received before the end, not finished before the start — as a
    UNION ALL of four disjoint parts that each follow one index, so the cost grows with the period
    and the open dossiers, not with the whole history:

    1. received in the period (``ix_dossiers_agency_received``, per agency of the subtree);
    2. received before, finished in the period (``ix_dossiers_finished`` range);
    3. received before, still open (``ix_dossiers_open_due``, partial on open dossiers);
    4. received before, finished after the end (open across the whole period, later finished):
       the rarest part, bounded either by the finish index (recent periods) or by the receipt index
       (old periods). SQLite has no range histograms without STAT4, so we pick for it: the side of
       the period with less history (MIN/MAX of finished_at are two index probes); PostgreSQL's
       planner chooses from its own statistics.

    ``materialised`` names a common table expression to return instead of a subquery, for a statement
    that joins the set to several moments (services/reporting/months.py).
    """
    d = Dossier
    parts = [
        select(*columns).where(in_scope, d.received_at >= start_m, d.received_at < end_m),
        select(*columns).where(in_scope, d.received_at < start_m, d.finished_at >= start_m,
                               d.finished_at < end_m),
        select(*columns).where(in_scope, d.received_at < start_m, d.finished_at.is_(None)),
    ]
    span = select(*columns).where(in_scope, d.received_at < start_m, d.finished_at >= end_m)
    keep_span = True
    if _dialect(session) == "sqlite":
        lo, hi = session.execute(select(func.min(d.finished_at), func.max(d.finished_at))).one()
        if hi is None or hi < end_m:
            keep_span = False  # nothing finished after the end
        elif lo is not None and (hi - end_m) < (start_m - lo):
            span = span.with_hint(Dossier.__table__, "INDEXED BY ix_dossiers_finished", "sqlite")
        else:
            span = span.with_hint(Dossier.__table__, "INDEXED BY ix_dossiers_agency_received", "sqlite")
    if keep_span:
        parts.append(span)
    if materialised:  # read once, however often the statement joins it (MATERIALIZED: PostgreSQL 12+,
        # SQLite 3.35+; without it SQLite re-ran the parts for every month: a 12-month trend 17 s → 6 s)
        return union_all(*parts).cte(materialised).prefix_with("MATERIALIZED")
    return union_all(*parts).subquery()


def scope_of(agency: Agency | None, by: By) -> ColumnElement[bool]:
    if agency is None:
        return Dossier.received_at.is_not(None)
    return scope_condition(subtree_ids_query(agency), by)


def finished_kind(tz: str) -> ColumnElement[Any]:
    """A finished dossier's Form 06 kind: ``L`` late, ``E`` early, ``T`` on time (or finished without a
    clock, which cannot be late) — THE timing rule on its final due time and supplement count."""
    d = Dossier
    finished = finished_timing_case(finished_at=d.finished_at, due_at=d.due_at,
                                    supplement_count=d.supplement_count, tz=tz)
    # A "simple" CASE on the timing value evaluates the timing CASE (two local dates) once per row;
    # comparing it twice in a searched CASE made SQLite evaluate it twice.
    return case({Timing.LATE.value: literal("L"), Timing.EARLY.value: literal("E")}, value=finished,
                else_=literal("T"))


def form06_buckets_query(session: Session, agency: Agency | None, start_m: datetime, as_of: datetime, *,
                         tz: str, by: By = "desk", group_by_agency: bool = False,
                         extras: bool = False) -> Any:
    """The one GROUP BY statement: (agency id or 0, field, received kind, final kind, apologised,
    unhappy, count) over the dossiers counted for ``agency``'s subtree (all agencies if None) in
    [start_m, as_of).

    * received kind: ``c`` carried over / ``o`` online / ``d`` direct or postal;
    * final kind: ``E``/``T``/``L`` resolved early / on time / late, ``W``/``O`` in progress within /
      overdue — from THE timing rule in SQL (``timing_sql``) with the inputs in force at ``as_of``;
    * with ``extras``: apologised (an apology, form 04, was issued) and unhappy (a "dissatisfied"
      rating or a complaint about the dossier upheld before ``as_of``, Decision 766 indicator 5.4) — 0 or 1.

    The as-of due time, the open pause and the supplement count are correlated look-ups evaluated
    once per dossier, and only for dossiers still open at the moment (the parts carry them as columns
    under a CASE, the outer SELECT classifies) — referencing a look-up in several CASE branches made
    PostgreSQL run it once per branch (docs/benchmarks.md, "Form 06")."""
    d = Dossier
    open_at = or_(d.finished_at.is_(None), d.finished_at >= as_of)
    resolved_kind = case((d.finished_at < as_of, finished_kind(tz)), else_=null())
    columns: list[Any] = []
    if group_by_agency:
        columns.append((resolver_id() if by == "resolver" else d.receiving_agency_id).label("ag"))
    columns += [
        d.procedure_id.label("procedure_id"), received_kind(d.received_at, d.channel, start_m).label("rk"),
        resolved_kind.label("res"),
        *inputs_at(session, d.id, d.due_at, d.supplement_count, as_of, open_at),
    ]
    if extras:
        columns += [case((d.promised_due_at.is_not(None), 1), else_=0).label("ap"),
                    case((unhappy_before(as_of), 1), else_=0).label("uh")]
    u = dossier_parts(session, scope_of(agency, by), start_m, as_of, columns)
    return grouped_buckets(u, now=as_of, lead=u.c.ag if group_by_agency else None, extras=extras)


def moments_table(rows: list[tuple[int, datetime, datetime]]) -> Any:
    """Periods as a derived table ``(k, s, a)`` — index, start, moment — to join dossiers or ratings to
    the periods they count in: a UNION ALL of literal rows, which both engines read (SQLite takes no
    column list on a VALUES alias)."""
    selects = [select(literal(k).label("k"), literal(s, UTCDateTime()).label("s"),
                      literal(a, UTCDateTime()).label("a")) for k, s, a in rows]
    return (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("mo")


def inputs_at(session: Session, dossier_id: Any, due_at: Any, supplement_count: Any, moment: Any,
              open_at: ColumnElement[bool]) -> list[Any]:
    """The timing inputs in force at ``moment`` (a value or a column) — ``due_asof``, ``pause_start``,
    ``sup`` — each looked up only while the dossier is still open then (``open_at``)."""
    return [
        case((open_at, due_in_force_at(session, dossier_id, due_at, moment)), else_=null()).label("due_asof"),
        case((open_at, pause_open_at(moment, dossier_id)), else_=null()).label("pause_start"),
        case((open_at, supplements_before(moment, dossier_id, supplement_count)), else_=null()).label("sup"),
    ]


def received_kind(received_at: Any, channel: Any, start: Any) -> ColumnElement[Any]:
    """Form 06's received kind for a period starting at ``start``: ``c`` carried over (received before
    it), ``o`` online, ``d`` direct or postal."""
    return case((received_at < start, literal("c")), (channel == Channel.ONLINE.value, literal("o")),
                else_=literal("d"))


def grouped_buckets(src: Any, *, now: Any, lead: Any | None, extras: bool) -> Any:
    """The grouped rows (lead or 0, field, received kind, final kind, apologised, unhappy, count) of
    per-dossier columns ``src.c`` (procedure_id, rk, res, due_asof, pause_start, sup [, ap, uh]) judged
    at ``now`` (a moment, or each row's moment as a column): the final kind is ``res`` when the
    dossier was resolved by then, else ``O``/``W`` by THE timing rule on the inputs in force. ``lead``:
    a first grouping column (the agency, or the month), 0 when None."""
    final_kind = case((src.c.res.is_not(None), src.c.res),
                      else_=open_kind(src.c.due_asof, src.c.pause_start, src.c.sup, now)).label("fk")
    # Count per procedure first (small integer keys, a hash aggregate), then name the field:
    # joining ~100k rows to procedures before grouping cost more than the buckets themselves.
    # Only the keys asked for are grouped on (Form 06 itself groups on procedure and kinds only).
    keys = ([lead.label("ag")] if lead is not None else []) + [src.c.procedure_id, src.c.rk, final_kind]
    keys += [src.c.ap, src.c.uh] if extras else []
    g = select(*keys, func.count().label("n")).group_by(*keys).subquery()
    zero = literal(0)
    return select(g.c.ag if lead is not None else zero.label("ag"), Procedure.field, g.c.rk, g.c.fk,
                  g.c.ap if extras else zero.label("ap"), g.c.uh if extras else zero.label("uh"),
                  g.c.n).join(Procedure, Procedure.id == g.c.procedure_id)


def open_kind(due_asof: Any, pause_start: Any, sup: Any, now: Any) -> ColumnElement[Any]:
    """An open dossier's Form 06 kind at ``now`` (a moment or a column): ``O`` overdue by THE timing
    rule on the inputs in force then, else ``W`` (within, paused in time, or open without a clock)."""
    timing = open_timing_case(due_at=due_asof, pause_start=pause_start, supplement_count=sup, now=now)
    return case((timing == Timing.OVERDUE.value, literal("O")), else_=literal("W"))


def bare_aggregate_query(session: Session, agency: Agency, start: date, end: date) -> Any:
    """The baseline of the speed goal: the same dossier set (same parts, same indexes) counted per
    field with no buckets — what any Form 06 must at least read."""
    tz = _tz(agency)
    start_m, end_m = period_bounds(start, end, tz)
    u = dossier_parts(session, scope_of(agency, "desk"), start_m, end_m,
                       (Dossier.procedure_id.label("procedure_id"),))
    return (
        select(Procedure.field, func.count())
        .select_from(u)
        .join(Procedure, Procedure.id == u.c.procedure_id)
        .group_by(Procedure.field)
    )


RECEIVED_KIND = {"o": "received_online", "d": "received_direct_postal", "c": "carried_over"}
FINAL_KIND = {"E": ("resolved_total", "resolved_early"), "T": ("resolved_total", "resolved_on_time"),
              "L": ("resolved_total", "resolved_late"), "W": ("in_progress_total", "in_progress_within"),
              "O": ("in_progress_total", "in_progress_overdue")}


@dataclass
class BucketCounts:
    """The Form 06 buckets of one group plus what the scores add: late dossiers with an apology and
    dossiers with a dissatisfied rating or complaint (counted once per dossier)."""

    row: Form06Row
    late_apologised: int = 0
    unhappy: int = 0


def form06_counts(session: Session, agency: Agency | None, start_m: datetime, as_of: datetime, *,
                  tz: str, by: By = "desk", group_by_agency: bool = False,
                  extras: bool = False, rollup: bool | None = None) -> dict[tuple[int, str], BucketCounts]:
    """THE Form 06 builder: (agency id — 0 unless ``group_by_agency`` — , field) → buckets, for the
    dossiers counted for ``agency``'s subtree (all agencies if None) between ``start_m`` and the
    moment ``as_of``. Empty when ``as_of`` is not after ``start_m`` (nothing has happened yet).

    With the roll-up (``rollup``, default the REPORTS_ROLLUP setting; not for ``extras``) the closed
    days of the period are read from ``report_rollup_days`` and only the rest is computed live
    (:func:`_form06_with_rollup`); both ways give the same counts (tests/services/test_rollup.py)."""
    out: dict[tuple[int, str], BucketCounts] = {}
    if as_of <= start_m:
        return out
    no_jit(session)
    if (_rollup.ENABLED if rollup is None else rollup) and not extras:
        rolled = _form06_with_rollup(session, agency, start_m, as_of, tz=tz, by=by,
                                     group_by_agency=group_by_agency)
        if rolled is not None:
            return rolled
    q = form06_buckets_query(session, agency, start_m, as_of, tz=tz, by=by, group_by_agency=group_by_agency,
                             extras=extras)
    grouped: Iterable[Any] = session.execute(q)
    for ag, fld, rk, fk, ap, uh, n in grouped:
        add_bucket(out, ag, fld, rk, fk, ap, uh, n)
    return out


def add_bucket(out: dict[tuple[int, str], BucketCounts], ag: Any, fld: Any, rk: str, fk: str, ap: Any,
               uh: Any, n: Any) -> None:
    """Fold one grouped row of the Form 06 statement (agency, field, received kind, final kind,
    apologised, unhappy, count) into the buckets of its (agency, field)."""
    key = (int(ag or 0), str(fld))
    acc = out.get(key)
    if acc is None:
        acc = out[key] = BucketCounts(Form06Row(field=str(fld)))
    n = int(n)
    row = acc.row
    row.received_total += n
    setattr(row, RECEIVED_KIND[rk], getattr(row, RECEIVED_KIND[rk]) + n)
    for col in FINAL_KIND[fk]:
        setattr(row, col, getattr(row, col) + n)
    if int(ap) and fk in ("L", "O"):
        acc.late_apologised += n
    if int(uh):
        acc.unhappy += n


def _form06_with_rollup(session: Session, agency: Agency | None, start_m: datetime, as_of: datetime, *,
                        tz: str, by: By, group_by_agency: bool) -> dict[tuple[int, str], BucketCounts] | None:
    """Form 06 from the roll-up of the period's closed days plus a live remainder; None when the
    roll-up cannot serve (none yet, another zone, a start that is not a local midnight, nothing closed).

    * received online / direct or postal and resolved early / on time / late: the rolled days
      [start, split) plus the live Form 06 of [split, as_of) — both are counts of facts fixed per day;
    * in progress within / overdue at ``as_of``: the stored open rows when ``as_of`` is a month start
      the job has taken (``rollup.open_groups``), else from the live Form 06 of [split, as_of), which
      measures the same moment;
    * carried over: exactly resolved + in progress − received in the period (docs/rules.md F1)."""
    state = _rollup.state_of(session)
    if state is None or state.tz != tz:
        return None
    zone = ZoneInfo(tz)
    start_local = start_m.astimezone(zone)
    if (start_local.hour, start_local.minute, start_local.second, start_local.microsecond) != (0, 0, 0, 0):
        return None
    start_day = start_local.date()
    split_day = min(state.closed_before, as_of.astimezone(zone).date())
    if split_day <= start_day:
        return None
    split_m = _rollup.midnight(split_day, tz)
    ids = None if agency is None else subtree_ids_query(agency)
    got = _rollup.rolled_groups(session, ids, by, start_day, split_day - timedelta(days=1),
                                group_by_agency=group_by_agency)
    if got is None:
        return None
    acc: dict[tuple[int, str], dict[str, int]] = {}

    def bump(key: tuple[int, str], col: str, n: int) -> None:
        acc.setdefault(key, {}).setdefault(col, 0)
        acc[key][col] += n

    # A period ending at a stored moment (a month start the job has taken): its open dossiers then
    # are stored rows; else the rest of the period is computed live, open dossiers included.
    opened = (_rollup.open_groups(session, ids, by, split_day, group_by_agency=group_by_agency)
              if split_m == as_of else None)
    procs = {r[1] for r in got[0] if r[2] is None} | {r[1] for r in opened or []}
    fields = dict(session.execute(select(Procedure.id, Procedure.field).where(
        Procedure.id.in_(sorted(procs) or [0]))).all())
    for ag, proc, fld, kind, channel, bucket, n in got[0]:
        key = (ag, fld if fld is not None else str(fields[proc]))
        if kind == "r":
            bump(key, "o" if channel == Channel.ONLINE.value else "d", n)
        else:
            bump(key, bucket, n)
    if opened is not None:
        for ag, proc, bucket, n in opened:
            bump((ag, str(fields[proc])), bucket, n)
    else:
        live: Iterable[Any] = session.execute(form06_buckets_query(
            session, agency, split_m, as_of, tz=tz, by=by, group_by_agency=group_by_agency))
        for ag, fld, rk, fk, _ap, _uh, n in live:
            key = (int(ag or 0), str(fld))
            if rk != "c":
                bump(key, str(rk), int(n))
            bump(key, str(fk), int(n))
    return _rows_of(acc)


def _rows_of(acc: dict[tuple[int, str], dict[str, int]]) -> dict[tuple[int, str], BucketCounts]:
    """Form 06 rows from counts by kind (o, d, E, T, L, W, O) per (agency, field); carried over by the
    identity F1 (docs/rules.md)."""
    out: dict[tuple[int, str], BucketCounts] = {}
    for key, c in acc.items():
        row = Form06Row(field=key[1])
        row.received_online, row.received_direct_postal = c.get("o", 0), c.get("d", 0)
        row.resolved_early, row.resolved_on_time = c.get("E", 0), c.get("T", 0)
        row.resolved_late = c.get("L", 0)
        row.in_progress_within, row.in_progress_overdue = c.get("W", 0), c.get("O", 0)
        row.resolved_total = row.resolved_early + row.resolved_on_time + row.resolved_late
        row.in_progress_total = row.in_progress_within + row.in_progress_overdue
        row.carried_over = (row.resolved_total + row.in_progress_total - row.received_online
                            - row.received_direct_postal)
        row.received_total = row.received_online + row.received_direct_postal + row.carried_over
        out[key] = BucketCounts(row)
    return out


def measured_at(agency: Agency, start: date, end: date, now: datetime) -> tuple[datetime, datetime]:
    """(start moment, as-of moment) of a period: as of the earlier of ``now`` and the period's end."""
    start_m, end_m = period_bounds(start, end, _tz(agency))
    return start_m, min(now, end_m)


def form06(session: Session, agency: Agency, start: date, end: date, *, now: datetime,
           by: By = "desk") -> Form06:
    """Form 06/VPCP/KSTT for ``agency``'s subtree — by receiving desk or by resolving agency — and the
    local-date period [start, end], as of the earlier of ``now`` and the period's end. Rows by field
    (lĩnh vực), sorted by name, plus totals."""
    by = check_by(by)
    start_m, as_of = measured_at(agency, start, end, now)
    counts = form06_counts(session, agency, start_m, as_of, tz=_tz(agency).key, by=by)
    rows = sorted((c.row for c in counts.values()), key=lambda r: r.field)
    totals = Form06Row(field="")
    for r in rows:
        totals.add(r)
    return Form06(agency=agency, start=start, end=end, rows=rows, totals=totals, as_of=max(as_of, start_m),
                  by=by)


def parse_period(kind: str, value: str = "", start: str = "", end: str = "") -> tuple[date, date]:
    """Period selectors: month ``YYYY-MM``, quarter ``YYYY-Qn``, year ``YYYY``, custom from/to ISO.
    Only years the working calendar covers can be reported on: from CALENDAR_FIRST_YEAR (its end
    moves with today, and a period not yet over is measured as of now)."""
    first, last = _parse_period(kind, value, start, end)

    if first.year < calendars.FIRST_YEAR or last.year > calendars.MAX_YEAR:
        raise ValidationFailed({"period": N_("Kỳ báo cáo phải từ năm %(year)s (lịch làm việc của hệ thống).",
                                             year=calendars.FIRST_YEAR)})
    return first, last


def _parse_period(kind: str, value: str = "", start: str = "", end: str = "") -> tuple[date, date]:
    try:
        if kind == "month":
            y, m = (int(x) for x in value.split("-"))
            first = date(y, m, 1)
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
        if kind == "quarter":
            y_s, q_s = value.upper().split("-Q")
            y, q = int(y_s), int(q_s)
            if not 1 <= q <= 4:
                raise ValueError
            first = date(y, 3 * q - 2, 1)
            nxt = date(y + (q == 4), (3 * q) % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
        if kind == "year":
            y = int(value)
            return date(y, 1, 1), date(y, 12, 31)
        if kind == "custom":
            a, b = date.fromisoformat(start), date.fromisoformat(end)
            if b < a:
                raise ValidationFailed({"to": N_("Ngày kết thúc phải sau ngày bắt đầu.")})
            if (b - a).days > 3700:
                raise ValidationFailed({"to": N_("Kỳ báo cáo tối đa 10 năm.")})
            return a, b
    except ValidationFailed:
        raise
    except (ValueError, TypeError):
        pass
    raise ValidationFailed({"period": N_("Kỳ báo cáo không hợp lệ (tháng YYYY-MM, quý YYYY-Qn, năm YYYY "
                                         "hoặc từ ngày – đến ngày).")})


def close_period(session: Session, agency: Agency, start: date, end: date, *, actor: User | None,
                 now: datetime, note: str = "") -> ReportSnapshot:
    """Close a period: store its Form 06 as it is now (ReportSnapshot). A period can be closed once,
    and only after it has ended (local date), so the snapshot never misses dossiers of its last day."""
    if now.astimezone(_tz(agency)).date() <= end:
        raise ValidationFailed({"period": N_("Chỉ chốt được kỳ báo cáo đã kết thúc.")})
    existing = session.scalar(select(ReportSnapshot).where(
        ReportSnapshot.agency_id == agency.id, ReportSnapshot.report == "form06",
        ReportSnapshot.period_from == start, ReportSnapshot.period_to == end))
    if existing is not None:
        raise Conflict("Kỳ báo cáo này đã được chốt số liệu.")
    report = form06(session, agency, start, end, now=now)
    snap = ReportSnapshot(report="form06", agency_id=agency.id, period_from=start, period_to=end,
                          closed_at=now, closed_by_id=actor.id if actor else None,
                          data=report.as_json(), note=note[:2000])
    session.add(snap)
    session.flush()
    return snap


def snapshot_for(session: Session, agency: Agency, start: date, end: date) -> ReportSnapshot | None:
    return session.scalar(select(ReportSnapshot).where(
        ReportSnapshot.agency_id == agency.id, ReportSnapshot.report == "form06",
        ReportSnapshot.period_from == start, ReportSnapshot.period_to == end))


# ---------------------------------------------------------------- open dossiers: dashboard, overdue list

def _in_scope(session: Session, agency: Agency) -> ColumnElement[bool]:
    """Dossiers the head answers for in the lists: received by the subtree or held by it now. The
    subtree is a list of ids, so that each side of the OR is an index range on the open dossiers
    (``ix_dossiers_open_receiving`` / ``ix_dossiers_open_current``, migration h20d1) instead of a filter
    over every open dossier (docs/benchmarks.md, "Staff pages over HTTP": the dashboard at 10M)."""
    ids = list(session.scalars(select(Agency.id).where(Agency.path.like(agency.path + "%"))))
    return or_(Dossier.receiving_agency_id.in_(ids), Dossier.current_agency_id.in_(ids))




def _open_with_clock() -> ColumnElement[bool]:
    return and_(Dossier.finished_at.is_(None), Dossier.due_at.is_not(None))


def _paused_in_time() -> ColumnElement[bool]:
    """Clock stopped by a pause that began no later than the deadline (timing.classify_open)."""
    return and_(
        Dossier.status.in_(_PAUSED_SQL),
        exists().where(PauseInterval.dossier_id == Dossier.id, PauseInterval.ended_at.is_(None),
                       PauseInterval.started_at <= Dossier.due_at),
    )


@dataclass
class DashboardCounts:
    within: int = 0
    due_soon: int = 0
    overdue: int = 0
    paused: int = 0

    @property
    def total(self) -> int:
        return self.within + self.due_soon + self.overdue + self.paused


def head_dashboard(session: Session, agency: Agency, *, now: datetime,
                   by: str | None = None) -> DashboardCounts:
    """Open dossiers by timing at ``now``: within time / due soon / overdue / paused (one GROUP BY over
    the open-dossier index), by THE timing rule in SQL (``timing_sql.open_timing_case``).

    ``by`` = ``desk`` or ``resolver`` counts the same dossiers as Form 06's "in progress" for that
    scope (within = within + due soon + paused); None (the lists' scope) counts those received by the
    subtree or held by it now."""
    no_jit(session)  # measured: 0.28 s of JIT compilation for 0.4 s of counting at 10M
    soon = due_soon_from(now, calendar_for(session, agency))
    kind = open_timing_case(due_at=Dossier.due_at, pause_start=open_pause_start(Dossier.id),
                            supplement_count=Dossier.supplement_count, now=now, soon=soon)
    scope = _in_scope(session, agency) if by is None else scope_condition(subtree_ids_query(agency),
                                                                         check_by(by))
    # The scan is bounded by the open dossiers (finished_at IS NULL), whatever the history.
    # Received before ``now`` (half-open, like Form 06's moment): the same dossiers as its "in progress".
    inner = select(kind.label("k")).where(_open_with_clock(), Dossier.received_at < now, scope).subquery()
    out = DashboardCounts()
    counted: Any = session.execute(select(inner.c.k, func.count()).group_by(inner.c.k))
    for k, n in counted:
        setattr(out, str(k), int(n))
    return out


@dataclass
class OverdueFilters:
    department_id: int | None = None  # an agency: dossiers held now by its subtree
    officer_id: int | None = None
    procedure_code: str = ""
    field: str = ""
    channel: str = ""
    min_days_late: int = 0  # working days past the due date


@dataclass
class OpenRow:
    id: int
    code: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    field: str
    channel: str
    agency_name: str
    officer_name: str
    due_at: datetime
    promised_due_at: datetime | None
    status: str
    left: TimeLeft | None = None  # the working time left (negative: late); said by onestop/web/sentences.py
    late_minutes: int = 0


@dataclass
class OpenPage:
    rows: list[OpenRow]
    next_after: str | None  # keyset cursor "<due ISO>|<id>"


def _cursor(row: OpenRow) -> str:
    return f"{row.due_at.isoformat()}|{row.id}"


def _parse_cursor(after: str | None) -> tuple[datetime, int] | None:
    if not after:
        return None
    try:
        ts, ident = after.rsplit("|", 1)
        moment = datetime.fromisoformat(ts)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(ident)
    except ValueError:
        raise ValidationFailed({"after": N_("Tham số phân trang không hợp lệ.")}) from None


def _working_days_back(session: Session, agency: Agency, now: datetime, n: int) -> datetime:
    """The local midnight after the day that lies ``n`` working days before today: a due time
    before it is at least ``n`` working days late."""
    cal = calendar_for(session, agency)
    today = now.astimezone(cal.tz).date()
    day = today
    for _ in range(n * 7 + 30):
        if cal.working_days_between(day, today) >= n:
            break
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), cal.tz)


def _open_list(session: Session, agency: Agency, *, now: datetime, where: Sequence[ColumnElement[bool]],
               after: str | None, limit: int) -> OpenPage:
    limit = max(1, min(int(limit), 500))
    officer = aliased(User)
    holder = aliased(Agency)
    q = (
        select(Dossier.id, Dossier.code, Dossier.applicant_name, Procedure.code, Procedure.name,
               Procedure.field, Dossier.channel, holder.name, officer.full_name, Dossier.due_at,
               Dossier.promised_due_at, Dossier.status)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .join(holder, holder.id == Dossier.current_agency_id)
        .outerjoin(officer, officer.id == Dossier.assignee_id)
        .where(_open_with_clock(), _in_scope(session, agency), *where)
        .with_hint(Dossier.__table__, "INDEXED BY ix_dossiers_open_due", "sqlite")
    )
    cur = _parse_cursor(after)
    if cur is not None:
        q = q.where(or_(Dossier.due_at > cur[0], and_(Dossier.due_at == cur[0], Dossier.id > cur[1])))
    q = q.order_by(Dossier.due_at, Dossier.id).limit(limit + 1)
    cal = calendar_for(session, agency)
    rows: list[OpenRow] = []
    found: Any = session.execute(q)
    for r in found:
        left = time_left(now, r[9], cal)
        rows.append(OpenRow(id=r[0], code=r[1], applicant_name=r[2], procedure_code=r[3], procedure_name=r[4],
                            field=r[5], channel=r[6], agency_name=r[7], officer_name=r[8] or "", due_at=r[9],
                            promised_due_at=r[10], status=r[11], left=left,
                            late_minutes=-left.minutes))
    more = len(rows) > limit
    rows = rows[:limit]
    return OpenPage(rows=rows, next_after=_cursor(rows[-1]) if more and rows else None)


def overdue_list(session: Session, agency: Agency, filters: OverdueFilters | None = None, *, now: datetime,
                 after: str | None = None, limit: int = 50) -> OpenPage:
    """Open dossiers that are overdue by THE timing rule (``timing_sql.is_overdue_open``: past the
    statutory due time with the clock running, or more than one supplement request), most late first,
    keyset-paginated on (due_at, id). The apology's promised date never hides lateness (Decree
    61/2018 art. 19(4))."""
    f = filters or OverdueFilters()
    where: list[ColumnElement[bool]] = [
        is_overdue_open(Dossier.due_at, open_pause_start(Dossier.id), Dossier.supplement_count, now)]
    if f.department_id:
        dept = session.get(Agency, f.department_id)
        if dept is None:
            raise NotFound("Không có cơ quan này.")
        where.append(Dossier.current_agency_id.in_(subtree_ids_query(dept)))
    if f.officer_id:
        where.append(Dossier.assignee_id == f.officer_id)
    if f.procedure_code:
        where.append(Procedure.code == f.procedure_code.strip())
    if f.field:
        where.append(Procedure.field == f.field)
    if f.channel:
        if f.channel == "direct_postal":
            where.append(Dossier.channel.in_(("direct", "postal")))
        else:
            where.append(Dossier.channel == f.channel)
    if f.min_days_late and f.min_days_late > 0:
        where.append(Dossier.due_at < _working_days_back(session, agency, now, f.min_days_late))
    return _open_list(session, agency, now=now, where=where, after=after, limit=limit)


def due_soon_list(session: Session, agency: Agency, *, now: datetime, after: str | None = None,
                  limit: int = 50) -> OpenPage:
    """Open dossiers due within one working day: the apology (form 04) is due now."""
    soon = due_soon_from(now, calendar_for(session, agency))
    where = [Dossier.due_at >= now, Dossier.due_at <= soon, ~_paused_in_time(),
             Dossier.supplement_count <= 1,  # already overdue (docs/rules.md, "Timing")
             Dossier.promised_due_at.is_(None)]
    return _open_list(session, agency, now=now, where=where, after=after, limit=limit)


# ---------------------------------------------------------------- delay attribution (liên thông)

@dataclass
class LateDossier:
    code: str
    blamed: list[tuple[str, int]]  # (agency name, working minutes over its share)


@dataclass
class DelayReport:
    agency: Agency
    start: date
    end: date
    as_of: datetime
    agencies: list[AgencyDelay]
    late_dossiers: list[LateDossier]
    blame_totals: list[tuple[str, int]] = field(default_factory=list)  # agency → late dossiers


def delay_attribution(session: Session, agency: Agency, start: date, end: date, *,
                      now: datetime) -> DelayReport:
    """Per agency along liên thông chains of dossiers the subtree received (or took part in), legs
    sent in the period: on time vs late and working time over its share; and, for every dossier
    finished late (or open overdue) as of the period's end, the agencies that overran their share.

    Legs are read in one joined query (bounded by the period); judging a leg needs the working
    calendar, so it is done in Python by the pure domain functions."""
    tz = _tz(agency)
    start_m, end_m = period_bounds(start, end, tz)
    as_of = min(end_m, now)
    cal = calendar_for(session, agency)
    ids = subtree_ids_query(agency)
    to_agency = aliased(Agency)
    # The dossier's pause open at the moment: it stops the clocks of the dossier and its open leg
    # when it began in time (THE open timing rule, docs/rules.md "Timing" T4, T10).
    pause_asof = (
        select(func.min(PauseInterval.started_at))
        .where(PauseInterval.dossier_id == Dossier.id, PauseInterval.started_at < as_of,
               or_(PauseInterval.ended_at.is_(None), PauseInterval.ended_at >= as_of))
        .correlate(Dossier)
        .scalar_subquery()
    )
    q = (
        select(Dossier.code, HandoffLeg.seq, HandoffLeg.to_agency_id, to_agency.name,
               HandoffLeg.acknowledged_at, HandoffLeg.finished_at, HandoffLeg.due_at,
               HandoffLeg.share_minutes, Dossier.due_at, Dossier.finished_at, Dossier.supplement_count,
               pause_asof)
        .join(Dossier, Dossier.id == HandoffLeg.dossier_id)
        .join(to_agency, to_agency.id == HandoffLeg.to_agency_id)
        .where(HandoffLeg.sent_at >= start_m, HandoffLeg.sent_at < end_m,
               or_(Dossier.receiving_agency_id.in_(ids), HandoffLeg.to_agency_id.in_(ids)))
        .order_by(Dossier.code, HandoffLeg.seq)
    )
    legs: list[LegFacts] = []
    by_dossier: dict[str, list[LegFacts]] = {}
    late_codes: set[str] = set()
    leg_rows: Any = session.execute(q)
    for r in leg_rows:
        leg = LegFacts(dossier_code=r[0], seq=r[1], agency_id=r[2], agency_name=r[3], acknowledged_at=r[4],
                       finished_at=r[5] if r[5] is not None and r[5] <= as_of else None,
                       due_at=r[6], share_minutes=r[7], paused_since=r[11])
        legs.append(leg)
        by_dossier.setdefault(r[0], []).append(leg)
        d_due, d_fin, sup, paused_since = r[8], r[9], r[10], r[11]
        if d_due is not None:
            finished = d_fin is not None and d_fin <= as_of
            stopped = paused_since is not None and paused_since <= d_due
            late_open = sup > 1 or (as_of > d_due and not stopped)
            if (finished and (d_fin > d_due or sup > 1)) or (not finished and late_open):
                late_codes.add(r[0])
    agencies = delay_per_agency(legs, as_of=as_of, calendar=cal)
    late: list[LateDossier] = []
    blame: dict[str, int] = {}
    for code in sorted(late_codes):
        blamed = late_because_of(by_dossier[code], as_of=as_of, calendar=cal)
        late.append(LateDossier(code=code, blamed=blamed))
        if blamed:
            blame[blamed[0][0]] = blame.get(blamed[0][0], 0) + 1
        else:
            blame["—"] = blame.get("—", 0) + 1
    return DelayReport(agency=agency, start=start, end=end, as_of=as_of, agencies=agencies,
                       late_dossiers=late, blame_totals=sorted(blame.items(), key=lambda kv: (-kv[1], kv[0])))


# ---------------------------------------------------------------- charts

def chart_series(session: Session, agency: Agency, *, now: datetime, months: int = 12) -> dict[str, Any]:
    """Three small series, each one GROUP BY: on-time rate of dossiers resolved per month over the
    last ``months`` months; resolved on time vs late per child agency over the same window; dossiers
    received per channel over the same window."""
    tz = _tz(agency)
    today = now.astimezone(tz).date()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start_m, end_m = period_bounds(first, today, tz)
    off = _offset_minutes(tz, now)
    ids = subtree_ids_query(agency)
    late = or_(Dossier.finished_at > Dossier.due_at, Dossier.supplement_count > 1)
    month = _month_key(session, Dossier.finished_at, tz.key, off)
    resolved = and_(Dossier.receiving_agency_id.in_(ids), Dossier.received_at.is_not(None),
                    Dossier.finished_at >= start_m, Dossier.finished_at < end_m)
    m_inner = select(month.label("m"), case((late, 1), else_=0).label("late")).where(resolved).subquery()
    per_month: dict[str, tuple[int, int]] = {}
    monthly: Any = session.execute(
        select(m_inner.c.m, func.count(), func.sum(m_inner.c.late)).group_by(m_inner.c.m))
    for m, n, n_late in monthly:
        per_month[str(m)] = (int(n), int(n_late or 0))
    labels: list[str] = []
    rates: list[float | None] = []
    cursor = first
    while cursor <= today:
        key = f"{cursor.year:04d}-{cursor.month:02d}"
        labels.append(f"{cursor.month:02d}/{cursor.year}")
        n, n_late = per_month.get(key, (0, 0))
        # Half-up on the exact fraction (docs/rules.md F6), not binary round(): 81.25 → 81.3.
        rates.append(float(percent_value(Decimal(n - n_late) / n)) if n else None)
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)

    children = list(session.scalars(
        select(Agency).where(Agency.parent_id == agency.id).order_by(Agency.name)))
    groups = children or [agency]
    # Bars per RESOLVING agency (resolver_id: the first hand-off's receiver, else the desk), over the
    # dossiers the subtree resolved — the agency itself first when it resolves (docs/guide-head.md).
    resolved_here = and_(scope_condition(ids, "resolver"), Dossier.received_at.is_not(None),
                         Dossier.finished_at >= start_m, Dossier.finished_at < end_m)
    a_inner = select(resolver_id().label("a"), case((late, 1), else_=0).label("late")) \
        .where(resolved_here).subquery()
    per_agency: Any = session.execute(
        select(a_inner.c.a, func.count(), func.sum(a_inner.c.late)).group_by(a_inner.c.a))
    by_agency = {int(a): (int(n), int(nl or 0)) for a, n, nl in per_agency}
    paths = dict(session.execute(
        select(Agency.id, Agency.path).where(Agency.id.in_(list(by_agency) or [0]))).all())
    bars = []
    if children and agency.id in by_agency:  # what the agency resolves itself, not via a child
        n, nl = by_agency.pop(agency.id)
        bars.append({"agency": agency.short_name or agency.name, "on_time": n - nl, "late": nl})
    for g in groups:
        on_time = late_n = 0
        for aid, (n, nl) in by_agency.items():
            if str(paths.get(aid, "")).startswith(g.path):
                on_time += n - nl
                late_n += nl
        if on_time or late_n or g is agency:
            bars.append({"agency": g.short_name or g.name, "on_time": on_time, "late": late_n})

    ch = {str(c): int(n) for c, n in session.execute(
        select(Dossier.channel, func.count()).where(
            Dossier.receiving_agency_id.in_(ids), Dossier.received_at >= start_m, Dossier.received_at < end_m)
        .group_by(Dossier.channel))}
    return {
        "agency": agency.identifier,
        "from": first.isoformat(), "to": today.isoformat(),
        "on_time_rate": {"labels": labels, "values": rates},
        "agencies": bars,
        "channels": {c.value: ch.get(c.value, 0) for c in Channel},
    }


def fields_in_use(session: Session) -> list[str]:
    return [f for (f,) in session.execute(select(Procedure.field).distinct().order_by(Procedure.field))]


def subtree_agencies(session: Session, agency: Agency) -> list[Agency]:
    return list(session.scalars(
        select(Agency).where(Agency.path.like(agency.path + "%")).order_by(Agency.path)))


__all__ = [
    "BY_CHOICES", "BucketCounts", "By", "DashboardCounts", "DelayReport", "FORM06_COLUMNS", "Form06",
    "OpenPage", "OpenRow", "OverdueFilters", "add_bucket", "bare_aggregate_query", "chart_series", "check_by",
    "close_period", "delay_attribution", "dossier_parts", "due_in_force_at", "due_soon_list", "finished_kind",
    "form06", "form06_buckets_query", "form06_counts", "grouped_buckets", "head_dashboard", "inputs_at",
    "measured_at", "moments_table", "no_jit", "overdue_list", "parse_period", "pause_open_at",
    "period_bounds", "received_kind", "resolver_id", "scope_condition", "scope_of", "snapshot_for",
    "subtree_agencies", "supplements_before", "unhappy_before",
]
