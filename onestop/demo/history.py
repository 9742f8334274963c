"""Months of realistic dossier history for the demo province, created THROUGH THE
SERVICES (``receive_dossier`` and ``apply_action`` with explicit, increasing ``now``
values) so that every event, pause, hand-off leg and due date is exactly what the
real desks would have produced. Never raw inserts.

The shape follows what a provincial one-stop system sees (docs/domain.md §2, §6):

* receptions only at office times on working days (online registrations at any
  hour, received by the desk at its next office moment); about 40 % online for
  procedures offered online, a few by public postal service (bưu chính công ích);
* ~8 % incomplete at the desk (supplement request at reception, Decree 61/2018
  art. 18(2)(a)), ~2 % refused; the rest transferred with the process control slip,
  assigned by a head to an officer, ~10 % asked for a supplement while processing
  (clock paused; a few twice, which counts as late under Decision 766 indicator 2.1),
  ~3 % waiting for a financial obligation, liên thông chains handed off, acknowledged
  and handed back; ~85 % finished early or on time, ~10 % late, some of the late ones
  with an apology and new date issued in time (form 04); a few stopped or withdrawn;
  results returned a few days after they are ready, about a third of them rated by the
  citizen on SIPAS' five factors (``services.public.feedback.submit_rating``);
* dossiers of the last three weeks left open in every status, some overdue.

Deterministic for given arguments (``random.Random(seed)``); the lookup secrets
come from the CSPRNG and are not reproducible, which is irrelevant for a demo.
Cost: the services flush at every step; onestop/demo/bulk.py runs this in an in-memory scratch
database and writes the rows to the real one in bulk, a day at a time.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.calendar import WorkingCalendar
from ..domain.errors import DomainError
from ..domain.status import DossierAction as A
from ..models import Agency, Dossier, Procedure, User
from ..services.admin.agencies import in_subtree, resolve_kind
from ..services.admin.calendars import calendar_for
from ..services.dossiers.actions import apply_action
from ..services.dossiers.applicant import Applicant
from ..services.dossiers.inputs import (
    ActionInput,
    ApologyInput,
    AssignInput,
    CompleteInput,
    HandBackInput,
    PaymentRequestInput,
    RefuseInput,
    ReturnInput,
    StopInput,
    SupplementRequestInput,
    WithdrawInput,
)
from ..services.dossiers.reception import ReceptionInput, receive_dossier
from ..services.public.feedback import FACTORS, submit_rating

DEFAULT_SEED = 20260301
DESK_KINDS = ("commune_service_centre", "service_centre")
# Share of the province's receptions taken by the provincial centre; the communes share the rest.
PROVINCIAL_SHARE = 0.3
RECENT_DAYS = 21
FRESH_DAYS = 6

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Bùi", "Đinh", "Quách", "Hà", "Xa", "Vũ", "Đỗ",
          "Ngô", "Lò", "Sa"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Minh"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân",
           "Sơn", "Thắng", "Toàn", "Tuấn", "Việt"]
GIVEN_F = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
           "Nhung", "Thảo", "Trang", "Vân", "Yến"]
HAMLETS = ["Xóm Mới", "Xóm Chiềng", "Xóm Bưng", "Xóm Lầm", "Xóm Đồi", "Xóm Trung", "Khu Bắc",
           "Khu Nam", "Xóm Cháy", "Xóm Bái"]
PREFIXES = ["091", "094", "098", "097", "096", "086", "032", "033", "035", "036", "038", "039",
            "088", "083", "070", "077"]

REFUSE_REASONS = [
    "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan.",
    "Người nộp không thuộc đối tượng được giải quyết theo quy định.",
    "Hồ sơ đã được giải quyết trước đó; không giải quyết lại.",
]
SUPPLEMENT_REASONS = [
    "Thiếu giấy tờ theo thành phần hồ sơ quy định.",
    "Giấy tờ đã hết hiệu lực, cần bổ sung bản còn giá trị.",
    "Thông tin trên tờ khai chưa khớp với giấy tờ tùy thân.",
]
PROCESSING_SUPPLEMENT_REASONS = [
    "Cần xác minh thêm thông tin; đề nghị bổ sung giấy tờ chứng minh.",
    "Bản vẽ/sơ đồ chưa đúng hiện trạng, đề nghị bổ sung bản đúng.",
    "Cần bổ sung văn bản ủy quyền có chứng thực.",
]
LATE_REASONS = [
    "Phải xác minh thực địa, chưa hoàn thành kịp thời hạn.",
    "Chờ ý kiến của cơ quan phối hợp.",
    "Khối lượng hồ sơ tăng đột biến trong kỳ.",
]

RATING_COMMENTS = {
    True: ["Cán bộ hướng dẫn tận tình.", "Trả kết quả đúng hẹn, cảm ơn.", "Thủ tục nhanh gọn."],
    False: ["Phải đi lại nhiều lần.", "Trả kết quả chậm so với giấy hẹn."],
}

# Where a recent dossier may be left (every status appears among the open ones).
HOLD_STAGES = ("new_online", "incomplete", "received", "processing", "awaiting_supplement",
               "awaiting_payment", "lien_thong", "result_ready")


Checkpoint = Callable[[date, int], None]


class _Stop(Exception):
    """The dossier's next step lies after ``now`` (or it is held open on purpose)."""


@dataclass
class _Staff:
    """Users by agency and role, with the fall-backs the history needs."""

    by_agency: dict[int, dict[str, list[User]]]

    @classmethod
    def load(cls, session: Session) -> _Staff:
        out: dict[int, dict[str, list[User]]] = {}
        for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
            out.setdefault(u.agency_id, {}).setdefault(u.role, []).append(u)
        return cls(out)

    def at(self, agency: Agency, role: str) -> User | None:
        users = self.by_agency.get(agency.id, {}).get(role, [])
        return users[0] if users else None

    def head_for(self, agency: Agency, session: Session) -> User | None:
        """A head of ``agency`` itself: only the holder's own staff act on what it holds
        (services.policy.holds), not the head of an agency above it."""
        return self.at(agency, "head")

    def worker_for(self, agency: Agency, session: Session, assignee_id: int | None = None) -> User | None:
        """The officer acting for ``agency``: the assignee if any, else an officer of the
        agency, else the head responsible for it."""
        if assignee_id is not None:
            u = session.get(User, assignee_id)
            if u is not None and in_subtree(agency, u.agency):
                return u
        return self.at(agency, "officer") or self.head_for(agency, session)


@dataclass
class _Route:
    """A procedure as served by one desk: lead agency and the liên thông chain."""

    procedure: Procedure
    lead: Agency
    chain: list[Agency] = field(default_factory=list)  # agencies of steps 2.. (after the lead)
    weight: float = 1.0


@dataclass
class _Desk:
    agency: Agency
    clerk: User
    routes: list[_Route]
    weight: float


@dataclass(frozen=True)
class _Plan:
    """What the draws decided for one dossier: its fate, where it is held (if anywhere), how many
    supplement requests during processing, whether it pays a fee, whether it finishes late."""

    fate: str
    hold: str | None
    supplement: str
    payment: bool
    late: bool


# Records one action on the dossier being built (stops the story at the history's "now").
_Act = Callable[..., None]


class _Deck:
    """Stratified draws: each block of ``len(cards)`` draws holds the cards exactly once,
    so rare outcomes (2 % refused) appear at their rate even in a small sample."""

    def __init__(self, rng: random.Random, cards: list[str]) -> None:
        self.rng = rng
        self.cards = cards
        self.pile: list[str] = []

    def draw(self) -> str:
        if not self.pile:
            self.pile = list(self.cards)
            self.rng.shuffle(self.pile)
        return self.pile.pop()


def _deck(rng: random.Random, rates: dict[str, int], total: int = 100) -> _Deck:
    cards = [k for k, n in rates.items() for _ in range(n)]
    cards += ["no"] * (total - len(cards))
    return _Deck(rng, cards)


class _History:
    def __init__(self, session: Session, *, now: datetime, months: int, per_day: int, seed: int,
                 lookup_key: bytes) -> None:
        self.s = session
        self.key = lookup_key
        self.now = now
        self.rng = random.Random(seed)
        self.months = months
        self.per_day = per_day
        self.staff = _Staff.load(session)
        self.desks = self._desks()
        rng = self.rng
        self.fate = _deck(rng, {"refuse": 2, "withdraw": 1, "stop": 1})
        self.incomplete = _deck(rng, {"yes": 8})
        self.supplement = _deck(rng, {"once": 9, "twice": 1})
        self.payment = _deck(rng, {"yes": 3})
        self.lateness = _deck(rng, {"late": 11})
        self.uncollected = _deck(rng, {"yes": 3})
        self.hold_deck = _deck(rng, {"hold": 30})
        self.fresh_hold_deck = _deck(rng, {"hold": 80})
        self.hold_next = 0
        self.count = 0

    # ------------------------------------------------------------------ setup

    def _desks(self) -> list[_Desk]:
        s = self.s
        agencies = list(s.scalars(select(Agency).where(Agency.kind.in_(DESK_KINDS), Agency.valid_to.is_(None))
                                  .order_by(Agency.path)))
        procedures = list(s.scalars(
            select(Procedure).where(Procedure.active.is_(True)).order_by(Procedure.code)))
        communes = [a for a in agencies if a.kind == "commune_service_centre"]
        desks: list[_Desk] = []
        for a in agencies:
            clerk = self.staff.at(a, "clerk")
            if clerk is None:
                continue
            routes = [r for p in procedures if p.receiving_kind == a.kind and (r := self._route(p, a))]
            if not routes:
                continue
            share = PROVINCIAL_SHARE if a.kind == "service_centre" \
                else (1 - PROVINCIAL_SHARE) / max(1, len(communes))
            desks.append(_Desk(a, clerk, routes, share))
        return desks

    def _route(self, p: Procedure, desk: Agency) -> _Route | None:
        """Only routes every step of which has somebody to act (else the desk could not
        run the procedure in the demo)."""
        try:
            kinds = [st.agency_kind for st in p.steps] or [p.lead_kind]
            agencies = [resolve_kind(self.s, k, desk) for k in kinds]
        except DomainError:
            return None
        lead = agencies[0]
        for ag in agencies:
            if self.staff.worker_for(ag, self.s) is None or self.staff.head_for(lead, self.s) is None:
                return None
        # Same-day civil status and certification work dominates at the communes.
        limit = float(p.limit_value)
        weight = 4.0 if limit <= 1 and p.limit_unit == "working_days" else 1.5 if limit <= 5 else 1.0
        if p.field in ("Hộ tịch", "Chứng thực"):
            weight *= 1.5
        return _Route(p, lead, agencies[1:], weight)

    # ------------------------------------------------------------------ helpers

    def cal(self, agency: Agency) -> WorkingCalendar:
        return calendar_for(self.s, agency)

    def office_moment(self, cal: WorkingCalendar, day: date) -> datetime:
        opening = cal.opening(day)
        return cal.add_working_minutes(opening, self.rng.randrange(cal.minutes_per_day))

    def later(self, cal: WorkingCalendar, t: datetime, lo: int, hi: int) -> datetime:
        """``t`` plus lo..hi working minutes (lands inside office hours)."""
        return cal.add_working_minutes(t, max(1, self.rng.randint(lo, hi)))

    def applicant(self, desk: Agency) -> Applicant:
        r = self.rng
        female = r.random() < 0.5
        name = " ".join([r.choice(FAMILY), r.choice(MIDDLE_F if female else MIDDLE_M),
                         r.choice(GIVEN_F if female else GIVEN_M)])
        year = r.randint(1950, 2006)
        century = (1 if female else 0) + (2 if year >= 2000 else 0)
        id_number = f"017{century}{year % 100:02d}{r.randrange(10**6):06d}"
        phone = f"{r.choice(PREFIXES)}{r.randrange(10**7):07d}"
        place = desk.short_name.replace("TTPVHCC ", "") if desk.short_name else desk.name
        place = place if place.startswith("xã") else "xã Tân Lạc"
        return Applicant(name=name, id_number=id_number, phone=phone,
                         email="" if r.random() < 0.7 else f"congdan{r.randrange(10**5)}@example.vn",
                         address=f"{r.choice(HAMLETS)}, {place}, tỉnh Phú Thọ")

    # ------------------------------------------------------------------ the days

    def days(self) -> Iterator[date]:
        cal = self.cal(self.desks[0].agency)
        end = cal.local_date(self.now)
        start = end - timedelta(days=round(self.months * 30.44))
        d = start
        while d <= end:
            yield d
            d += timedelta(days=1)

    def run(self, checkpoint: Checkpoint | None = None) -> int:
        if not self.desks:
            return 0
        weights = [d.weight for d in self.desks]
        for day in self.days():
            cal = self.cal(self.desks[0].agency)
            working = cal.is_working_day(day)
            n = max(0, round(self.rng.gauss(self.per_day, self.per_day ** 0.5))) if working else 0
            # Online registrations keep coming in the evening and at weekends.
            n_weekend_online = self.rng.randint(0, max(1, self.per_day // 6)) if not working else 0
            plans: list[tuple[datetime, _Desk, _Route, str]] = []
            for _ in range(n + n_weekend_online):
                desk = self.rng.choices(self.desks, weights)[0]
                route = self.rng.choices(desk.routes, [r.weight for r in desk.routes])[0]
                online_ok = route.procedure.online_level != "none"
                if not working:
                    if not online_ok:
                        continue
                    channel = "online"
                else:
                    x = self.rng.random()
                    channel = "online" if online_ok and x < 0.4 else "postal" if x > 0.96 else "direct"
                if channel == "online":
                    local = datetime.combine(day, datetime.min.time()).replace(tzinfo=cal.tz)
                    at = local + timedelta(minutes=self.rng.randint(6 * 60, 22 * 60 + 30))
                else:
                    at = self.office_moment(cal, day)
                if at <= self.now:
                    plans.append((at, desk, route, channel))
            plans.sort(key=lambda p: p[0])
            for at, desk, route, channel in plans:
                self.dossier(at, desk, route, channel)
            if checkpoint is not None:
                checkpoint(day, self.count)
        return self.count

    # ------------------------------------------------------------------ one dossier

    def dossier(self, t0: datetime, desk: _Desk, route: _Route, channel: str) -> None:
        s, rng, now = self.s, self.rng, self.now
        proc, clerk = route.procedure, desk.clerk
        cal = self.cal(desk.agency)
        hold, channel = self.hold_for(t0, route, channel)
        fate = self.fate.draw()
        incomplete = self.incomplete.draw() == "yes" or hold == "incomplete"
        supplement = self.supplement.draw()
        payment = self.payment.draw() == "yes" or hold == "awaiting_payment"
        late = self.lateness.draw() == "late"
        if hold == "awaiting_supplement":
            supplement = "once"
        plan = _Plan(fate=fate, hold=hold, supplement=supplement, payment=payment, late=late)
        self.count += 1

        def act(action: A, actor: User | None, at: datetime, data: ActionInput | None = None) -> None:
            if at > now:
                raise _Stop
            apply_action(s, d, action, data, actor=actor, now=at)

        docs = list(proc.documents or []) or ["Tờ khai theo mẫu"]

        def missing() -> list[str]:
            return rng.sample(docs, k=min(len(docs), rng.randint(1, 2)))

        applicant = self.applicant(desk.agency)
        # ---- reception
        if channel == "online":
            res = receive_dossier(s, ReceptionInput(proc.code, applicant, channel="online",
                                                    outcome="submit_online"),
                                  agency=desk.agency, actor=None, now=t0, lookup_key=self.key)
            d = res.dossier
            try:
                self.online_reception(d, t0, desk, route, cal, plan, incomplete, missing, act)
            except _Stop:
                pass
            return
        outcome = "refuse" if plan.fate == "refuse" else "request_supplement" if incomplete else "receive"
        data = ReceptionInput(proc.code, applicant, channel=channel, outcome=outcome,
                              missing_items=missing() if outcome == "request_supplement" else [],
                              reason=(rng.choice(REFUSE_REASONS) if outcome == "refuse" else
                                      rng.choice(SUPPLEMENT_REASONS) if outcome == "request_supplement"
                                      else ""),
                              documents=[{"name": x, "provided": True} for x in docs])
        d = receive_dossier(s, data, agency=desk.agency, actor=clerk, now=t0, lookup_key=self.key).dossier
        if outcome == "refuse":
            return
        t = t0
        try:
            if outcome == "request_supplement":
                if hold == "incomplete":
                    raise _Stop
                # The citizen comes back with the missing papers (the code is kept).
                t = self.later(cal, t, cal.minutes_per_day // 2, 4 * cal.minutes_per_day)
                act(A.RECEIVE, clerk, t)
            self.process(d, t, desk, route, cal, plan, act)
        except _Stop:
            pass

    def hold_for(self, t0: datetime, route: _Route, channel: str) -> tuple[str | None, str]:
        """The stage a recent dossier is left at (None: it runs its course), and its channel."""
        recent = (self.now - t0) < timedelta(days=RECENT_DAYS)
        # Most of what a desk holds open was received in the last few days (within time or due
        # soon); a smaller share of older ones is what the overdue lists show.
        fresh = (self.now - t0) < timedelta(days=FRESH_DAYS)
        if not recent or (self.fresh_hold_deck if fresh else self.hold_deck).draw() != "hold":
            return None, channel
        hold: str | None = HOLD_STAGES[self.hold_next % len(HOLD_STAGES)]
        if hold == "new_online" and channel != "online":
            if route.procedure.online_level != "none":
                channel = "online"  # registered on the portal, not yet looked at by the desk
            else:
                hold = None  # keep the turn for a dossier that can wait as an online one
        if hold == "lien_thong" and not route.chain:
            hold = None
        if hold is not None:
            self.hold_next += 1
        return hold, channel

    def online_reception(self, d: Dossier, t0: datetime, desk: _Desk, route: _Route, cal: WorkingCalendar,
                         plan: _Plan, incomplete: bool, missing: Callable[[], list[str]], act: _Act) -> None:
        """The desk looks at an online registration: refuses it, asks for what is missing, or receives it."""
        rng, clerk = self.rng, desk.clerk
        if plan.hold == "new_online":
            raise _Stop
        # The desk checks online registrations at its next office moment.
        t = self.later(cal, t0, 10, 240)
        if plan.fate == "refuse":
            act(A.REFUSE, clerk, t, RefuseInput(reason=rng.choice(REFUSE_REASONS)))
            return
        if incomplete:
            act(A.REQUEST_SUPPLEMENT, clerk, t,
                SupplementRequestInput(missing_items=tuple(missing()),
                                       reason=rng.choice(SUPPLEMENT_REASONS)))
            if plan.hold == "incomplete":
                raise _Stop
            t = self.later(cal, t, cal.minutes_per_day, 5 * cal.minutes_per_day)
        act(A.RECEIVE, clerk, t)
        self.process(d, t, desk, route, cal, plan, act)

    def process(self, d: Dossier, t: datetime, desk: _Desk, route: _Route, cal: WorkingCalendar,
                plan: _Plan, act: _Act) -> None:
        rng, clerk, mpd = self.rng, desk.clerk, cal.minutes_per_day
        if plan.hold == "received":
            raise _Stop
        if plan.fate == "withdraw" and rng.random() < 0.4:
            act(A.WITHDRAW, clerk, self.later(cal, t, 30, mpd),
                WithdrawInput(reason="Công dân có đơn đề nghị rút hồ sơ."))
            return
        t = self.transfer_and_assign(d, t, desk, route, cal, act)
        if plan.hold == "processing":
            raise _Stop
        if plan.supplement != "no" or plan.hold == "awaiting_supplement":
            t = self.supplements(d, t, desk, cal, plan, act)
        if plan.fate == "withdraw":
            act(A.WITHDRAW, clerk, self.later(cal, t, 30, 2 * mpd),
                WithdrawInput(reason="Công dân có đơn đề nghị rút hồ sơ."))
            return
        if plan.fate == "stop":
            act(A.STOP, self.worker(d), self.later(cal, t, 30, 2 * mpd),
                StopInput(reason="Hồ sơ thuộc trường hợp phải dừng giải quyết theo quy định "
                                 "(thông báo mẫu 05)."))
            return
        # The planned finish: early/on time inside the working time left, or late after it.
        assert d.due_at is not None
        left = cal.working_minutes_between(t, d.due_at)
        if plan.late:
            finish = cal.add_working_minutes(max(t, d.due_at), rng.randint(60, 5 * mpd))
        else:
            finish = cal.add_working_minutes(t, max(5, int(max(0, left) * rng.uniform(0.2, 0.95))))
        if plan.payment:
            t, finish = self.payment_pause(d, t, finish, left, desk, cal, plan, act)
        if route.chain:
            t, finish = self.lien_thong(d, t, finish, route, cal, plan, act)
        if plan.late and d.due_at is not None and rng.random() < 0.6:
            t = self.apology(d, t, finish, cal, act)
        self.finish(d, t, finish, desk, cal, plan, act)

    def worker(self, d: Dossier) -> User:
        u = self.staff.worker_for(d.current_agency, self.s, d.assignee_id)
        assert u is not None
        return u

    def transfer_and_assign(self, d: Dossier, t: datetime, desk: _Desk, route: _Route, cal: WorkingCalendar,
                            act: _Act) -> datetime:
        """Transfer with the process control slip and assignment: within the half-day for most
        procedures, within minutes for same-day and working-hour ones."""
        staff, lead = self.staff, route.lead
        assert d.due_at is not None
        quick = max(2, min(120, cal.working_minutes_between(t, d.due_at) // 8))
        t = self.later(cal, t, 1, quick)
        act(A.TRANSFER, desk.clerk, t)
        head = staff.head_for(lead, self.s)
        officer = staff.at(lead, "officer") or head
        assert officer is not None
        t = self.later(cal, t, 1, quick)
        if head is not None:  # an agency without a head of its own (a commune's police): unassigned
            act(A.ASSIGN, head, t, AssignInput(officer_id=officer.id))
        return t

    def supplements(self, d: Dossier, t: datetime, desk: _Desk, cal: WorkingCalendar, plan: _Plan,
                    act: _Act) -> datetime:
        """Supplement during processing (clock paused; regime pause or restart), once or twice."""
        rng, clerk, mpd = self.rng, desk.clerk, cal.minutes_per_day
        assert d.due_at is not None
        t = self.later(cal, t, 1, max(2, cal.working_minutes_between(t, d.due_at) // 3))
        act(A.REQUEST_SUPPLEMENT, self.worker(d), t,
            SupplementRequestInput(missing_items=("Giấy tờ bổ sung theo phiếu yêu cầu",),
                                   reason=rng.choice(PROCESSING_SUPPLEMENT_REASONS)))
        if plan.hold == "awaiting_supplement":
            raise _Stop
        t = self.later(cal, t, mpd // 2, 8 * mpd)
        act(A.PROVIDE_SUPPLEMENT, clerk, t)
        if plan.supplement == "twice":
            t = self.later(cal, t, 30, mpd)
            act(A.REQUEST_SUPPLEMENT, self.worker(d), t,
                SupplementRequestInput(missing_items=("Bản sao có chứng thực",),
                                       reason="Giấy tờ bổ sung lần trước chưa hợp lệ."))
            t = self.later(cal, t, mpd // 2, 5 * mpd)
            act(A.PROVIDE_SUPPLEMENT, clerk, t)
        return t

    def payment_pause(self, d: Dossier, t: datetime, finish: datetime, left: int, desk: _Desk,
                      cal: WorkingCalendar, plan: _Plan, act: _Act) -> tuple[datetime, datetime]:
        """Financial obligation: the clock pauses while the citizen pays (Decree 61/2018 art. 19)."""
        mpd = cal.minutes_per_day
        t = self.later(cal, t, 5, max(10, max(0, left) // 4))
        act(A.REQUEST_PAYMENT, self.worker(d), t,
            PaymentRequestInput(reason="Nộp lệ phí và nghĩa vụ tài chính theo thông báo."))
        if plan.hold == "awaiting_payment":
            raise _Stop
        paused_from = t
        t = self.later(cal, t, 60, 4 * mpd)
        act(A.CONFIRM_PAYMENT, desk.clerk, t)
        finish = cal.add_working_minutes(finish, max(0, cal.working_minutes_between(paused_from, t)))
        return t, max(finish, self.later(cal, t, 5, 60))

    def lien_thong(self, d: Dossier, t: datetime, finish: datetime, route: _Route, cal: WorkingCalendar,
                   plan: _Plan, act: _Act) -> tuple[datetime, datetime]:
        """Liên thông: the chain's agencies each take their share of the time left."""
        staff, s, lead = self.staff, self.s, route.lead
        span = max(len(route.chain) + 1, cal.working_minutes_between(t, finish))
        part = span // (len(route.chain) + 2)
        for ag in route.chain:
            t = self.later(cal, t, max(1, part // 2), max(2, part))
            act(A.HAND_OFF, self.worker(d), t)
            receiver = staff.at(ag, "officer") or staff.head_for(ag, s)
            t = self.later(cal, t, 5, 120)
            act(A.ACKNOWLEDGE, receiver, t)
            if plan.hold == "lien_thong":
                raise _Stop
        if d.current_agency_id != lead.id:
            t = self.later(cal, t, max(1, part // 2), max(2, part))
            act(A.HAND_BACK, self.worker(d), t, HandBackInput(to_agency_id=lead.id))
            t = self.later(cal, t, 5, 60)
            act(A.ACKNOWLEDGE, staff.at(lead, "officer") or staff.head_for(lead, s), t)
        return t, max(finish, self.later(cal, t, 5, 60))

    def apology(self, d: Dossier, t: datetime, finish: datetime, cal: WorkingCalendar, act: _Act) -> datetime:
        """A late dossier: many agencies issue the apology and new date in time (form 04)."""
        rng, mpd = self.rng, cal.minutes_per_day
        assert d.due_at is not None
        lead_time = cal.working_minutes_between(t, d.due_at) - int(1.2 * mpd)
        if lead_time <= 10:
            return t
        ta = cal.add_working_minutes(t, rng.randint(1, lead_time))
        act(A.APOLOGISE, self.worker(d), ta,
            ApologyInput(reason=rng.choice(LATE_REASONS),
                         new_due_at=cal.add_working_minutes(max(finish, d.due_at), rng.randint(60, 2 * mpd))))
        return ta

    def finish(self, d: Dossier, t: datetime, finish: datetime, desk: _Desk, cal: WorkingCalendar,
               plan: _Plan, act: _Act) -> None:
        """The result, and its return to the citizen unless it waits to be collected."""
        rng, mpd = self.rng, cal.minutes_per_day
        finish = max(finish, cal.add_working_minutes(t, 5))
        act(A.COMPLETE, self.worker(d), finish, CompleteInput(result="Đã giải quyết, có kết quả."))
        if plan.hold == "result_ready" or self.uncollected.draw() == "yes":
            raise _Stop
        t = cal.add_working_minutes(finish, rng.choice([30, 90, mpd // 2, mpd, 2 * mpd, 3 * mpd, 5 * mpd]))
        method = "online" if d.channel == "online" and rng.random() < 0.5 else (
            "postal" if rng.random() < 0.1 else "direct")
        act(A.RETURN_RESULT, desk.clerk, t, ReturnInput(method=method, receiver=d.applicant_name))
        self.rate(d, t, late=d.finished_at is not None and d.due_at is not None and d.finished_at > d.due_at)

    def rate(self, d: Dossier, returned_at: datetime, *, late: bool) -> None:
        """About a third of citizens rate the service on SIPAS' five factors after the
        return (through services.public.feedback.submit_rating); late dossiers rate lower."""
        rng = self.rng
        if rng.random() >= 0.3:
            return
        at = returned_at + timedelta(minutes=rng.randint(10, 3 * 24 * 60))
        if at > self.now:
            return

        base = 3 if late else 4
        scores = {name: min(5, max(1, base + rng.choice((-1, 0, 0, 1, 1)))) for name, _ in FACTORS}
        satisfied = sum(scores.values()) / len(scores) >= 3.5
        comment = "" if rng.random() < 0.7 else rng.choice(RATING_COMMENTS[satisfied])
        submit_rating(self.s, d, scores=scores, satisfied=satisfied, comment=comment, now=at)


def generate_history(session: Session, *, now: datetime, months: int, per_day: int,
                     lookup_key: bytes, seed: int = DEFAULT_SEED,
                     checkpoint: Checkpoint | None = None) -> int:
    """Create ``months`` of dossier history ending at ``now`` (about ``per_day``
    receptions a working day across the province); returns the number of dossiers.
    Flushes through the services, never commits: ``checkpoint(day, dossiers_so_far)`` is called
    after each day, between dossiers, so that the caller (the seed-demo command) may commit in
    batches and print progress. Every dossier a day creates is finished with that day's
    checkpoint (its later steps are created with it), so a batch never holds half a dossier."""
    if months <= 0 or per_day <= 0:
        return 0
    return _History(session, now=now, months=months, per_day=per_day, seed=seed,
                    lookup_key=lookup_key).run(checkpoint)
