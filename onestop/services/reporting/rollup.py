"""The Form 06 roll-up: closed local days counted once, so a closed period's report reads a few rows
per day instead of every dossier of the period (docs/operations.md, "The report roll-up").

What is rolled up, per local day, receiving desk, resolving agency (docs/rules.md F4), procedure and
channel: the dossiers **received** that day, and the dossiers **finished** that day by their finish
bucket — early / on time / late by THE timing rule (T3, ``timing_sql.finished_timing_case``; refused
after reception, stopped and withdrawn dossiers are finishes like any other, F1). Both facts are fixed
once the day is over: ``received_at`` and ``finished_at`` are set once, and a finished dossier's due
time and supplement count no longer change.

"In progress at the moment" (within / overdue, F3) depends on which dossiers are open at a moment, so
it cannot be summed from days. For the moments closed periods end at — the start of a month — the job
stores the dossiers open then, one row each with its bucket as of that moment (``report_rollup_open``);
any other moment is computed live (the open-dossier indexes). Live, the dossiers open at a past moment
are those still open plus those finished since, which grows with the whole history; stored, a closed
year reads the rows of one moment. The carried-over column follows exactly from the identity F1:
carried over = resolved + in progress − received in the period.

The watermark (``report_rollup_state``): days before ``closed_before`` (a local date, never later
than the local today of the job's run) are rolled up. A late change to a closed day — an event, a
hand-off (which changes the resolving agency) or a dossier row inserted after the run — is found by
its id: every dossier touched by a row with an id above the watermark of the run before the last one
has its receipt day and finish day rolled again by the next run, and until then the report computes
exactly those days live (so the report never depends on when the job last ran). The same dossiers have
their open rows taken again at every stored moment, and until then the report sets their rows aside and
computes them live.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from ...domain.status import Channel
from ...domain.timing import Timing
from ...models import Dossier, DossierEvent, HandoffLeg, Procedure
from ...models.rollup import ReportRollupDay, ReportRollupOpen, ReportRollupState
from ..dossiers.timing_sql import DEFAULT_TZ, finished_timing_case, local_date
from ..sql import no_jit

ROLLUP_TZ = DEFAULT_TZ
CHUNK_DAYS = 31  # days rolled per statement on the first run (bounded memory and lock time)
ROW_COLUMNS = ["day", "kind", "receiving_agency_id", "resolver_agency_id", "procedure_id", "channel",
               "bucket", "n"]

# Whether form06_counts reads closed days from the roll-up; set by the application factory from the
# REPORTS_ROLLUP setting (services do not read the app's config).
ENABLED = True


def midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(tz))


def day_rows(tz: str, received_in: ColumnElement[bool], finished_in: ColumnElement[bool]) -> Any:
    """(day, kind, receiving, resolver, procedure, channel, bucket, n) for the dossiers received
    (``received_in``) and finished (``finished_in``) in the given moment ranges."""
    from .reports import resolver_id  # reports reads the roll-up through this module

    d = Dossier
    finished = finished_timing_case(finished_at=d.finished_at, due_at=d.due_at,
                                    supplement_count=d.supplement_count, tz=tz)
    bucket = case({Timing.LATE.value: literal("L"), Timing.EARLY.value: literal("E")}, value=finished,
                  else_=literal("T"))  # on time, or finished without a clock (cannot be late), F3
    rec = (select(local_date(d.received_at, tz).label("day"), literal("r").label("kind"),
                  d.receiving_agency_id.label("ra"), resolver_id().label("rs"), d.procedure_id.label("pr"),
                  d.channel.label("ch"), literal("").label("bk"))
           .where(d.received_at.is_not(None), received_in))
    fin = (select(local_date(d.finished_at, tz).label("day"), literal("f").label("kind"),
                  d.receiving_agency_id.label("ra"), resolver_id().label("rs"), d.procedure_id.label("pr"),
                  d.channel.label("ch"), bucket.label("bk"))
           .where(d.received_at.is_not(None), finished_in))
    u = union_all(rec, fin).subquery()
    keys = [u.c.day, u.c.kind, u.c.ra, u.c.rs, u.c.pr, u.c.ch, u.c.bk]
    return select(*keys, func.count().label("n")).group_by(*keys)


def _range(col: Any, first: date, last: date, tz: str) -> ColumnElement[bool]:
    return and_(col >= midnight(first, tz), col < midnight(last + timedelta(days=1), tz))


def _days_cond(col: Any, days: Iterable[date], tz: str) -> ColumnElement[bool]:
    conds = [_range(col, a, b, tz) for a, b in _runs(days)]
    return or_(*conds) if conds else literal(False)


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive runs of days: [(first, last), ...]."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def roll_days(session: Session, first: date, last: date, tz: str) -> None:
    """(Re)compute the roll-up rows of the local days [first, last]."""
    session.execute(delete(ReportRollupDay).where(ReportRollupDay.day >= first, ReportRollupDay.day <= last,
                                                  ReportRollupDay.kind.in_(("r", "f"))))
    q = day_rows(tz, _range(Dossier.received_at, first, last, tz),
                 _range(Dossier.finished_at, first, last, tz))
    session.execute(insert(ReportRollupDay).from_select(ROW_COLUMNS, q))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _months(first: date, last: date) -> set[date]:
    out: set[date] = set()
    day = _month_start(first)
    while day <= last:
        out.add(day)
        day = _month_end(day) + timedelta(days=1)
    return out


ONLINE, OTHER = Channel.ONLINE.value, "other"  # the month rows' channel classes (Form 06's two columns)


def roll_months(session: Session, months: Iterable[date], closed_before: date) -> None:
    """(Re)compute the month rows (kinds ``R``/``F``, ``day`` = the month's first day) of the given
    months from their day rows; only a month whose every day is closed gets month rows. They are keyed
    by what Form 06 shows — field (lĩnh vực) and channel class (online / other) — not by procedure and
    channel, so that their number stops growing with the dossiers: a province's year reads at most desks
    × resolvers × fields × 5 kinds × 12 rows however many dossiers it received. A procedure moved to
    another field changes the key: the job then re-rolls every month (:func:`fields_digest`)."""
    r = ReportRollupDay
    cls = case((and_(r.kind == "r", r.channel == ONLINE), literal(ONLINE)), (r.kind == "r", literal(OTHER)),
               else_=literal(""))
    kind = case((r.kind == "r", literal("R")), else_=literal("F"))
    keys = [r.kind, r.receiving_agency_id, r.resolver_agency_id, cls, r.bucket, Procedure.field]
    for month in sorted(set(months)):
        session.execute(delete(r).where(r.day == month, r.kind.in_(("R", "F"))))
        if _month_end(month) >= closed_before:
            continue
        q = (select(literal(month).label("day"), kind.label("kind"), r.receiving_agency_id,
                    r.resolver_agency_id, literal(0).label("pr"), cls.label("ch"), r.bucket, func.sum(r.n),
                    Procedure.field)
             .join(Procedure, Procedure.id == r.procedure_id)
             .where(r.day >= month, r.day <= _month_end(month), r.kind.in_(("r", "f")))
             .group_by(*keys))
        session.execute(insert(r).from_select([*ROW_COLUMNS, "field"], q))


def fields_digest(session: Session) -> str:
    """A digest of every procedure's field: the month rows are keyed by field, so they are good only
    while no procedure has moved to another field since they were rolled."""
    pairs = session.execute(select(Procedure.id, Procedure.field).order_by(Procedure.id)).all()
    return hashlib.sha256(repr([(int(i), str(f)) for i, f in pairs]).encode()).hexdigest()


def month_starts(first: date, last: date) -> list[date]:
    """The first days of months in [first, last]."""
    return sorted(m for m in _months(first, last) if m >= first)


def _open_at(session: Session, day: date, tz: str, only: Any | None) -> Any:
    """SELECT (day, dossier, desk, resolver, procedure, bucket W/O) of the dossiers open at the local
    midnight starting ``day`` — received before it, not finished before it — judged as Form 06 judges
    them at that moment (THE timing rule on the due time, pause and supplement requests in force then).
    ``only``: a SELECT of dossier ids to restrict to (the touched ones), read by their ids."""
    from . import reports  # reports reads the roll-up through this module

    moment = midnight(day, tz)
    d = Dossier
    open_at = or_(d.finished_at.is_(None), d.finished_at >= moment)
    cols = [d.id.label("id"), d.receiving_agency_id.label("ra"), reports.resolver_id().label("rs"),
            d.procedure_id.label("pr"),
            *reports.inputs_at(session, d.id, d.due_at, d.supplement_count, moment, open_at)]
    if only is None:
        # The two index-led parts of the Form 06 dossier set at a moment: still open, and finished since.
        src = reports.dossier_parts(session, literal(True), moment, moment, cols)
    else:
        src = select(*cols).where(d.id.in_(only), d.received_at < moment, open_at).subquery()
    return select(literal(day).label("day"), src.c.id, src.c.ra, src.c.rs, src.c.pr,
                  reports.open_kind(src.c.due_asof, src.c.pause_start, src.c.sup, moment).label("bk"))


OPEN_COLUMNS = ["day", "dossier_id", "receiving_agency_id", "resolver_agency_id", "procedure_id", "bucket"]


def take_open(session: Session, days: Iterable[date], tz: str, only: Any | None = None) -> None:
    """(Re)take the open rows at the given month starts — of every dossier, or of ``only`` those."""
    o = ReportRollupOpen
    no_jit(session)
    for day in sorted(set(days)):
        gone = delete(o).where(o.day == day)
        session.execute(gone.where(o.dossier_id.in_(only)) if only is not None else gone)
        session.execute(insert(o).from_select(OPEN_COLUMNS, _open_at(session, day, tz, only)))


def _max_ids(session: Session) -> tuple[int, int, int]:
    return (int(session.scalar(select(func.coalesce(func.max(DossierEvent.id), 0))) or 0),
            int(session.scalar(select(func.coalesce(func.max(HandoffLeg.id), 0))) or 0),
            int(session.scalar(select(func.coalesce(func.max(Dossier.id), 0))) or 0))


def touched_ids(state: ReportRollupState) -> Any:
    """SELECT of the ids of the dossiers touched by a row above the watermark of the run before the
    last one: an event, a hand-off leg or the dossier row itself."""
    touched = union(
        select(DossierEvent.dossier_id.label("i")).where(DossierEvent.id > state.prev_event_id),
        select(HandoffLeg.dossier_id.label("i")).where(HandoffLeg.id > state.prev_leg_id),
        select(Dossier.id.label("i")).where(Dossier.id > state.prev_dossier_id),
    ).subquery()
    return select(touched.c.i)


def touched_days(session: Session, state: ReportRollupState) -> set[date]:
    """Closed days whose roll-up may be stale: the receipt and finish days of the touched dossiers."""
    tz = state.tz
    rows = session.execute(
        select(local_date(Dossier.received_at, tz), local_date(Dossier.finished_at, tz))
        .where(Dossier.id.in_(touched_ids(state)))).all()
    days: set[date] = set()
    for r, f in rows:
        for v in (r, f):
            if v is None:
                continue
            day = v if isinstance(v, date) else date.fromisoformat(str(v))
            if day < state.closed_before:
                days.add(day)
    return days


def _first_receipt_day(session: Session, tz: str, where: ColumnElement[bool]) -> date | None:
    """The local day of the earliest receipt among the dossiers ``where`` selects."""
    d = Dossier
    first = session.scalar(select(func.min(d.received_at)).where(d.received_at.is_not(None), where))
    return first.astimezone(ZoneInfo(tz)).date() if first is not None else None


def _open_from(start: date) -> date:
    """The first month start whose open rows are taken: none can be open before the first receipt."""
    return start if start.day == 1 else _month_end(start) + timedelta(days=1)


def _retake_open(session: Session, state: ReportRollupState, today: date) -> None:
    """Before the watermark moves: the touched dossiers' open rows again at every stored month start,
    then the month starts closed since the last run (all of them if none were taken yet)."""
    tz = state.tz
    if state.open_from is None:
        state.open_from = _open_from(_first_receipt_day(session, tz, literal(True)) or today)
        take_open(session, month_starts(state.open_from, today), tz)
        return
    touched = touched_ids(state)
    # Only the month starts after the earliest receipt among them: a dossier is open at no moment
    # before its receipt (received_at is set once), so it has no row there to take again.
    first = _first_receipt_day(session, tz, Dossier.id.in_(touched))
    if first is not None:
        take_open(session, month_starts(max(state.open_from, first), state.closed_before), tz, only=touched)
    take_open(session, month_starts(state.closed_before + timedelta(days=1), today), tz)


def refresh_rollup(session: Session, now: datetime, tz: str = ROLLUP_TZ) -> dict[str, Any]:
    """The scheduler job: roll up the days closed since the last run (all of history on the first run,
    a month per statement) and re-roll the closed days touched since (see the module's docstring)."""
    ids = _max_ids(session)
    today = now.astimezone(ZoneInfo(tz)).date()
    state = session.get(ReportRollupState, 1)
    if state is not None and state.tz != tz:
        session.execute(delete(ReportRollupDay))
        session.execute(delete(ReportRollupOpen))
        session.delete(state)
        session.flush()
        state = None
    rolled = 0
    if state is None:
        start = _first_receipt_day(session, tz, literal(True)) or today
        session.execute(delete(ReportRollupDay))
        session.execute(delete(ReportRollupOpen))
        day = start
        while day < today:
            last = min(day + timedelta(days=CHUNK_DAYS - 1), today - timedelta(days=1))
            roll_days(session, day, last, tz)
            rolled += (last - day).days + 1
            day = last + timedelta(days=1)
        digest = fields_digest(session)
        roll_months(session, _months(start, today - timedelta(days=1)), today)
        take_open(session, month_starts(start, today), tz)
        if session.get_bind().dialect.name == "postgresql":
            # All of history was just inserted: the planner needs the tables' statistics before
            # the next report (autovacuum may not get to it for a long while on a busy server).
            session.execute(text("ANALYZE report_rollup_days"))
            session.execute(text("ANALYZE report_rollup_open"))
        state = ReportRollupState(id=1, tz=tz, closed_before=today, last_event_id=ids[0], last_leg_id=ids[1],
                                  last_dossier_id=ids[2], prev_event_id=ids[0], prev_leg_id=ids[1],
                                  prev_dossier_id=ids[2], updated_at=now, open_from=_open_from(start),
                                  fields_digest=digest)
        session.add(state)
        session.flush()
        return {"rolled_days": rolled, "rerolled_days": 0, "closed_before": today.isoformat()}
    stale = touched_days(session, state)
    _retake_open(session, state, today)
    months: set[date] = set()
    for a, b in _runs(stale):
        roll_days(session, a, b, tz)
        months |= _months(a, b)
    new_days = 0
    if state.closed_before < today:
        roll_days(session, state.closed_before, today - timedelta(days=1), tz)
        months |= _months(state.closed_before, today - timedelta(days=1))
        new_days = (today - state.closed_before).days
        state.closed_before = today
    digest = fields_digest(session)
    if state.fields_digest != digest:  # a procedure moved to another field: every month again
        r = ReportRollupDay
        rolled_from = session.scalar(select(func.min(r.day)).where(r.kind.in_(("r", "f"))))
        if rolled_from is not None:
            months |= _months(rolled_from, state.closed_before - timedelta(days=1))
        state.fields_digest = digest
    roll_months(session, months, state.closed_before)
    state.prev_event_id, state.prev_leg_id, state.prev_dossier_id = (
        state.last_event_id, state.last_leg_id, state.last_dossier_id)
    state.last_event_id, state.last_leg_id, state.last_dossier_id = ids
    state.updated_at = now
    session.flush()
    return {"rolled_days": new_days, "rerolled_days": len(stale),
            "closed_before": state.closed_before.isoformat()}


# (agency, procedure — 0 on month rows —, field — None on day rows —, kind, channel, bucket, n), stale days
Rolled = tuple[list[tuple[int, int, str | None, str, str, str, int]], set[date]]


def rolled_groups(session: Session, ids: Any, by: str, first: date, last: date, *,
                  group_by_agency: bool) -> Rolled | None:
    """The rolled-up rows of the local days [first, last] for the agencies ``ids`` (None: all) by desk or
    resolver — (agency, procedure, field, kind, channel, bucket, n): day rows by procedure and channel,
    month rows by field and channel class — with the stale days computed live from the same statement.
    None when there is no roll-up yet."""
    state = session.get(ReportRollupState, 1)
    if state is None:
        return None
    tz = state.tz
    last = min(last, state.closed_before - timedelta(days=1))
    if last < first:
        return [], set()
    stale = {d for d in touched_days(session, state) if first <= d <= last}
    # Whole closed months without a stale day are read from their month rows, the other days from
    # the day rows (the stale ones live, below) — all days when a procedure has moved to another field
    # since the month rows were rolled (they are keyed by field).
    months_good = state.fields_digest == fields_digest(session)
    whole = sorted(m for m in _months(first, last)
                   if months_good and m >= first and _month_end(m) <= last
                   and _month_end(m) < state.closed_before
                   and not any(m <= d <= _month_end(m) for d in stale))
    covered = {m + timedelta(days=k) for m in whole for k in range((_month_end(m) - m).days + 1)}
    skip = covered | stale
    loose = _runs(day for day in (first + timedelta(days=k) for k in range((last - first).days + 1))
                  if day not in skip)
    # One simple branch per grain and run of days, each a range of ix_report_rollup_days_day,
    # filtered on the scope in the branch itself: an OR of the grains made PostgreSQL re-read the
    # whole year's index entries once per agency of the subtree (docs/benchmarks.md, "Form 06
    # from the roll-up"), and SQLite does not push the filter into a UNION ALL.
    if ids is not None:
        ids = _id_list(session, ids)
    r = ReportRollupDay
    scope_col = r.resolver_agency_id if by == "resolver" else r.receiving_agency_id
    cols = (r.receiving_agency_id.label("ra"), r.resolver_agency_id.label("rs"), r.procedure_id.label("pr"),
            r.field.label("fl"), func.lower(r.kind).label("kind"), r.channel.label("ch"),
            r.bucket.label("bk"), r.n.label("n"))
    wheres: list[ColumnElement[bool]] = []
    if whole:
        wheres.append(and_(r.day.in_(whole), r.kind.in_(("R", "F"))))
    wheres += [and_(r.day >= a, r.day <= b, r.kind.in_(("r", "f"))) for a, b in loose]
    parts: list[Any] = []
    for where in wheres:
        branch = select(*cols).where(where)
        parts.append(branch.where(scope_col.in_(ids)) if ids is not None else branch)
    if stale:
        live = day_rows(tz, _days_cond(Dossier.received_at, stale, tz),
                        _days_cond(Dossier.finished_at, stale, tz)).subquery()
        branch = select(live.c.ra, live.c.rs, live.c.pr, null().label("fl"), live.c.kind, live.c.ch,
                        live.c.bk, live.c.n)
        live_scope = live.c.rs if by == "resolver" else live.c.ra
        parts.append(branch.where(live_scope.in_(ids)) if ids is not None else branch)
    if not parts:
        return [], stale
    u = union_all(*parts).subquery()
    ag = u.c.rs if by == "resolver" else u.c.ra
    q = select(ag.label("ag") if group_by_agency else literal(0).label("ag"), u.c.pr, u.c.fl, u.c.kind,
               u.c.ch, u.c.bk, func.sum(u.c.n))
    q = q.group_by(*([ag] if group_by_agency else []), u.c.pr, u.c.fl, u.c.kind, u.c.ch, u.c.bk)
    found: Any = session.execute(q)
    rows = [(int(a), int(p), None if f is None else str(f), str(k), str(c), str(b), int(n))
            for a, p, f, k, c, b, n in found]
    return rows, stale


def open_groups(session: Session, ids: Any, by: str, day: date, *,
                group_by_agency: bool) -> list[tuple[int, int, str, int]] | None:
    """(agency or 0, procedure, bucket W/O, n) of the dossiers of the agencies ``ids`` (None: all) — by
    desk or resolver — open at the local midnight starting ``day``: the stored rows of the dossiers not
    touched since the job's run before last, and the touched ones computed live. None when that moment
    is not stored (not a month start, or not taken yet)."""
    state = session.get(ReportRollupState, 1)
    if (state is None or state.open_from is None or day.day != 1
            or not state.open_from <= day <= state.closed_before):
        return None
    touched = touched_ids(state)
    o = ReportRollupOpen
    stored_scope = o.resolver_agency_id if by == "resolver" else o.receiving_agency_id
    stored = (select(stored_scope.label("ag"), o.procedure_id.label("pr"), o.bucket.label("bk"))
              .where(o.day == day, not_(o.dossier_id.in_(touched))))
    live = _open_at(session, day, state.tz, touched).subquery()
    live_scope = live.c.rs if by == "resolver" else live.c.ra
    fresh = select(live_scope.label("ag"), live.c.pr, live.c.bk)
    if ids is not None:
        id_list = _id_list(session, ids)
        stored, fresh = stored.where(stored_scope.in_(id_list)), fresh.where(live_scope.in_(id_list))
    u = union_all(stored, fresh).subquery()
    lead = [u.c.ag] if group_by_agency else []
    q = (select(u.c.ag if group_by_agency else literal(0), u.c.pr, u.c.bk, func.count())
         .group_by(*lead, u.c.pr, u.c.bk))
    found: Any = session.execute(q)
    return [(int(a), int(p), str(b), int(n)) for a, p, b, n in found]


def _id_list(session: Session, ids: Any) -> list[int]:
    """The subtree as a list of ids: the planners estimate an IN list well, while the prefix LIKE on
    the agency path is estimated at one row, which made PostgreSQL probe the roll-up once per agency of
    a province (docs/benchmarks.md, "Form 06 from the roll-up")."""
    query = getattr(ids, "element", ids)  # the SELECT of a scalar subquery
    return sorted(int(i) for i in session.scalars(query))


def state_of(session: Session) -> ReportRollupState | None:
    return session.get(ReportRollupState, 1)


__all__ = ["CHUNK_DAYS", "ENABLED", "ROLLUP_TZ", "day_rows", "midnight", "month_starts", "open_groups",
           "refresh_rollup", "roll_days", "rolled_groups", "state_of", "take_open", "touched_days",
           "touched_ids"]
