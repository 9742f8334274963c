"""Form 06 of every month of a trend in ONE statement.

The 766 index draws a monthly trend (January to the period's end): each month scored as a period of
its own, as of the earlier of now and the month's end, by the same rules as Form 06
(docs/rules.md, "Form 06 and the on-time rate"). Measured month by month that was one live Form 06
per month — twelve for a fourth quarter (docs/benchmarks.md, "766 index"). Here the dossiers of all
the months are read once (the Form 06 parts, ``reports.dossier_parts``, over the whole span) and
joined to the months they count in — received before the month's moment and not finished before its
start — so a dossier open across three month ends is counted in each, judged as of each moment: the
due time, the open pause, the supplement requests and the unhappy flag in force at THAT moment,
looked up only while the dossier is still open at it. The answer equals ``reports.form06_counts`` of
each month (tests/services/test_months.py, random histories, both engines).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from ...database.base import UTCDateTime
from ...domain.status import Channel
from ...domain.timing import Timing
from ...models import Agency, Dossier, Procedure
from ..dossiers.timing_sql import open_timing_case
from .metrics import Counts, add_buckets, add_ratings_and_feedback
from .reports import (
    BucketCounts,
    By,
    add_bucket,
    dossier_parts,
    due_in_force_at,
    finished_kind,
    no_jit,
    pause_open_at,
    scope_of,
    supplements_before,
    unhappy_before,
)

Months = list[tuple[datetime, datetime]]


def _months_table(live: list[tuple[int, datetime, datetime]]) -> Any:
    """The months as a derived table (k, s, a): a UNION ALL of literal rows, which both engines read
    (SQLite takes no column list on a VALUES alias)."""
    rows = [select(literal(k).label("k"), literal(s, UTCDateTime()).label("s"),
                   literal(a, UTCDateTime()).label("a")) for k, s, a in live]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("mo")


def form06_counts_by_month(session: Session, agency: Agency | None, months: Months, *, tz: str,
                           by: By = "desk", extras: bool = False
                           ) -> list[dict[tuple[int, str], BucketCounts]]:
    """``reports.form06_counts`` (grouped by field, not by agency) of each month ``(start, as-of)``,
    in one statement. ``months`` need not be contiguous; a month whose moment is not after its start
    is empty, as in ``form06_counts``."""
    out: list[dict[tuple[int, str], BucketCounts]] = [{} for _ in months]
    live = [(k, s, a) for k, (s, a) in enumerate(months) if a > s]
    if not live:
        return out
    no_jit(session)
    d = Dossier
    columns = [d.id.label("id"), d.procedure_id.label("procedure_id"), d.channel.label("channel"),
               d.received_at.label("received_at"), d.finished_at.label("finished_at"),
               d.due_at.label("due_at"),
               d.supplement_count.label("supplement_count"),
               case((d.finished_at.is_(None), null()), else_=finished_kind(tz)).label("fin"),
               case((d.promised_due_at.is_not(None), 1), else_=0).label("ap")]
    u = dossier_parts(session, scope_of(agency, by), min(s for _, s, _ in live), max(a for _, _, a in live),
                      columns, materialised="u")
    mo = _months_table(live)
    open_at = or_(u.c.finished_at.is_(None), u.c.finished_at >= mo.c.a)
    pairs = (
        select(
            mo.c.k.label("k"), mo.c.a.label("a"), u.c.procedure_id.label("procedure_id"),
            case((u.c.received_at < mo.c.s, literal("c")),
                 (u.c.channel == Channel.ONLINE.value, literal("o")), else_=literal("d")).label("rk"),
            case((u.c.finished_at < mo.c.a, u.c.fin), else_=null()).label("res"),
            # The moment's inputs, looked up only while the dossier is open at the moment.
            case((open_at, due_in_force_at(session, u.c.id, u.c.due_at, mo.c.a)),
                 else_=null()).label("due_asof"),
            case((open_at, pause_open_at(mo.c.a, u.c.id)), else_=null()).label("pause_start"),
            case((open_at, supplements_before(mo.c.a, u.c.id, u.c.supplement_count)),
                 else_=null()).label("sup"),
            u.c.ap.label("ap"),
            (case((unhappy_before(mo.c.a, u.c.id), 1), else_=0) if extras else literal(0)).label("uh"),
        )
        .select_from(u.join(mo, and_(u.c.received_at < mo.c.a,
                                     or_(u.c.finished_at.is_(None), u.c.finished_at >= mo.c.s))))
        # OFFSET 0 keeps the pairs a subquery of their own: pulled up into the grouping, each look-up
        # ran once per CASE branch that reads it (docs/benchmarks.md, "Form 06").
        .offset(0)
        .subquery("pairs")
    )
    open_timing = open_timing_case(due_at=pairs.c.due_asof, pause_start=pairs.c.pause_start,
                                   supplement_count=pairs.c.sup, now=pairs.c.a)
    final_kind = case(
        (pairs.c.res.is_not(None), pairs.c.res),
        (open_timing == Timing.OVERDUE.value, literal("O")),
        else_=literal("W"),
    ).label("fk")
    keys = [pairs.c.k, pairs.c.procedure_id, pairs.c.rk, final_kind]
    if extras:
        keys += [pairs.c.ap, pairs.c.uh]
    g = select(*keys, func.count().label("n")).group_by(*keys).subquery()
    zero = literal(0)
    q = select(g.c.k, Procedure.field, g.c.rk, g.c.fk, g.c.ap if extras else zero.label("ap"),
               g.c.uh if extras else zero.label("uh"), g.c.n
               ).join(Procedure, Procedure.id == g.c.procedure_id)
    grouped: Iterable[Any] = session.execute(q)
    for k, fld, rk, fk, ap, uh, n in grouped:
        add_bucket(out[int(k)], 0, fld, rk, fk, ap, uh, n)
    return out


def subtree_counts_by_month(session: Session, agency: Agency, months: Months, tz: str, *,
                            by: By = "desk") -> list[Counts]:
    """``metrics.subtree_counts`` of each month: the Form 06 buckets with apologies and unhappy dossiers
    in one statement, then the month's ratings and feedback (small tables, one look-up each)."""
    out: list[Counts] = []
    for (start_m, as_of), buckets in zip(months, form06_counts_by_month(session, agency, months, tz=tz, by=by,
                                                                        extras=True), strict=True):
        groups: defaultdict[tuple[int, str], Counts] = defaultdict(Counts)
        if as_of > start_m:
            add_buckets(groups, buckets)
            add_ratings_and_feedback(session, groups, start_m, as_of, agency=agency, by_agency=False)
        total = Counts()
        for c in groups.values():
            total.add(c)
        out.append(total)
    return out


__all__ = ["Months", "form06_counts_by_month", "subtree_counts_by_month"]
