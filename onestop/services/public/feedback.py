"""What citizens give back, and what the public sees (docs/domain.md §6).

* Satisfaction rating on SIPAS' five factors (access to the service, the procedure, the officer, the
  result, the handling of feedback), 1–5 each, plus satisfied yes/no and a comment — one per dossier,
  only once the result has been returned.
* Feedback / complaint (phản ánh, kiến nghị — PAKN) on a dossier: registered with a code
  ``PAKN-<YYMMDD>-<NNNN>`` (the day's number, four digits or more: it never runs out), at most
  :data:`FEEDBACK_PER_DOSSIER_PER_DAY` a day per dossier, routed to the agency that holds the
  dossier (or the receiving one), answered within 15 working days (close of office hours of the
  15th working day after receipt, the same Civil Code art. 147–148 counting as dossier deadlines),
  answer shown to the citizen.
* Both feed the satisfaction measure of Decision 766/QĐ-TTg indicator 5.4
  (:func:`onestop.domain.scoring.satisfaction_rate`: 100 % − (% overdue + % complained/dissatisfied)).
* The public transparency figures per agency: received, finished, on-time rate (Decision 766
  indicator 2.1, the rule of :mod:`onestop.domain.timing`), satisfaction rate — one GROUP BY.

Services take (session, ..., actor, now), flush, never commit (docs/architecture.md §2).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...domain.scoring import rate, satisfaction_rate
from ...domain.status import FINISHED, DossierStatus, Role
from ...integrations.dvcqg.outbox import enqueue_rating
from ...models import Agency, Dossier, Feedback, HandoffLeg, Rating, User
from ..admin.accounts import audit
from ..admin.agencies import in_subtree
from ..admin.calendars import calendar_for
from ..dossiers.applicant import normalize_text
from ..errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from ..reporting.reports import form06_counts

__all__ = [
    "FACTORS",
    "FEEDBACK_ANSWER_WORKING_DAYS",
    "FEEDBACK_KINDS",
    "FEEDBACK_PER_DOSSIER_PER_DAY",
    "AgencyFigures",
    "FeedbackLimitReached",
    "SatisfactionFigures",
    "answer_feedback",
    "feedback_inbox",
    "handling_agency",
    "register_feedback",
    "satisfaction_figures",
    "submit_rating",
    "transparency_figures",
]

# SIPAS (the national satisfaction survey, Decision 3468/QĐ-BNV) five factors, in survey order.
FACTORS: tuple[tuple[str, str], ...] = (
    ("score_access", "Tiếp cận dịch vụ"),
    ("score_procedure", "Thủ tục hành chính"),
    ("score_officer", "Công chức giải quyết"),
    ("score_result", "Kết quả giải quyết"),
    ("score_feedback", "Tiếp nhận, xử lý phản ánh, kiến nghị"),
)
SCORE_LABELS = {1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường", 4: "Hài lòng",
                5: "Rất hài lòng"}
FEEDBACK_KINDS = {"complaint": "Phản ánh", "suggestion": "Kiến nghị"}
FEEDBACK_ANSWER_WORKING_DAYS = 15
# PAKN per dossier per local day (config FEEDBACK_PER_DOSSIER_PER_DAY overrides it in the web
# layer). Three is room for what one citizen really has to say about one dossier in a day — a
# complaint, a suggestion, a correction of either — while each PAKN opens a 15-working-day answer
# obligation for the agency and counts in its complaint-handling score, so a receipt holder must
# not be able to pour in dozens (docs/security.md, "Citizens' look-up and limits"). More the next
# day, or at the desk.
FEEDBACK_PER_DOSSIER_PER_DAY = 3
MAX_COMMENT = 1000
MAX_FEEDBACK = 2000
MAX_ANSWER = 4000
MAX_CONTACT = 254


def _clean_long_text(value: str | None) -> str:
    """Keep line breaks, drop control characters (stored as text; templates escape on output)."""
    text = (value or "").replace("\r\n", "\n")
    text = "".join(ch for ch in text if ch == "\n" or ch == "\t" or ch >= " ")
    return unicodedata.normalize("NFC", text).strip()


# ---------------------------------------------------------------- ratings

def submit_rating(
    session: Session, dossier: Dossier, *, scores: dict[str, Any], satisfied: Any, comment: str,
    now: datetime,
) -> Rating:
    """One rating per dossier, after the result is returned. The caller has verified the lookup
    secret (there is no login for citizens). Raises ValidationFailed / Conflict."""
    if dossier.status != DossierStatus.RETURNED.value:
        raise Conflict("Chỉ đánh giá được sau khi hồ sơ đã trả kết quả.")
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for name, label in FACTORS:
        raw = scores.get(name)
        try:
            value = int(str(raw))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[name] = N_("Chọn mức đánh giá từ 1 đến 5 cho “%(label)s”.", label=N_(label))
        values[name] = value
    if satisfied not in (True, False):
        errors["satisfied"] = N_("Cho biết ông/bà hài lòng hay không hài lòng.")
    text = _clean_long_text(comment)
    if len(text) > MAX_COMMENT:
        errors["comment"] = N_("Ý kiến tối đa %(n)s ký tự.", n=MAX_COMMENT)
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(select(Rating.id).where(Rating.dossier_id == dossier.id)) is not None:
        raise Conflict("Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ đánh giá một lần — cảm ơn ông/bà.")
    rating = Rating(dossier_id=dossier.id, agency_id=dossier.receiving_agency_id, satisfied=bool(satisfied),
                    comment=text, created_at=now, **values)
    try:
        with session.begin_nested():  # the UNIQUE(dossier_id) guards a double submit racing this one
            session.add(rating)
            session.flush()
    except IntegrityError:
        raise Conflict("Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ đánh giá một lần — cảm ơn ông/bà."
                       ) from None
    enqueue_rating(session, rating)  # the national portal's outbox, same transaction
    return rating


# ---------------------------------------------------------------- feedback (PAKN)

def _next_feedback_code(session: Session, day_text: str) -> str:
    """The day's next number, at least four digits and without a cap (…-9999, …-10000): one
    province-wide counter must not run out, or one person could stop every citizen complaining.
    The highest number is the longest code, then the greatest of that length (text order alone
    would put …-9999 after …-10000)."""
    prefix = f"PAKN-{day_text}-"
    last = session.scalar(select(Feedback.code).where(Feedback.code.like(prefix + "%"))
                          .order_by(func.length(Feedback.code).desc(), Feedback.code.desc()).limit(1))
    tail = last[len(prefix):] if last else ""
    seq = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{seq:04d}"


class FeedbackLimitReached(Conflict):
    """The dossier already has ``limit`` PAKN today (:data:`FEEDBACK_PER_DOSSIER_PER_DAY`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"Hồ sơ này đã có đủ {limit} phản ánh, kiến nghị trong ngày hôm nay (tối đa {limit} phản ánh, "
            "kiến nghị một ngày cho mỗi hồ sơ). Vui lòng gửi tiếp vào ngày mai, hoặc liên hệ trực tiếp "
            "Bộ phận Tiếp nhận và Trả kết quả.")


def _feedback_today(session: Session, dossier: Dossier, start: datetime, end: datetime) -> int:
    """PAKN already registered on ``dossier`` in [start, end). The dossier's row is locked first
    (PostgreSQL; SQLite serialises writers anyway), so two posts racing on one dossier cannot both
    pass the daily cap."""
    session.execute(select(Dossier.id).where(Dossier.id == dossier.id).with_for_update())
    return int(session.scalar(select(func.count(Feedback.id)).where(
        Feedback.dossier_id == dossier.id, Feedback.created_at >= start, Feedback.created_at < end)) or 0)


def register_feedback(
    session: Session, dossier: Dossier, *, content: str, kind: str = "complaint", contact: str = "",
    now: datetime, max_per_day: int = FEEDBACK_PER_DOSSIER_PER_DAY,
) -> Feedback:
    """Register a PAKN on ``dossier``: code, responsible agency (:func:`handling_agency`), due at
    the close of the 15th working day.
    At most ``max_per_day`` per dossier and local day (the agency's zone): Conflict beyond."""
    errors: dict[str, str] = {}
    text = _clean_long_text(content)
    if not text:
        errors["content"] = N_("Vui lòng nhập nội dung phản ánh.")
    elif len(text) > MAX_FEEDBACK:
        errors["content"] = N_("Nội dung tối đa %(n)s ký tự.", n=MAX_FEEDBACK)
    if kind not in FEEDBACK_KINDS:
        errors["kind"] = N_("Chọn loại: phản ánh hoặc kiến nghị.")
    contact_text = normalize_text(contact)
    if len(contact_text) > MAX_CONTACT:
        errors["contact"] = N_("Thông tin liên hệ tối đa %(n)s ký tự.", n=MAX_CONTACT)
    if errors:
        raise ValidationFailed(errors)
    agency = handling_agency(session, dossier)
    cal = calendar_for(session, agency)
    today = cal.local_date(now)
    day_start = datetime.combine(today, time.min, tzinfo=cal.tz).astimezone(UTC)
    if _feedback_today(session, dossier, day_start, day_start + timedelta(days=1)) >= max_per_day:
        raise FeedbackLimitReached(max_per_day)
    due_day = cal.add_working_days(today, FEEDBACK_ANSWER_WORKING_DAYS)
    for _attempt in range(5):
        fb = Feedback(code=_next_feedback_code(session, f"{today:%y%m%d}"), dossier_id=dossier.id,
                      agency_id=agency.id, kind=kind, content=text, contact=contact_text, status="open",
                      created_at=now, due_at=cal.closing(due_day))
        try:
            with session.begin_nested():  # UNIQUE(code): a concurrent PAKN took the number, retry
                session.add(fb)
                session.flush()
            return fb
        except IntegrityError:
            continue
    raise Conflict("Không cấp được mã phản ánh, vui lòng gửi lại.")


def handling_agency(session: Session, dossier: Dossier) -> Agency:
    """The agency a citizen's PAKN about ``dossier`` goes to: the one that handles it — the agency
    holding it now when that is not the receiving desk (a leg in progress), else the resolving
    agency (the first hand-off's receiver: the procedure's competent agency, docs/rules.md), else
    the desk itself (a dossier never handed off). Once the result is back at the desk for return,
    the desk only hands it over: the complaint is about the handling (docs/guide-citizen.md)."""
    if dossier.current_agency_id != dossier.receiving_agency_id:
        return dossier.current_agency
    first = session.scalar(select(HandoffLeg.to_agency_id).where(HandoffLeg.dossier_id == dossier.id,
                                                                  HandoffLeg.seq == 1))
    if first is not None:
        resolver = session.get(Agency, first)
        if resolver is not None:
            return resolver
    return dossier.receiving_agency


def _may_answer(user: User, fb: Feedback, agency: Agency) -> bool:
    return (user.active and user.role in (Role.OFFICER.value, Role.HEAD.value)
            and in_subtree(user.agency, agency))


def feedback_inbox(
    session: Session, *, actor: User, now: datetime, limit: int = 200,
) -> list[tuple[Feedback, Dossier, Agency, bool]]:
    """Feedback routed to the actor's agency subtree: open first (earliest due first), then recently
    answered. Each row: (feedback, dossier, agency, overdue)."""
    if actor.role not in (Role.OFFICER.value, Role.HEAD.value):
        raise Forbidden("Chỉ chuyên viên hoặc lãnh đạo cơ quan xem được phản ánh, kiến nghị.")
    rows = session.execute(
        select(Feedback, Dossier, Agency)
        .join(Dossier, Dossier.id == Feedback.dossier_id)
        .join(Agency, Agency.id == Feedback.agency_id)
        .where(Agency.path.like(actor.agency.path + "%"))
        .order_by(case((Feedback.status == "open", 0), else_=1), Feedback.due_at, Feedback.id.desc())
        .limit(limit)
    ).all()
    return [(fb, d, a, fb.status == "open" and fb.due_at < now) for fb, d, a in rows]


def answer_feedback(
    session: Session, feedback_id: int, *, answer: str, actor: User, now: datetime,
    upheld: bool | None = None,
) -> Feedback:
    """Answer a PAKN. A complaint's answer carries the decision — ``upheld`` True/False, required —
    which decides whether its dossier counts as dissatisfied (Decision 766 indicator 5.4,
    docs/rules.md F5); a suggestion has nothing to uphold (kept None). Audited."""
    fb = session.get(Feedback, feedback_id)
    if fb is None:
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.")
    agency = session.get(Agency, fb.agency_id)
    assert agency is not None
    if not _may_answer(actor, fb, agency):
        raise Forbidden("Bạn không có quyền trả lời phản ánh này.")
    if fb.status == "answered":
        raise Conflict("Phản ánh này đã được trả lời.")
    text = _clean_long_text(answer)
    if not text:
        raise ValidationFailed({"answer": N_("Nhập nội dung trả lời.")})
    if len(text) > MAX_ANSWER:
        raise ValidationFailed({"answer": N_("Nội dung trả lời tối đa %(n)s ký tự.", n=MAX_ANSWER)})
    decision = upheld if fb.kind == "complaint" else None
    if fb.kind == "complaint" and decision is None:
        raise ValidationFailed({"upheld": N_("Chọn kết luận: phản ánh đúng (có cơ sở) hoặc không đúng.")})
    fb.answer = text
    fb.upheld = decision
    fb.status = "answered"
    fb.answered_at = now
    fb.answered_by_id = actor.id
    audit(session, actor, "feedback.answer", fb.code, {"kind": fb.kind, "upheld": decision}, now)
    session.flush()
    return fb


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class SatisfactionFigures:
    ratings: int
    satisfied: int
    dissatisfied: int
    complaints: int
    feedback: int
    feedback_open: int
    feedback_overdue: int


def satisfaction_figures(
    session: Session, agency: Agency | None, start: datetime, end: datetime, *, now: datetime | None = None,
) -> SatisfactionFigures:
    """Counts for [start, end) in ``agency``'s subtree (all agencies if None): ratings (by the
    rated dossier's receiving agency), satisfied / dissatisfied, PAKN complaints (by the agency they
    were routed to), all feedback, still open, open past its 15-working-day deadline at ``now``
    (default ``end``). Two aggregate queries."""
    at = now or end
    r_q = select(func.count(Rating.id), func.coalesce(func.sum(case((Rating.satisfied, 1), else_=0)), 0)) \
        .where(Rating.created_at >= start, Rating.created_at < end)
    f_q = select(
        func.count(Feedback.id),
        func.coalesce(func.sum(case((Feedback.kind == "complaint", 1), else_=0)), 0),
        func.coalesce(func.sum(case((Feedback.status == "open", 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(Feedback.status == "open", Feedback.due_at < at), 1), else_=0)), 0),
    ).where(Feedback.created_at >= start, Feedback.created_at < end)
    if agency is not None:
        sub = select(Agency.id).where(Agency.path.like(agency.path + "%")).scalar_subquery()
        r_q = r_q.where(Rating.agency_id.in_(sub))
        f_q = f_q.where(Feedback.agency_id.in_(sub))
    total, sat = (int(x or 0) for x in session.execute(r_q).one())
    fb_total, complaints, fb_open, fb_overdue = (int(x or 0) for x in session.execute(f_q).one())
    return SatisfactionFigures(ratings=int(total), satisfied=int(sat), dissatisfied=int(total) - int(sat),
                               complaints=int(complaints), feedback=int(fb_total), feedback_open=int(fb_open),
                               feedback_overdue=int(fb_overdue))


@dataclass(frozen=True)
class AgencyFigures:
    agency_id: int
    identifier: str
    name: str
    has_children: bool
    received: int
    finished: int
    handled: int
    on_time: int
    not_satisfied: int

    @property
    def on_time_rate(self) -> Decimal:
        return rate(self.on_time, self.handled)

    @property
    def satisfaction_rate(self) -> Decimal:
        overdue = self.handled - self.on_time
        return satisfaction_rate(self.handled, overdue, min(self.not_satisfied, self.handled))

    def as_dict(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "name": self.name, "received": self.received,
                "finished": self.finished, "handled": self.handled, "on_time": self.on_time,
                "on_time_rate": float(self.on_time_rate), "satisfaction_rate": float(self.satisfaction_rate),
                "has_children": self.has_children}


def transparency_figures(
    session: Session, agencies: list[Agency], start: datetime, end: datetime, *, now: datetime,
) -> list[AgencyFigures]:
    """Per agency of ``agencies`` (each over its whole subtree, by receiving desk) for [start, end),
    as of ``min(end, now)`` — THE Form 06 builder (``reports.form06_counts``), so the public page
    shows the numbers of the Form 06 page, the dashboard and the scores (docs/rules.md, "Form 06 and
    the on-time rate"):

    * received: received in the period; finished: resolved in the period;
    * handled (Decision 766 indicator 2.1 denominator): Form 06's received total;
    * on time (numerator): resolved early / on time + in progress within time;
    * not satisfied (indicator 5.4): handled dossiers with a "dissatisfied" rating or a complaint.

    One GROUP BY per receiving agency; the few grouped rows are added up each listed subtree by
    materialised path."""
    if not agencies:
        return []
    at = min(end, now)
    tz = agencies[0].timezone or "Asia/Ho_Chi_Minh"
    grouped = form06_counts(session, None, start, at, tz=tz, group_by_agency=True, extras=True)
    paths = dict(session.execute(select(Agency.id, Agency.path).where(
        Agency.id.in_({aid for aid, _f in grouped} or {0}))).all())
    ids = [a.id for a in agencies]
    parents = set(session.scalars(
        select(Agency.parent_id).where(Agency.parent_id.in_(ids)).distinct()
    ).all())
    out = []
    for a in agencies:
        received = finished = handled = on_time = unhappy = 0
        for (aid, _field), b in grouped.items():
            if not str(paths.get(aid, "")).startswith(a.path):
                continue
            r = b.row
            received += r.received_online + r.received_direct_postal
            finished += r.resolved_total
            handled += r.received_total
            on_time += r.resolved_early + r.resolved_on_time + r.in_progress_within
            unhappy += b.unhappy
        out.append(AgencyFigures(agency_id=a.id, identifier=a.identifier, name=a.name,
                                 has_children=a.id in parents, received=received, finished=finished,
                                 handled=handled, on_time=on_time, not_satisfied=unhappy))
    return out


# Decision 766: finished statuses, exported for the reports.
FINISHED_VALUES = tuple(s.value for s in FINISHED)
