"""A dossier's statutory clock: the due time from the limit recorded at reception, the clock base
and the closed pauses; starting it, and ending pauses with the due time moved by the paused working
time (docs/rules.md, "Timing" T7–T9, T14)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ...domain.calendar import WorkingCalendar
from ...domain.deadlines import DeadlineRule, DueDate, LimitUnit, Pause, compute_due
from ...domain.errors import DomainError
from ...models import Dossier, PauseInterval
from ..admin.calendars import calendar_for


def calendar_of(session: Session, dossier: Dossier) -> WorkingCalendar:
    return calendar_for(session, dossier.receiving_agency)


def closed_pauses(dossier: Dossier, since: datetime | None) -> list[Pause]:
    return [
        Pause(start=p.started_at, end=p.ended_at, reason=p.reason)
        for p in dossier.pauses
        if p.ended_at is not None and (since is None or p.started_at >= since)
    ]


def snapshot_rule(dossier: Dossier) -> DeadlineRule:
    """The deadline rule with the limit recorded at reception (``limit_value``/``limit_unit``), never
    the catalogue's current value (docs/rules.md, "Timing" T9)."""
    if dossier.limit_value is None or dossier.limit_unit is None:
        raise DomainError("Hồ sơ chưa được tiếp nhận nên chưa có hạn giải quyết.")
    rule = dossier.procedure.deadline_rule(dossier.channel)
    return DeadlineRule(limit=Decimal(dossier.limit_value), unit=LimitUnit(dossier.limit_unit),
                        cutoff=rule.cutoff, online_outside_hours_next_day=rule.online_outside_hours_next_day,
                        legal_basis=rule.legal_basis)


def compute_dossier_due(session: Session, dossier: Dossier, *, explain: bool = False) -> DueDate:
    """The statutory due time from the stored snapshot (limit at receipt), the
    clock base (receipt or restart) and the closed pauses since then."""
    if dossier.clock_base_at is None or dossier.limit_value is None or dossier.limit_unit is None:
        raise DomainError("Hồ sơ chưa được tiếp nhận nên chưa có hạn giải quyết.")
    return compute_due(dossier.clock_base_at, snapshot_rule(dossier), calendar_of(session, dossier),
                       pauses=closed_pauses(dossier, dossier.clock_base_at), channel=dossier.channel,
                       explain=explain)


def start_clock(session: Session, dossier: Dossier, base: datetime, *, restart: bool = False) -> DueDate:
    """Start the statutory clock at ``base``: at reception with the catalogue's rule, whose limit is
    then snapshotted; on a restart (regime "restart") with that snapshot, which is never overwritten
    (docs/rules.md, "Timing" T9)."""
    rule = snapshot_rule(dossier) if restart else dossier.procedure.deadline_rule(dossier.channel)
    due = compute_due(base, rule, calendar_of(session, dossier), channel=dossier.channel, explain=False)
    if not restart:
        dossier.limit_value = rule.limit
        dossier.limit_unit = rule.unit.value
    dossier.clock_base_at = base
    dossier.clock_start_at = due.clock_start
    dossier.due_at = due.due_at
    return due


def reload_pauses(session: Session, d: Dossier) -> None:
    """``Dossier.pauses`` is view-only: reload it after adding a pause so a later
    action in the same unit of work sees it."""
    session.flush()
    session.refresh(d, ["pauses"])


def end_pause(session: Session, d: Dossier, kind: str, now: datetime) -> dict[str, Any]:
    pause = next((p for p in d.pauses if p.kind == kind and p.ended_at is None), None)
    if pause is None:
        raise DomainError("Không có khoảng tạm dừng đang mở.")
    return close_pauses(session, d, [pause], now,
                        restart=kind == "supplement" and d.procedure.supplement_regime == "restart")


def close_pauses(session: Session, d: Dossier, pauses: list[PauseInterval], now: datetime, *,
                 restart: bool = False) -> dict[str, Any]:
    """End ``pauses`` at ``now`` and move the statutory due time by the paused working time (or,
    ``restart``, count the limit afresh from ``now``); the returned payload records the change
    with ``old_due_at`` and ``due_at`` (docs/architecture.md: a recomputation is itself an event).
    Used by the normal ends (supplement provided, payment confirmed) and by a stop or withdrawal
    that ends an open pause (docs/rules.md, "Timing" T7–T8)."""
    for pause in pauses:
        pause.ended_at = now
    session.flush()
    session.refresh(d, ["pauses"])
    old_due = d.due_at
    cal = calendar_of(session, d)
    # All of them are open until ``now``: their union runs from the earliest start.
    paused_minutes = cal.working_minutes_between(min(p.started_at for p in pauses), now) if pauses else 0
    promise = d.promised_due_at
    # No flush between the new due time and the moved promise: the row must never be seen with a
    # promise before its due time (CHECK promise_after_due).
    with session.no_autoflush:
        if restart:
            # Regime "restart": the time limit (the snapshot) counts afresh from the complete supplement.
            due = start_clock(session, d, now, restart=True)
        else:
            due = compute_dossier_due(session, d)
            d.due_at = due.due_at
        moved_promise = None
        if promise is not None and old_due is not None and d.due_at is not None and d.due_at > old_due:
            # The citizen's waiting time does not count against the agency (Decree 118/2025; Decision
            # 766): the apology's promised date (form 04) moves by the same working time as the due
            # time, so it stays after it; the statutory due time still decides on-time
            # (docs/rules.md, "Timing" T14).
            moved_promise = cal.add_working_minutes(promise, cal.working_minutes_between(old_due, d.due_at))
            if moved_promise <= d.due_at:  # both fell in one non-working gap: keep the wall-clock lead
                moved_promise = d.due_at + (promise - old_due)
            d.promised_due_at = moved_promise
    # The open liên thông leg loses the paused time too.
    for leg in d.legs:
        if leg.finished_at is None and leg.due_at is not None and paused_minutes > 0:
            leg.due_at = cal.add_working_minutes(leg.due_at, paused_minutes)
    change: dict[str, Any] = {
        "old_due_at": old_due, "due_at": d.due_at, "paused_working_minutes": paused_minutes,
        "regime": "restart" if restart else "pause",
    }
    if moved_promise is not None:
        change.update(old_promised_due_at=promise, promised_due_at=moved_promise)
    return change


def end_open_pauses(session: Session, d: Dossier, now: datetime) -> dict[str, Any]:
    """A stop or a withdrawal during a pause: the paused working time up to ``now`` is excluded
    exactly as if the pause had closed normally, and the finish is judged against the extended due
    time (docs/rules.md, "Timing" T8). Empty when no pause is open."""
    open_pauses = [p for p in d.pauses if p.ended_at is None]
    if not open_pauses or d.due_at is None:
        for p in open_pauses:
            p.ended_at = now
        return {}
    return close_pauses(session, d, open_pauses, now)
