"""The head's desk: each officer's open load, and assigning several dossiers at once.

A bulk assignment is one transaction of ordinary ``assign`` actions (each checked by the policy,
recorded in the timeline and notifying the officer, docs/guide-head.md); the first one that fails
raises and the caller rolls back, so either every selected dossier is assigned or none is.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ...domain.status import OPEN, PAUSED, PRE_RECEPTION, DossierAction
from ...domain.timing import due_soon_from
from ...models import Dossier, User
from ..admin.calendars import calendar_for
from ..errors import N_, ValidationFailed
from .actions import apply_action
from .inputs import AssignInput

_WORKING = tuple(s.value for s in OPEN if s not in PRE_RECEPTION)
_PAUSED = tuple(s.value for s in PAUSED)
MAX_BULK = 100


@dataclass(frozen=True)
class Load:
    open: int = 0
    due_soon: int = 0
    overdue: int = 0


def officer_loads(session: Session, user_ids: Iterable[int], *, now: datetime) -> dict[int, Load]:
    """Open dossiers assigned to each user, with how many are due within one working day and how
    many are overdue (clock running): one grouped query on ix_dossiers_assignee_status."""
    ids = sorted(set(user_ids))
    out = {u: Load() for u in ids}
    if not ids:
        return out
    soon = due_soon_from(now, calendar_for(session, None))
    running = Dossier.status.not_in(_PAUSED)
    rows = session.execute(
        select(Dossier.assignee_id, func.count(),
               func.sum(case((and_(running, Dossier.due_at >= now, Dossier.due_at <= soon), 1), else_=0)),
               func.sum(case((and_(running, Dossier.due_at < now), 1), else_=0)))
        .where(Dossier.assignee_id.in_(ids), Dossier.status.in_(_WORKING))
        .group_by(Dossier.assignee_id)
    ).all()
    for row in rows:
        uid, n, soon_n, late_n = (int(v or 0) for v in row)
        out[uid] = Load(open=n, due_soon=soon_n, overdue=late_n)
    return out


def bulk_assign(session: Session, dossiers: Iterable[Dossier], officer: User, *, actor: User, now: datetime,
                versions: Mapping[int, int] | None = None) -> int:
    """Assign every dossier to ``officer`` through the normal ``assign`` action (policy, timeline,
    notification). Raises the first failure (ValidationFailed, Forbidden, Conflict …) with the
    dossier's code attached as ``failed_code``; the caller rolls back the whole transaction."""
    batch = list(dossiers)
    if not batch:
        raise ValidationFailed({"dossiers": N_("Chọn ít nhất một hồ sơ để giao.")})
    if len(batch) > MAX_BULK:
        raise ValidationFailed({"dossiers": N_("Giao tối đa %(n)s hồ sơ một lần.", n=MAX_BULK)})
    for d in batch:
        try:
            apply_action(session, d, DossierAction.ASSIGN,
                         AssignInput(officer_id=officer.id), actor=actor, now=now,
                         expected_version=(versions or {}).get(d.id))
        except Exception as exc:
            exc.failed_code = d.code  # type: ignore[attr-defined]
            raise
    return len(batch)


__all__ = ["MAX_BULK", "Load", "bulk_assign", "officer_loads"]
