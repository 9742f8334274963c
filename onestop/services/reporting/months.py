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

from sqlalchemy import and_, case, literal, null, or_, select
from sqlalchemy.orm import Session

from ...models import Agency, Dossier
from .metrics import Counts, add_buckets, add_ratings_and_feedback
from .reports import (
    BucketCounts,
    By,
    add_bucket,
    dossier_parts,
    finished_kind,
    grouped_buckets,
    inputs_at,
    moments_table,
    no_jit,
    received_kind,
    scope_of,
    unhappy_before,
)

Months = list[tuple[datetime, datetime]]


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
    mo = moments_table(live)
    open_at = or_(u.c.finished_at.is_(None), u.c.finished_at >= mo.c.a)
    pairs = (
        select(
            mo.c.k.label("k"), mo.c.a.label("a"), u.c.procedure_id.label("procedure_id"),
            received_kind(u.c.received_at, u.c.channel, mo.c.s).label("rk"),
            case((u.c.finished_at < mo.c.a, u.c.fin), else_=null()).label("res"),
            *inputs_at(session, u.c.id, u.c.due_at, u.c.supplement_count, mo.c.a, open_at),
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
    q = grouped_buckets(pairs, now=pairs.c.a, lead=pairs.c.k, extras=extras)
    grouped: Iterable[Any] = session.execute(q)
    for k, fld, rk, fk, ap, uh, n in grouped:  # the lead column is the month
        add_bucket(out[int(k)], 0, fld, rk, fk, ap, uh, n)
    return out


def subtree_counts_by_month(session: Session, agency: Agency, months: Months, tz: str, *,
                            by: By = "desk") -> list[Counts]:
    """``metrics.subtree_counts`` of each month: the Form 06 buckets with apologies and unhappy dossiers
    in one statement, the months' ratings and feedback in one statement each."""
    buckets = form06_counts_by_month(session, agency, months, tz=tz, by=by, extras=True)
    live = [i for i, (start_m, as_of) in enumerate(months) if as_of > start_m]
    groups: list[defaultdict[tuple[int, str], Counts]] = [defaultdict(Counts) for _ in months]
    for i in live:
        add_buckets(groups[i], buckets[i])
    if live:
        add_ratings_and_feedback(session, [groups[i] for i in live], [months[i] for i in live], agency=agency,
                                 by_agency=False)
    out: list[Counts] = []
    for g in groups:
        total = Counts()
        for c in g.values():
            total.add(c)
        out.append(total)
    return out


__all__ = ["Months", "form06_counts_by_month", "subtree_counts_by_month"]
