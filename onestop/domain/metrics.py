"""Form 06 buckets, the on-time identities, and delay per agency along a liên thông chain.

Pure functions: the SQL in ``services/reporting/reports.py`` computes the same buckets set-based; these are
the reference (tests compare both on generated data) and are used for single dossiers and small lists.

Form 06/VPCP/KSTT (Circular 01/2020/TT-VPCP; docs/domain.md §6), for a period [start, end] of local dates:

* a dossier counts when it was received (``received_at`` set: a dossier refused at the desk before
  reception never started a clock and is not counted — a gap the texts leave open, documented in
  docs/benchmarks.md "## Form 06"), ``received_at`` ≤ the end of the period, and it was not
  finished before the period started;
* **received**: ``carried_over`` (received before the start, still open at the start), or received in
  the period ``online`` (channel online) / ``direct_postal`` (direct + public postal service);
  ``received_total = online + direct_postal + carried_over``;
* **resolved** in the period (first finish — refused, stopped, withdrawn, result ready, returned —
  inside the period; withdrawn/refused/stopped count as resolved): early / on time / late by THE
  on-time rule :func:`onestop.domain.timing.classify_finished` (more than one supplement request ⇒
  late, Decision 766/QĐ-TTg indicator 2.1);
* **in progress** at the moment measured (the period's end, or now for a period not yet over —
  docs/rules.md, "Form 06 and the on-time rate"): ``overdue`` if more than one supplement request was
  made before it, else ``within`` (statutory due time at or after the moment, or the clock paused then
  by a pause that began no later than the due time) / ``overdue``;
* identity: ``received_total = resolved_total + in_progress_total``;
  late rate = (late + overdue) / received_total.

"As of" the moment: every input is the value in force at that moment (finish time ≤ end, the
due time in force at the end, pauses open at the end), so later events never change a past period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.errors import DomainError
from onestop.domain.timing import Timing, classify_finished

__all__ = [
    "FORM06_COLUMNS",
    "AgencyDelay",
    "Form06Row",
    "LegFacts",
    "delay_per_agency",
    "form06_bucket",
    "identity_errors",
    "judge_leg",
    "late_because_of",
    "period_bounds",
]

# The column order of the official form (and of the API / CLI / XLSX).
FORM06_COLUMNS: tuple[str, ...] = (
    "received_total", "received_online", "received_direct_postal", "carried_over",
    "resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
    "in_progress_total", "in_progress_within", "in_progress_overdue",
)


@dataclass
class Form06Row:
    """One row of Form 06 (a field — lĩnh vực — or the total)."""

    field: str = ""
    received_total: int = 0
    received_online: int = 0
    received_direct_postal: int = 0
    carried_over: int = 0
    resolved_total: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress_total: int = 0
    in_progress_within: int = 0
    in_progress_overdue: int = 0

    def add(self, other: Form06Row) -> None:
        for name in FORM06_COLUMNS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in FORM06_COLUMNS}

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def late_rate(self) -> Decimal | None:
        """(late resolved + overdue in progress) / received total (docs/domain.md §6); None if nothing."""
        if not self.received_total:
            return None
        return (Decimal(self.resolved_late + self.in_progress_overdue) / self.received_total).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def on_time_rate(self) -> Decimal | None:
        """Decision 766 indicator 2.1: (finished early/on time + open within time) / all handled."""
        if not self.received_total:
            return None
        good = self.resolved_early + self.resolved_on_time + self.in_progress_within
        return (Decimal(good) / self.received_total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def identity_errors(row: Form06Row) -> list[str]:
    """The identities of Form 06 (Circular 01/2020/TT-VPCP): empty when they all hold."""
    errs: list[str] = []
    label = row.field or "Tổng cộng"
    if row.received_total != row.received_online + row.received_direct_postal + row.carried_over:
        errs.append(f"{label}: tổng tiếp nhận ≠ trực tuyến + trực tiếp/bưu chính + kỳ trước chuyển sang")
    if row.resolved_total != row.resolved_early + row.resolved_on_time + row.resolved_late:
        errs.append(f"{label}: đã giải quyết ≠ trước hạn + đúng hạn + quá hạn")
    if row.in_progress_total != row.in_progress_within + row.in_progress_overdue:
        errs.append(f"{label}: đang giải quyết ≠ trong hạn + quá hạn")
    if row.received_total != row.resolved_total + row.in_progress_total:
        errs.append(f"{label}: tổng tiếp nhận ≠ đã giải quyết + đang giải quyết")
    if any(getattr(row, c) < 0 for c in FORM06_COLUMNS):
        errs.append(f"{label}: số âm")
    return errs


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def period_bounds(start: date, end: date, tz: tzinfo | str) -> tuple[datetime, datetime]:
    """[start, end] local dates → [start_moment, end_moment): local midnight of ``start`` and local
    midnight after ``end`` (the end moment is exclusive: "≤ end" means "< end_moment")."""
    if end < start:
        raise DomainError("Ngày kết thúc kỳ báo cáo phải sau ngày bắt đầu.")
    zone = _zone(tz)
    return (datetime.combine(start, time(0), zone),
            datetime.combine(end + timedelta(days=1), time(0), zone))


def form06_bucket(
    *,
    received_at: datetime | None,
    finished_at: datetime | None,
    due_at: datetime | None,
    channel: str,
    supplement_requests: int,
    paused_since: datetime | None,
    start_moment: datetime,
    end_moment: datetime,
    tz: tzinfo | str,
    field: str = "",
) -> Form06Row | None:
    """The Form 06 row (zeros and ones) of one dossier for the period [start_moment, end_moment).

    ``end_moment`` is the moment measured: the period's end, or now for a period not yet over.
    ``due_at`` must be the statutory due time *in force at end_moment*; ``paused_since`` the start of
    a pause open at end_moment (None if the clock was running); ``supplement_requests`` the requests
    made before end_moment; ``finished_at`` the first finish (later finishes are passed as they are:
    a finish at or after end_moment means "open at the end").
    Returns None when the dossier does not count in this period.
    """
    if received_at is None or received_at >= end_moment:
        return None
    if finished_at is not None and finished_at < start_moment:
        return None
    row = Form06Row(field=field, received_total=1)
    if received_at < start_moment:
        row.carried_over = 1
    elif channel == "online":
        row.received_online = 1
    else:
        row.received_direct_postal = 1
    if finished_at is not None and finished_at < end_moment:
        row.resolved_total = 1
        if due_at is None:  # finished without a clock: cannot be late against a deadline
            row.resolved_on_time = 1
            return row
        timing = classify_finished(finished_at, due_at, supplement_requests=supplement_requests, tz=tz)
        if timing is Timing.EARLY:
            row.resolved_early = 1
        elif timing is Timing.ON_TIME:
            row.resolved_on_time = 1
        else:
            row.resolved_late = 1
        return row
    row.in_progress_total = 1
    # More than one supplement request: overdue from the second request on (docs/rules.md,
    # "Form 06 and the on-time rate"; Decision 766/QĐ-TTg indicator 2.1).
    if due_at is not None and supplement_requests > 1:
        row.in_progress_overdue = 1
        return row
    # A pause that began after the deadline does not stop lateness (timing.classify_open).
    paused = paused_since is not None and paused_since <= due_at if due_at is not None else False
    if due_at is None or due_at >= end_moment or paused:
        row.in_progress_within = 1
    else:
        row.in_progress_overdue = 1
    return row


# ---------------------------------------------------------------- liên thông delay attribution

@dataclass(frozen=True)
class LegFacts:
    """One row of the process control slip (HandoffLeg), with what the report needs."""

    dossier_code: str
    seq: int
    agency_id: int
    agency_name: str
    acknowledged_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None
    share_minutes: int | None
    # The start of the dossier's pause open at the moment judged (None: none open).
    paused_since: datetime | None = None


def judge_leg(leg: LegFacts, *, as_of: datetime, calendar: WorkingCalendar) -> tuple[str, int, int]:
    """(verdict, working minutes used, working minutes over the share) for one leg as of ``as_of``.

    The leg's own deadline is its share of the procedure's total time (the internal process approved
    by the province, docs/domain.md §2); it is judged with THE on-time rule. An unfinished leg is
    ``open_late`` once its deadline has passed at ``as_of``, else ``open`` — unless the dossier's
    pause open at ``as_of`` began no later than the leg's deadline: the leg's clock stopped then (its
    working time counts up to the pause), as THE open timing rule stops a dossier's (docs/rules.md
    "Timing" T4, T10). A pause begun after the deadline does not hide the overrun.
    """
    if leg.acknowledged_at is None or leg.acknowledged_at >= as_of:
        return "open", 0, 0
    stop = leg.finished_at if leg.finished_at is not None and leg.finished_at <= as_of else as_of
    still_open = leg.finished_at is None or leg.finished_at > as_of
    stopped_in_time = (still_open and leg.paused_since is not None and leg.due_at is not None
                       and leg.paused_since <= leg.due_at)
    if stopped_in_time and leg.paused_since is not None:
        stop = max(leg.acknowledged_at, min(stop, leg.paused_since))
    used = max(0, calendar.working_minutes_between(leg.acknowledged_at, stop))
    over = 0
    if leg.share_minutes is not None:
        over = max(0, used - leg.share_minutes)
    elif leg.due_at is not None and stop > leg.due_at:
        over = max(0, calendar.working_minutes_between(leg.due_at, stop))
    if leg.finished_at is None or still_open:
        if leg.due_at is not None and as_of > leg.due_at and not stopped_in_time:
            return "open_late", used, over
        return "open", used, over
    if leg.due_at is None:
        return "on_time", used, over
    return classify_finished(leg.finished_at, leg.due_at, tz=calendar.tz).value, used, over


@dataclass
class AgencyDelay:
    """Per agency along liên thông chains: legs on time vs late and working time over its share."""

    agency_id: int
    agency_name: str
    legs: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_late: int = 0
    used_minutes: int = 0
    over_minutes: int = 0
    late_dossiers: set[str] = field(default_factory=set)

    @property
    def late_total(self) -> int:
        return self.late + self.open_late

    @property
    def on_time_total(self) -> int:
        return self.early + self.on_time


def delay_per_agency(
    legs: Iterable[LegFacts], *, as_of: datetime, calendar: WorkingCalendar,
) -> list[AgencyDelay]:
    """Aggregate the legs per receiving agency, most late first."""
    out: dict[int, AgencyDelay] = {}
    for leg in legs:
        verdict, used, over = judge_leg(leg, as_of=as_of, calendar=calendar)
        agg = out.setdefault(leg.agency_id, AgencyDelay(leg.agency_id, leg.agency_name))
        agg.legs += 1
        setattr(agg, verdict, getattr(agg, verdict) + 1)
        agg.used_minutes += used
        agg.over_minutes += over
        if verdict in ("late", "open_late"):
            agg.late_dossiers.add(leg.dossier_code)
    return sorted(out.values(), key=lambda a: (-a.late_total, -a.over_minutes, a.agency_name))


def late_because_of(
    legs: Sequence[LegFacts], *, as_of: datetime, calendar: WorkingCalendar,
) -> list[tuple[str, int]]:
    """For ONE late dossier: the agencies whose legs overran their share, with the working minutes
    over, largest first. Empty when every leg kept its share (the delay was then at the desk or in
    time not covered by a leg)."""
    over_by: dict[str, int] = {}
    for leg in legs:
        verdict, _used, over = judge_leg(leg, as_of=as_of, calendar=calendar)
        if verdict in ("late", "open_late") or over > 0:
            over_by[leg.agency_name] = over_by.get(leg.agency_name, 0) + over
    return sorted(over_by.items(), key=lambda kv: (-kv[1], kv[0]))


def _names() -> tuple[str, ...]:  # pragma: no cover - keeps the dataclass and the tuple in step
    return tuple(f.name for f in fields(Form06Row) if f.name != "field")


assert _names() == FORM06_COLUMNS
