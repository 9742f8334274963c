"""Read-side queries for the staff screens: the register (form 07), worklists,
department inbox, liên thông hand-offs and notifications.

Everything here is read-only and set-based: one SELECT per list with the
related rows eager-loaded (no N+1), keyset pagination on (time, id) so page N
costs the same as page 1 however long the history (docs/architecture.md §2 "set-based").
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, false, func, or_, select, union_all, update
from sqlalchemy.orm import Session, joinedload, selectinload

from ...domain.status import OPEN, PAUSED, PRE_RECEPTION, DossierStatus, Role
from ...domain.timing import TimeLeft, Timing
from ...models import Agency, Dossier, HandoffLeg, Notification, Procedure, User
from ..admin.agencies import subtree_ids_query
from .applicant import fold, normalize_phone
from .timing import open_pause_start, timing_for
from .timing_sql import is_paused_open

TIMING_LABELS_VI: dict[Timing, str] = {
    Timing.WITHIN: "Trong hạn",
    Timing.DUE_SOON: "Sắp đến hạn",
    Timing.OVERDUE: "Quá hạn",
    Timing.PAUSED: "Tạm dừng",
    Timing.EARLY: "Trước hạn",
    Timing.ON_TIME: "Đúng hạn",
    Timing.LATE: "Trễ hạn",
}


# ---------------------------------------------------------------- timing view

@dataclass(frozen=True)
class TimingView:
    timing: Timing | None
    left: TimeLeft | None  # the working time left; None while paused, finished or without a due time
    minutes_left: int | None
    needs_apology: bool = False

    @property
    def timing_label(self) -> str:
        return TIMING_LABELS_VI[self.timing] if self.timing is not None else ""


def timing_of(session: Session, d: Dossier, now: datetime) -> TimingView:
    """The timing badge and the working time left of one dossier, for the staff screens: THE rule
    (domain/timing.timing_view through services/timing.timing_for; docs/rules.md, "Timing")."""
    v = timing_for(session, d, now)
    # Staff lists show no wording while the clock is stopped (the badge says "Tạm dừng").
    return TimingView(v.timing, None if v.paused else v.left, v.minutes_left,
                      needs_apology=v.needs_apology)


# ---------------------------------------------------------------- keyset cursor

def encode_cursor(at: datetime, ident: int) -> str:
    raw = f"{at.isoformat()}|{ident}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> tuple[datetime, int] | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        at, ident = raw.rsplit("|", 1)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            return None
        return parsed, int(ident)
    except (ValueError, UnicodeDecodeError):
        return None


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- register (form 07)

@dataclass
class RegisterFilter:
    date_from: date | None = None
    date_to: date | None = None
    procedure_code: str = ""
    status: str = ""
    channel: str = ""
    name: str = ""
    code: str = ""


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


def visible_dossiers_clause(user: User) -> Any:
    """Dossiers a user may list: received by, or now held by, their agency subtree
    (policy.can_view, in SQL). Admins see all."""
    if user.role == Role.ADMIN:
        return None
    sub = subtree_ids_query(user.agency)
    return or_(Dossier.receiving_agency_id.in_(sub), Dossier.current_agency_id.in_(sub))


def register_conditions(user: User, f: RegisterFilter, tz: ZoneInfo) -> list[Any]:
    """The register's WHERE, shared by the page and its total."""
    conds: list[Any] = []
    scope = visible_dossiers_clause(user)
    if scope is not None:
        conds.append(scope)
    # The register runs on the time the desk took the dossier in (submitted_at
    # is set for every outcome, received_at only for "receive").
    if f.date_from is not None:
        conds.append(Dossier.submitted_at >= datetime.combine(f.date_from, time(0), tz))
    if f.date_to is not None:
        conds.append(Dossier.submitted_at < datetime.combine(f.date_to + timedelta(days=1), time(0), tz))
    if f.procedure_code:
        conds.append(Dossier.procedure_id.in_(select(Procedure.id).where(Procedure.code == f.procedure_code)))
    if f.status:
        conds.append(Dossier.status == f.status)
    if f.channel:
        conds.append(Dossier.channel == f.channel)
    if f.name.strip():
        # Accent-insensitive, NFC/NFD alike: both sides folded (applicant_search).
        conds.append(Dossier.applicant_search.like(f"%{_like_escape(fold(f.name))}%", escape="\\"))
    if f.code.strip():
        conds.append(Dossier.code.like(f"%{_like_escape(f.code.strip().upper())}%", escape="\\"))
    return conds


def register_query(user: User, f: RegisterFilter, tz: ZoneInfo) -> Select[Any]:
    return (select(Dossier).options(joinedload(Dossier.procedure), joinedload(Dossier.current_agency),
                                    joinedload(Dossier.receiving_agency), joinedload(Dossier.assignee),
                                    selectinload(Dossier.pauses))
            .where(*register_conditions(user, f, tz)))


def register_total(session: Session, user: User, f: RegisterFilter, *, tz: ZoneInfo,
                   cap: int | None = None) -> int:
    """How many dossiers the filter selects (the "Tổng" beside the pager): one COUNT. With ``cap``, it
    stops counting past ``cap`` and answers ``cap + 1`` ("more than cap"): an unfiltered register holds
    a desk's whole history, which a count would read entirely on every page (docs/benchmarks.md, "Staff
    pages over HTTP": 1.4–2.3 s for 2.5M dossiers at 10M)."""
    conditions = register_conditions(user, f, tz)
    if cap is None:
        return int(session.scalar(select(func.count(Dossier.id)).where(*conditions)) or 0)
    first = select(Dossier.id).where(*conditions).limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(first)) or 0)


def register_page(session: Session, user: User, f: RegisterFilter, *, tz: ZoneInfo,
                  cursor: str | None = None, limit: int = 50) -> Page:
    """One page of the register, newest first, keyset on (submitted_at, id)."""
    q = register_query(user, f, tz)
    after = decode_cursor(cursor)
    if after is not None:
        at, ident = after
        q = q.where(or_(Dossier.submitted_at < at, and_(Dossier.submitted_at == at, Dossier.id < ident)))
    q = q.order_by(Dossier.submitted_at.desc(), Dossier.id.desc()).limit(limit + 1)
    rows = list(session.scalars(q).unique())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].submitted_at, rows[-1].id)
    return Page(rows, nxt)


# ---------------------------------------------------------------- the menu's search box

_DIGITS_ONLY = re.compile(r"^[\d\s.+()\-]+$")
_CODE_LIKE = re.compile(r"^[0-9A-Za-z.]+-\d{0,6}(-\d{0,4})?$")


@dataclass(frozen=True)
class SearchQuery:
    """What the box understood: ``kind`` is "digits" (citizen ID or phone), "code" or "name"."""

    kind: str
    term: str


def parse_search(text: str) -> SearchQuery | None:
    """Digits (spaces, dots, +84 allowed) → citizen ID or phone, normalised as stored
    (services.dossiers.applicant.normalize_phone); a dossier code or its start → code; else an accent-free
    name."""
    text = (text or "").strip()[:120]
    if not text:
        return None
    if _DIGITS_ONLY.match(text) and sum(c.isdigit() for c in text) >= 3:
        return SearchQuery("digits", normalize_phone(text))
    if _CODE_LIKE.match(text):
        return SearchQuery("code", text.upper())
    folded = fold(text)
    return SearchQuery("name", folded) if folded else None



def _successor(value: str) -> str | None:
    """The smallest alphanumeric string above every string starting with ``value`` (its
    trailing punctuation dropped): "091234" → "091235", "nguyen" → "nguyeo", "h25-" → "h26";
    None when there is none ("999"). Only letters and digits are incremented, so the bound holds
    under the C collation and under locale collations that ignore punctuation and spaces."""
    chars = list(value.rstrip(" .-"))
    while chars:
        c = chars.pop()
        if c.isdigit() and c != "9":
            return "".join(chars) + chr(ord(c) + 1)
        if c.isascii() and c.isalpha() and c not in "zZ":
            return "".join(chars) + chr(ord(c) + 1)
        if c not in "9zZ":
            return None
    return None


def _prefix(column: Any, value: str) -> Any:
    """``column`` starts with ``value``: an index range (>= value, < its successor) that both
    engines answer from a b-tree whatever the collation, and an exact LIKE on the few rows in it."""
    conds = [column >= value, column.like(f"{_like_escape(value)}%", escape="\\")]
    upper = _successor(value)
    if upper is not None:
        conds.append(column < upper)
    return and_(*conds)


def search_condition(q: SearchQuery) -> Any:
    if q.kind == "digits":
        digits = re.sub(r"\D", "", q.term)
        conds = [Dossier.applicant_phone == digits, Dossier.applicant_id_number == digits]
        if len(digits) >= 6:  # a number being typed: its start, still one index range each
            conds += [_prefix(Dossier.applicant_phone, digits), _prefix(Dossier.applicant_id_number, digits)]
        return or_(*conds)
    if q.kind == "code":
        return _prefix(Dossier.code, q.term)
    # Names: the folded full name starts with the words typed ("nguyen van", "Nguyễn Văn An").
    return _prefix(Dossier.applicant_search, q.term)


def search_dossiers(session: Session, user: User, text: str, *, limit: int = 20) -> list[Dossier]:
    """The menu's search box: dossier code, applicant name (accents optional), citizen ID or
    phone, over what ``user`` may see (``visible_dossiers_clause``), newest first. Every branch is
    an equality or a prefix on an indexed normalised column (applicant_search, applicant_phone,
    applicant_id_number, code), so the cost follows the matches, not the history
    (docs/benchmarks.md, "Search box")."""
    q = parse_search(text)
    if q is None:
        return []
    newest = select(Dossier.id).where(search_condition(q))
    scope = visible_dossiers_clause(user)
    if scope is not None:
        newest = newest.where(scope)
    order = (Dossier.submitted_at.desc(), Dossier.id.desc())
    # The newest matches first (ids only: for a name, from the index alone), then their rows: joining
    # every match before keeping 20 cost 1.2 s for a common name at 10M (docs/benchmarks.md).
    newest = newest.order_by(*order).limit(limit)
    stmt = (select(Dossier)
            .options(joinedload(Dossier.procedure), joinedload(Dossier.current_agency),
                     joinedload(Dossier.receiving_agency))
            .where(Dossier.id.in_(newest.scalar_subquery())).order_by(*order))
    return list(session.scalars(stmt).unique())


# ---------------------------------------------------------------- waiting to return

WAITING_LONG_DAYS = 7  # "chờ lâu": a result uncollected for a week is worth a phone call


def _waiting_scope(user: User) -> Any:
    """Results ready at the desk that received the dossier (the desk returns them, Decree 61/2018
    art. 27), for the user's agency subtree; admins see every desk's."""
    cond = Dossier.status == DossierStatus.RESULT_READY.value
    if user.role != Role.ADMIN:
        cond = and_(cond, Dossier.receiving_agency_id.in_(subtree_ids_query(user.agency)))
    return cond


def waiting_to_return(session: Session, user: User, *, limit: int = 200) -> list[Dossier]:
    """The return queue: oldest result first (the citizen who has waited longest)."""
    q = (select(Dossier)
         .options(joinedload(Dossier.procedure), joinedload(Dossier.current_agency),
                  joinedload(Dossier.receiving_agency))
         .where(_waiting_scope(user)).order_by(Dossier.finished_at, Dossier.id).limit(limit))
    return list(session.scalars(q).unique())


def waiting_to_return_counts(session: Session, user: User, *, now: datetime) -> dict[str, int]:
    """``total`` waiting and ``long`` (ready more than WAITING_LONG_DAYS days ago), one query."""
    long_ago = now - timedelta(days=WAITING_LONG_DAYS)
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Dossier.finished_at < long_ago, 1), else_=0)), 0))
        .select_from(Dossier).where(_waiting_scope(user))
    ).one()
    return {"total": int(row[0] or 0), "long": int(row[1] or 0)}


# ---------------------------------------------------------------- worklists

_WORKING = tuple(s.value for s in OPEN if s not in PRE_RECEPTION)


def _clock_stopped() -> Any:
    """1 while THE timing rule says "paused" (a pause begun no later than the due time, at most one
    supplement request; docs/rules.md, "Timing" T4), else 0: such dossiers sort last, while one
    paused after its deadline sorts with the other late ones."""
    return case((and_(Dossier.status.in_([s.value for s in PAUSED]), Dossier.supplement_count <= 1,
                      is_paused_open(Dossier.due_at, open_pause_start(Dossier.id))), 1), else_=0)


def _by_time_left(q: Select[Any]) -> Select[Any]:
    """Working time left ascending = due_at ascending (the calendar is monotone),
    with paused dossiers (clock stopped) last and undated ones at the very end."""
    paused = _clock_stopped()
    no_due = case((Dossier.due_at.is_(None), 1), else_=0)
    return q.order_by(paused, no_due, Dossier.due_at, Dossier.id)


def worklist(session: Session, user: User, *, limit: int = 200) -> list[Dossier]:
    """An officer's (or head's) worklist: assigned to me, or unassigned at my agency."""
    # Two index probes (ix_dossiers_assignee_status, ix_dossiers_current_agency_status) instead
    # of an OR that both engines answer by scanning every open dossier (measured at 1M: 108 ms).
    mine = select(Dossier.id).where(Dossier.assignee_id == user.id, Dossier.status.in_(_WORKING))
    unassigned = select(Dossier.id).where(Dossier.current_agency_id == user.agency_id,
                                          Dossier.status.in_(_WORKING), Dossier.assignee_id.is_(None))
    q = (
        select(Dossier)
        .options(joinedload(Dossier.procedure), joinedload(Dossier.receiving_agency),
                 joinedload(Dossier.assignee), selectinload(Dossier.pauses))
        .where(Dossier.id.in_(union_all(mine, unassigned)))
    )
    return list(session.scalars(_by_time_left(q).limit(limit)).unique())


def inbox(session: Session, user: User, *, limit: int = 300) -> list[Dossier]:
    """The department inbox: open dossiers held by the user's agency subtree
    (plus results ready at the desk, waiting to be returned), unassigned first."""
    open_statuses = list(_WORKING) + [DossierStatus.INCOMPLETE.value, DossierStatus.NEW_ONLINE.value]
    scope = Dossier.current_agency_id.in_(subtree_ids_query(user.agency))
    # Open dossiers through the open-dossier index; results waiting at the desk (finished, so
    # outside that index, and piling up when citizens do not collect) only the newest `limit`.
    open_ids = select(Dossier.id).where(Dossier.finished_at.is_(None),
                                        Dossier.status.in_(open_statuses), scope)
    ready = (select(Dossier.id.label("id"))
             .where(Dossier.status == DossierStatus.RESULT_READY.value, scope)
             .order_by(Dossier.finished_at.desc()).limit(limit).subquery())
    q = (
        select(Dossier)
        .options(joinedload(Dossier.procedure), joinedload(Dossier.current_agency),
                 joinedload(Dossier.receiving_agency), joinedload(Dossier.assignee),
                 selectinload(Dossier.pauses))
        .where(Dossier.id.in_(union_all(open_ids, select(ready.c.id))))
    )
    # Results waiting at the desk (finished) come after every open dossier, so the overdue ones
    # (earliest due first) are never pushed below them (docs/guide-head.md).
    finished = case((Dossier.finished_at.is_(None), 0), else_=1)
    unassigned = case((Dossier.assignee_id.is_(None), 0), else_=1)
    paused = _clock_stopped()
    no_due = case((Dossier.due_at.is_(None), 1), else_=0)
    q = q.order_by(finished, unassigned, paused, no_due, Dossier.due_at, Dossier.id).limit(limit)
    return list(session.scalars(q).unique())


def assignable_officers(session: Session, agency: Agency) -> list[User]:
    """Officers (and heads) of the agency that holds a dossier, for the assign select."""
    return list(session.scalars(
        select(User).where(User.active.is_(True), User.role.in_([Role.OFFICER.value, Role.HEAD.value]),
                           User.agency_id == agency.id)
        .order_by(User.role.desc(), User.full_name)
    ))


def officers_by_agency(session: Session, agency_ids: set[int]) -> dict[int, list[User]]:
    """Assignable users for several agencies in one query (inbox rows)."""
    out: dict[int, list[User]] = {a: [] for a in agency_ids}
    if not agency_ids:
        return out
    for u in session.scalars(
        select(User).where(User.active.is_(True), User.role.in_([Role.OFFICER.value, Role.HEAD.value]),
                           User.agency_id.in_(agency_ids)).order_by(User.full_name)
    ):
        out[u.agency_id].append(u)
    return out


# ---------------------------------------------------------------- liên thông

def handoffs_waiting_for(session: Session, agency: Agency) -> list[HandoffLeg]:
    """Legs sent to ``agency`` that it has not acknowledged yet (its leg clock
    starts at the acknowledgement)."""
    return _open_legs(session, HandoffLeg.to_agency_id == agency.id)


def handoffs_sent_unacknowledged(session: Session, agency: Agency) -> list[HandoffLeg]:
    """Legs ``agency`` sent that the receiver has not acknowledged (senders watch these)."""
    return _open_legs(session, HandoffLeg.from_agency_id == agency.id)


def _open_legs(session: Session, cond: Any) -> list[HandoffLeg]:
    q = (
        select(HandoffLeg)
        .options(joinedload(HandoffLeg.from_agency), joinedload(HandoffLeg.to_agency),
                 joinedload(HandoffLeg.sent_by),
                 # the dossiers (with their procedure) in one more query
                 selectinload(HandoffLeg.dossier).joinedload(Dossier.procedure))
        .where(cond, HandoffLeg.acknowledged_at.is_(None))
        .order_by(HandoffLeg.sent_at, HandoffLeg.id)
    )
    return list(session.scalars(q).unique())


# ---------------------------------------------------------------- notifications

def notifications_for(session: Session, user: User, *, limit: int = 100) -> list[Notification]:
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ))


def unread_count(session: Session, user: User) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0)


def mark_read(session: Session, user: User, *, now: datetime, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read: one UPDATE."""

    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    res = session.execute(stmt.values(read_at=now))
    session.flush()
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- catalogue search

def search_procedures(session: Session, q: str, *, limit: int = 20) -> list[Procedure]:
    """By code prefix or accent-folded name words (Procedure.name_search)."""
    q = (q or "").strip()
    base = select(Procedure).where(Procedure.active.is_(True))
    if not q:
        return list(session.scalars(base.order_by(Procedure.code).limit(limit)))
    words = fold(q).split()
    conds = [Procedure.name_search.like(f"%{_like_escape(w)}%", escape="\\") for w in words]
    by_code = Procedure.code.like(f"{_like_escape(q)}%", escape="\\")
    rank = case((Procedure.code == q, 0), (by_code, 1), else_=2)
    cond = or_(by_code, and_(*conds) if conds else false())
    return list(session.scalars(base.where(cond).order_by(rank, Procedure.code).limit(limit)))
