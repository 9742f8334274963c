"""Set-based flagging for the scheduler: overdue and due-soon dossiers, overdue hand-off legs,
overdue citizen feedback (PAKN) and lapsed supplement windows.

Every scan is set-based: ``UPDATE … SET <flag>_at = :now WHERE <condition> AND <flag>_at IS NULL`` (no
loop over dossiers; overdue takes two, one per way of becoming overdue, each on a partial index of the
rows still pending, so a scan costs what crossed a threshold since the last one, not the history),
followed by ONE ``INSERT … SELECT`` per kind of notification, which picks the
rows flagged by these very statements (``<flag>_at = :now``, indexed) and skips keys already notified
(``dedupe_key`` is UNIQUE). So a second run with the same ``now`` flags nothing and notifies no one;
a run after a crash between two runs cannot lose notifications either, because the flag and its
notifications are written in the same transaction (the job commits once).

Overdue is derived, never a status (docs/rules.md, "Timing" T1): the ``*_flagged_at`` columns only
remember that people were told. The UPDATEs go through SQLAlchemy Core on the table, so they neither bump the
dossier's optimistic-lock ``version`` (an officer editing the dossier at that moment is not
refused) nor touch ``updated_at``.

Which dossiers are overdue or due soon is THE timing rule written as SQL once
(services/dossiers/timing_sql.py; docs/rules.md, "Timing"): a paused dossier whose pause began after the
deadline is overdue, more than one supplement request is overdue, a pause begun in time stops the clock.

Due soon (docs/rules.md, "Timing" T4; Decree 61/2018 art. 19(4) as amended; Decree 118/2025): no later
than one working day before the deadline the agency must issue the apology and new date, so a dossier is due
soon when ``due_at <= due_soon_from(now, calendar)``. Calendars differ only for agencies with their
own office hours/time zone or local calendar exceptions (theirs or an ancestor's); the threshold is
computed once for the national calendar (plus nationwide exceptions) and once per such agency, and
the statement picks the right one with a ``CASE receiving_agency_id …`` (the dossier's deadline is
computed on its receiving agency's calendar, services.dossiers.actions.calendar_of).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, literal, literal_column, or_, select, text, update
from sqlalchemy.orm import Session

from ...domain.calendar import WorkingCalendar
from ...domain.errors import CalendarYearMissing
from ...domain.status import RUNNING
from ...domain.timing import Timing, due_soon_from
from ...models import Agency, CalendarExceptionRow, Dossier, Feedback, HandoffLeg, PauseInterval, User
from ..admin.calendars import DEFAULT_HOURS, DEFAULT_TZ, calendar_for
from ..notify.notifications import enqueue_messages, enqueue_notifications, key_expr, notify, queue_message
from ..sql import rows_affected
from .timing import open_pause_start
from .timing_sql import is_overdue_open, open_timing_case

D = Dossier.__table__
L = HandoffLeg.__table__
F = Feedback.__table__
P = PauseInterval.__table__
U = User.__table__
A = Agency.__table__

# The statutory clock runs only in these statuses: a paused dossier (awaiting a supplement or a
# financial obligation) is not late while the citizen is the one who must act (docs/rules.md, "Timing" T4).
RUNNING_STATUSES = tuple(sorted(s.value for s in RUNNING))


def _ts(value: datetime) -> ColumnElement[datetime]:
    return literal(value, D.c.due_at.type)


def _heads_of(agency_col: Any) -> ColumnElement[bool]:
    """Active heads of the agency — or, when it has none (a one-stop centre is chaired by the
    People's Committee above it), the active heads of its parent agency."""
    u2 = U.alias("u_head")
    own_head = select(u2.c.id).where(u2.c.agency_id == agency_col, u2.c.role == "head",
                                     u2.c.active.is_(True)).exists()
    parent = select(A.c.parent_id).where(A.c.id == agency_col).scalar_subquery()
    return and_(U.c.role == "head", U.c.active.is_(True),
                or_(U.c.agency_id == agency_col, and_(~own_head, U.c.agency_id == parent)))


def _recipient_join() -> ColumnElement[bool]:
    """The assignee, or — when nobody is assigned — the heads of the agency that holds the
    dossier now (see _heads_of)."""
    return or_(U.c.id == D.c.assignee_id, and_(D.c.assignee_id.is_(None), _heads_of(D.c.current_agency_id)))


# ---------------------------------------------------------------- due-soon thresholds


def _special_agencies(session: Session) -> list[Agency]:
    """Agencies whose calendar is not the national one: own hours/zone, or local exceptions on
    themselves or an ancestor."""
    roots = [r for r in session.scalars(
        select(CalendarExceptionRow.agency_id).where(CalendarExceptionRow.agency_id.is_not(None)).distinct())]
    cond: list[ColumnElement[bool]] = [Agency.office_hours != DEFAULT_HOURS, Agency.timezone != DEFAULT_TZ]
    cond += [Agency.path.like(f"%/{int(r)}/%") for r in roots if r is not None]
    return list(session.scalars(select(Agency).where(or_(*cond))))


def _thresholds(session: Session, now: datetime) -> tuple[datetime, dict[datetime, list[int]]]:
    """"Due soon from" on the national calendar, and per other threshold the agencies it holds for."""
    national = due_soon_from(now, calendar_for(session, None))
    groups: dict[datetime, list[int]] = defaultdict(list)
    for agency in _special_agencies(session):
        t = due_soon_from(now, calendar_for(session, agency))
        if t != national:
            groups[t].append(agency.id)
    return national, groups


def _threshold_case(national: datetime, groups: dict[datetime, list[int]]) -> ColumnElement[datetime]:
    if not groups:
        return _ts(national)
    whens = [(D.c.receiving_agency_id.in_(ids), _ts(t)) for t, ids in sorted(groups.items())]
    return case(*whens, else_=_ts(national))


def due_soon_threshold(session: Session, now: datetime) -> ColumnElement[datetime]:
    """The SQL expression for "due soon from" per dossier: one literal for the national calendar,
    a CASE for agencies with their own calendar."""
    return _threshold_case(*_thresholds(session, now))


# ---------------------------------------------------------------- dossiers and legs


@dataclass
class ScanResult:
    overdue: int = 0
    due_soon: int = 0
    legs_overdue: int = 0
    notified: int = 0
    emailed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _open_with_due() -> list[ColumnElement[bool]]:
    """Open dossiers that have a statutory due time (received; paused ones included: whether their
    clock is stopped is the timing rule's question, not the status's)."""
    return [D.c.finished_at.is_(None), D.c.due_at.is_not(None)]


def _open_timing(now: datetime, soon: ColumnElement[datetime] | None = None) -> ColumnElement[str]:
    """THE open-dossier timing rule as SQL (services/dossiers/timing_sql.py; docs/rules.md, "Timing" T4)."""
    return open_timing_case(due_at=D.c.due_at, pause_start=open_pause_start(D.c.id),
                            supplement_count=D.c.supplement_count, now=now, soon=soon)


def _pending_overdue() -> list[ColumnElement[bool]]:
    """Open and not yet flagged overdue: the predicate of the partial indexes
    ``ix_dossiers_overdue_pending`` / ``ix_handoff_legs_overdue_pending`` (models/dossier.py),
    written the same way so that both engines see the statement's WHERE imply the index's."""
    return [D.c.finished_at.is_(None), D.c.overdue_flagged_at.is_(None)]


def flag_overdue_dossiers(session: Session, now: datetime) -> int:
    """Flag open dossiers that count as overdue at ``now``: the due time passed while the clock
    ran (a pause begun after the deadline does not stop it), or more than one supplement request
    (docs/rules.md, "Timing" T4).

    Two UPDATEs, one per way of becoming overdue, each restricted by a condition the rule implies
    so that it reads a partial index of the dossiers still pending, never all open ones
    (docs/operations.md §14): ``due_at < now`` on ``ix_dossiers_overdue_pending`` and
    ``supplement_count > 1`` on ``ix_dossiers_resupplied_pending``. What a scan reads is what
    crossed since the last scan (however long ago, so a catch-up misses nothing), plus the
    dossiers whose clock a pause stopped before their due time and which are still paused. A due
    time moved by a re-plan (a calendar edit, the end of a pause) needs no bookkeeping: the dossier
    stays pending until it is flagged, whatever its due time becomes."""
    rule = is_overdue_open(D.c.due_at, open_pause_start(D.c.id), D.c.supplement_count, now)
    by_time = update(D).where(*_pending_overdue(), D.c.due_at < now, rule).values(overdue_flagged_at=now)
    resupplied = (update(D).where(*_pending_overdue(), D.c.supplement_count > literal_column("1"),
                                  D.c.due_at.is_not(None), rule)
                  .values(overdue_flagged_at=now))
    return rows_affected(session.execute(by_time)) + rows_affected(session.execute(resupplied))


def flag_due_soon_dossiers(session: Session, now: datetime,
                           soon: ColumnElement[datetime] | None = None) -> int:
    """Flag open dossiers that are due soon at ``now`` (one UPDATE; docs/rules.md, "Timing" T4).
    ``due_at BETWEEN now AND threshold`` is implied by the rule; it is repeated for the index, with
    the latest of the calendars' thresholds as a constant upper bound (a CASE bounds no index range),
    so the statement reads only the open dossiers due within about a working day."""
    if soon is None:
        national, groups = _thresholds(session, now)
        threshold = _threshold_case(national, groups)
        latest = max([national, *groups])
        bound = [D.c.due_at <= _ts(latest)]
    else:
        threshold, bound = soon, []
    stmt = (update(D).where(*_open_with_due(), D.c.due_at >= now, *bound, D.c.due_at <= threshold,
                            D.c.due_soon_flagged_at.is_(None),
                            _open_timing(now, threshold) == Timing.DUE_SOON.value)
            .values(due_soon_flagged_at=now))
    return rows_affected(session.execute(stmt))


def flag_overdue_legs(session: Session, now: datetime) -> int:
    """Flag open liên thông legs past their own share of the time (process control slip row; one
    UPDATE). THE open timing rule on the leg's own deadline (docs/rules.md "Timing" T4, T10; F4:
    each leg judged on its own share): a pause of the dossier open since before the leg's deadline
    stops the leg's clock; one begun after it does not hide the overrun. A second supplement request
    makes the dossier late, not the leg (it is not the leg's share)."""
    open_dossier = select(D.c.id).where(D.c.id == L.c.dossier_id, D.c.finished_at.is_(None)).exists()
    leg_overdue = is_overdue_open(L.c.due_at, open_pause_start(L.c.dossier_id), 0, now)
    # The legs still pending (ix_handoff_legs_overdue_pending), as for the dossiers.
    stmt = (update(L).where(L.c.finished_at.is_(None), L.c.overdue_flagged_at.is_(None), L.c.due_at < now,
                            L.c.acknowledged_at.is_not(None), open_dossier, leg_overdue)
            .values(overdue_flagged_at=now))
    return rows_affected(session.execute(stmt))


def _consented(dossier: Any, channel: str) -> list[Any]:
    """A citizen is messaged only with the consent recorded at reception, on the channel chosen
    there (docs/guide-clerk.md): an e-mail address or a phone number alone is not consent."""
    return [dossier.c.notify_consent.is_(True), dossier.c.notify_channel == channel]


def notify_flagged_dossiers(session: Session, now: datetime) -> tuple[int, int]:
    """In-app notifications for dossiers flagged at ``now`` (assignee, else the heads), and
    e-mails to citizens who gave an address (lateness). Returns (notified, emailed)."""
    code = D.c.code
    notified = enqueue_notifications(
        session, user_id=U.c.id, dossier_id=D.c.id, kind="overdue", params={"code": code},
        key=key_expr("overdue", D.c.id, U.c.id), from_=D.join(U, _recipient_join()),
        where=[D.c.finished_at.is_(None), D.c.overdue_flagged_at == now], now=now)
    notified += enqueue_notifications(
        session, user_id=U.c.id, dossier_id=D.c.id, kind="due_soon", params={"code": code},
        key=key_expr("due_soon", D.c.id, U.c.id), from_=D.join(U, _recipient_join()),
        where=[D.c.finished_at.is_(None), D.c.due_at >= now, D.c.due_soon_flagged_at == now], now=now)
    emailed = enqueue_messages(
        session, channel="email", recipient=D.c.applicant_email,
        subject=literal("Hồ sơ ", String) + code + literal(": chậm so với ngày hẹn trả kết quả", String),
        body=literal("Kính gửi ông/bà,\n\nHồ sơ ", String) + code + literal(
            " của ông/bà chưa được giải quyết xong đúng ngày hẹn. Cơ quan giải quyết thành thật xin lỗi "
            "và sẽ gửi văn bản xin lỗi, hẹn lại ngày trả kết quả. Ông/bà có thể tra cứu tiến độ bằng "
            "mã hồ sơ và mã tra cứu in trên giấy tiếp nhận.\n\nBộ phận Một cửa", String),
        dossier_id=D.c.id, key=key_expr("email", "overdue", D.c.id), from_=D,
        where=[D.c.finished_at.is_(None), D.c.due_at < now, D.c.overdue_flagged_at == now,
               D.c.applicant_email != "", *_consented(D, "email")], now=now)
    return notified, emailed


def notify_flagged_legs(session: Session, now: datetime) -> int:
    """The heads of the agency holding an overdue liên thông leg."""
    return enqueue_notifications(
        session, user_id=U.c.id, dossier_id=D.c.id, kind="leg_overdue", params={"code": D.c.code},
        key=key_expr("leg_overdue", L.c.id, U.c.id),
        from_=L.join(D, D.c.id == L.c.dossier_id).join(U, _heads_of(L.c.to_agency_id)),
        where=[L.c.overdue_flagged_at == now, L.c.finished_at.is_(None)], now=now)


def _without_jit(session: Session) -> None:
    """PostgreSQL compiles a statement to machine code (JIT) when its estimated cost is high, and the
    correlated pause look-up makes these estimates high even when a scan reads a handful of rows:
    the compilation then costs more than the scan (0.6 s against a few ms at 1M dossiers,
    docs/benchmarks.md "Overdue scan"). Off for this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def scan_dossiers(session: Session, now: datetime) -> ScanResult:
    """The 15-minute scan: flag, then notify (the caller commits once)."""
    _without_jit(session)
    r = ScanResult()
    r.overdue = flag_overdue_dossiers(session, now)
    r.due_soon = flag_due_soon_dossiers(session, now)
    r.legs_overdue = flag_overdue_legs(session, now)
    n, e = notify_flagged_dossiers(session, now)
    r.notified = n + notify_flagged_legs(session, now)
    r.emailed = e
    return r


# ---------------------------------------------------------------- the heads' morning digest


def digest_heads(session: Session, now: datetime) -> dict[str, Any]:
    """07:00 on working days: each head gets one message listing, per department (agency in the
    head's subtree) and officer, how many dossiers are overdue and due soon. One GROUP BY over the
    open dossiers due by the due-soon threshold; the per-head split runs over those few groups."""
    cal = calendar_for(session, None)
    day = now.astimezone(cal.tz).date()
    if not cal.is_working_day(day):
        return {"skipped": f"{day.isoformat()} không phải ngày làm việc"}
    soon = due_soon_threshold(session, now)
    from sqlalchemy import func

    # THE rule (docs/rules.md, "Timing" T4); only dossiers due by the threshold or asked for more
    # than one supplement can be overdue or due soon.
    kind = _open_timing(now, soon)
    inner = (select(D.c.current_agency_id.label("agency_id"), D.c.assignee_id.label("assignee_id"),
                    kind.label("k"))
             .where(*_open_with_due(), or_(D.c.due_at <= soon, D.c.supplement_count > 1))
             .subquery())
    overdue = func.sum(case((inner.c.k == Timing.OVERDUE.value, 1), else_=0))
    due_soon = func.sum(case((inner.c.k == Timing.DUE_SOON.value, 1), else_=0))
    groups = session.execute(
        select(inner.c.agency_id, inner.c.assignee_id, overdue, due_soon)
        .where(inner.c.k.in_([Timing.OVERDUE.value, Timing.DUE_SOON.value]))
        .group_by(inner.c.agency_id, inner.c.assignee_id)).all()
    agency_ids = {g[0] for g in groups}
    user_ids = {g[1] for g in groups if g[1] is not None}
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))} \
        if agency_ids else {}
    officers = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} \
        if user_ids else {}
    heads = session.scalars(select(User).where(User.role == "head", User.active.is_(True))
                            .order_by(User.id)).all()
    sent = emailed = 0
    for head in heads:
        mine = [g for g in groups if g[0] in agencies and agencies[g[0]].path.startswith(head.agency.path)]
        if not mine:
            continue
        total_over = sum(int(g[2] or 0) for g in mine)
        total_soon = sum(int(g[3] or 0) for g in mine)
        lines = [f"Tổng hợp ngày {day:%d/%m/%Y}: {total_over} hồ sơ quá hạn, {total_soon} hồ sơ sắp đến hạn."]
        # The in-app digest is data (said in the reader's language when read); the e-mail is
        # written in Vietnamese here: a head's language is not recorded.
        departments: list[dict[str, Any]] = []
        for agency_id in sorted({g[0] for g in mine}, key=lambda i: agencies[i].path):
            rows = [g for g in mine if g[0] == agency_id]
            people = [{"name": officers[g[1]].full_name if g[1] in officers else None,
                       "overdue": int(g[2] or 0), "due_soon": int(g[3] or 0)}
                      for g in sorted(rows, key=lambda g: (g[1] is None, g[1] or 0))]
            over, soon_ = sum(int(g[2] or 0) for g in rows), sum(int(g[3] or 0) for g in rows)
            departments.append({"name": agencies[agency_id].name, "overdue": over, "due_soon": soon_,
                                "people": people})
            lines.append(f"{agencies[agency_id].name}: quá hạn {over}, sắp đến hạn {soon_}")
            lines += [f"  - {p['name'] or 'Chưa phân công'}: quá hạn {p['overdue']}, "
                      f"sắp đến hạn {p['due_soon']}" for p in people]
        text = "\n".join(lines)
        params = {"day": day.isoformat(), "overdue": total_over, "due_soon": total_soon,
                  "departments": departments}
        if notify(session, user_id=head.id, kind="digest", params=params,
                  dedupe_key=f"digest:{day.isoformat()}:{head.id}", now=now):
            sent += 1
        if head.email and queue_message(session, channel="email", recipient=head.email,
                                        subject=f"Tổng hợp hồ sơ quá hạn, sắp đến hạn {day:%d/%m/%Y}",
                                        body=text, dedupe_key=f"email:digest:{day.isoformat()}:{head.id}",
                                        now=now):
            emailed += 1
    return {"heads": sent, "emailed": emailed, "groups": len(groups)}


# ---------------------------------------------------------------- feedback (PAKN)


def scan_feedback(session: Session, now: datetime) -> dict[str, int]:
    """Flag open feedback past its answer deadline and tell the heads of its agency."""
    flagged = rows_affected(session.execute(
        update(F).where(F.c.status == "open", F.c.due_at < now, F.c.overdue_flagged_at.is_(None))
        .values(overdue_flagged_at=now)))
    notified = enqueue_notifications(
        session, user_id=U.c.id, dossier_id=F.c.dossier_id, kind="feedback_overdue",
        params={"code": F.c.code},
        key=key_expr("feedback_overdue", F.c.id, U.c.id), from_=F.join(U, _heads_of(F.c.agency_id)),
        where=[F.c.status == "open", F.c.overdue_flagged_at == now], now=now)
    return {"flagged": flagged, "notified": notified}


# ---------------------------------------------------------------- supplement windows


def working_day_before(now: datetime, calendar: WorkingCalendar) -> datetime:
    """The same local time on the previous working day: "a full working day ago"."""
    local = now.astimezone(calendar.tz)
    day = local.date()
    for _ in range(60):
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            break
    return datetime.combine(day, local.timetz().replace(tzinfo=None), calendar.tz)


def scan_supplements(session: Session, now: datetime) -> dict[str, int]:
    """Supplement window lapsed (``respond_by < now``, the citizen has not brought the papers):
    first remind the citizen (e-mail and SMS when given), then — a working day after the reminder,
    if still nothing — flag the dossier to the desk that received it (its clerks)."""
    lapsed = [P.c.kind == "supplement", P.c.ended_at.is_(None), P.c.respond_by.is_not(None)]
    reminded = rows_affected(session.execute(
        update(P).where(*lapsed, P.c.respond_by < now, P.c.reminded_at.is_(None)).values(reminded_at=now)
    ))
    body = (literal("Kính gửi ông/bà,\n\nHồ sơ ", String) + D.c.code + literal(
        " đang chờ ông/bà bổ sung giấy tờ theo Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ; thời hạn bổ sung "
        "đã hết. Đề nghị ông/bà liên hệ Bộ phận Một cửa để bổ sung.\n\nBộ phận Một cửa", String))
    src = P.join(D, D.c.id == P.c.dossier_id)
    mine = [P.c.reminded_at == now, P.c.ended_at.is_(None)]
    messages = enqueue_messages(
        session, channel="email", recipient=D.c.applicant_email,
        subject=literal("Hồ sơ ", String) + D.c.code + literal(": nhắc bổ sung giấy tờ", String),
        body=body, dossier_id=D.c.id, key=key_expr("email", "supplement", P.c.id), from_=src,
        where=[*mine, D.c.applicant_email != "", *_consented(D, "email")], now=now)
    messages += enqueue_messages(
        session, channel="sms", recipient=D.c.applicant_phone, subject=literal("", String),
        body=literal("Ho so ", String) + D.c.code + literal(
            ": da het han bo sung giay to. Vui long lien he Bo phan Mot cua.", String),
        dossier_id=D.c.id, key=key_expr("sms", "supplement", P.c.id), from_=src,
        where=[*mine, D.c.applicant_phone != "", *_consented(D, "sms")], now=now)
    before = working_day_before(now, calendar_for(session, None))
    escalated = rows_affected(session.execute(
        update(P).where(*lapsed, P.c.reminded_at.is_not(None), P.c.reminded_at <= before,
                        P.c.escalated_at.is_(None)).values(escalated_at=now)
    ))
    clerks = and_(U.c.agency_id == D.c.receiving_agency_id, U.c.role == "clerk", U.c.active.is_(True))
    notified = enqueue_notifications(
        session, user_id=U.c.id, dossier_id=D.c.id, kind="supplement_lapsed", params={"code": D.c.code},
        key=key_expr("supplement_lapsed", P.c.id, U.c.id), from_=src.join(U, clerks),
        where=[P.c.escalated_at == now, P.c.ended_at.is_(None)], now=now)
    return {"reminded": reminded, "messages": messages, "escalated": escalated, "notified": notified}


# ---------------------------------------------------------------- next year's calendar


def check_next_year_calendar(session: Session, now: datetime,
                             calendar: WorkingCalendar | None = None) -> dict[str, Any]:
    """Each November: warn the admins if next year's calendar has no Tết Nguyên đán (Labour Code
    2019 art. 112: five days of lunar Tết; the exact days are announced each year). Deadlines
    computed across a missing Tết would be days too early."""
    cal = calendar if calendar is not None else calendar_for(session, None)
    local = now.astimezone(cal.tz)
    year = local.year + 1
    tet_days = 0
    missing = problem = ""
    try:
        from datetime import date

        day = date(year, 1, 1)
        while day.year == year:
            reason = cal.closed_reason(day)
            if reason is not None and "Tết Nguyên đán" in reason:
                tet_days += 1
            day += timedelta(days=1)
    except CalendarYearMissing:
        missing, problem = "year_missing", f"Lịch làm việc chưa có năm {year}."
    if not problem and tet_days == 0:
        missing, problem = "no_tet", f"Lịch làm việc năm {year} chưa có ngày nghỉ Tết Nguyên đán."
    if not problem:
        return {"year": year, "tet_days": tet_days, "warned": 0}
    admins = session.scalars(select(User).where(User.role == "admin", User.active.is_(True))).all()
    warned = sum(notify(session, user_id=a.id, kind="calendar", params={"problem": missing, "year": year},
                        dedupe_key=f"calendar:tet:{year}:{a.id}", now=now) for a in admins)
    return {"year": year, "tet_days": tet_days, "warned": warned, "problem": problem}


__all__ = [
    "RUNNING_STATUSES", "ScanResult", "check_next_year_calendar", "digest_heads", "due_soon_threshold",
    "flag_due_soon_dossiers",
    "flag_overdue_dossiers", "flag_overdue_legs", "notify_flagged_dossiers", "notify_flagged_legs",
    "scan_dossiers", "scan_feedback", "scan_supplements", "working_day_before",
]
