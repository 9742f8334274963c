"""Sentences from domain data, in the request's language.

The domain and the services hand over *what* to say — a "why this date" trace step (a kind and its
values, :class:`onestop.domain.deadlines.TraceStep`), the working time left
(:class:`onestop.domain.timing.TimeLeft`), a status note's kind, a timeline action — and this module
says it through Flask-Babel: one path, the Vietnamese msgid the source and the English catalogue
the translation (docs/architecture.md §4). Dates stay dd/mm/yyyy in the agency's zone in both
languages (docs/architecture.md §4); decimal numbers take the locale's mark (``0,5`` / ``0.5``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import Environment

from ..domain.calendar import WEEKDAY_NAMES
from ..domain.deadlines import LimitUnit, TraceKind, TraceStep
from ..domain.scoring import ScoringRule
from ..domain.status import STATUS_LABELS_VI, DossierAction, DossierStatus
from ..domain.timing import TimeLeft, Timing
from ..services.dossiers.estimates import Estimate
from ..services.dossiers.reception_panel import Panel
from ..services.errors import Sentence
from ..services.public.lookup import LookupTexts, LookupView, NoteKind, TimelineStep

__all__ = [
    "closed_reason_text",
    "duration_text",
    "error_text",
    "estimate_text",
    "panel_json",
    "limit_text",
    "lookup_texts",
    "notification_lines",
    "register",
    "same_day_reason",
    "scoring_rule_text",
    "status_note",
    "time_left_text",
    "to_bring",
    "trace_lines",
]


# ---------------------------------------------------------------- small pieces

# Flask-Babel's gettext and ngettext, typed, reading the request's catalogue directly: the same
# lookup and %-formatting, without the extra context look-ups of going through the domain object
# (a trace says some 15 sentences).
def _(message: str, **values: Any) -> str:
    text = str(get_translations().ugettext(message))
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    values.setdefault("num", num)
    return str(get_translations().ungettext(singular, plural, num)) % values


def _d(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def _dt(t: datetime) -> str:
    return f"{t:%d/%m/%Y %H:%M}"


def _hm(t: time | datetime) -> str:
    return f"{t:%H:%M}"


def _number(x: Decimal | int) -> str:
    """5 → "5", 1.50 → "1,5" (vi) / "1.5" (en): no trailing zeros, the locale's decimal mark."""
    value = Decimal(x).normalize()
    # The request's Locale object, not its name: Babel loads a named locale's data on every call.
    return str(format_decimal(value, format="#,##0.###", locale=get_locale() or "vi"))


# Monday first, as date.weekday() counts: the calendar's names (WEEKDAY_NAMES), in the catalogue.
_WEEKDAYS = (_l("Thứ Hai"), _l("Thứ Ba"), _l("Thứ Tư"), _l("Thứ Năm"), _l("Thứ Sáu"), _l("Thứ Bảy"),
             _l("Chủ nhật"))


def weekday(d: date) -> str:
    return str(_WEEKDAYS[d.weekday()])


def duration_text(minutes: int) -> str:
    """225 → "3 giờ 45 phút" / "3 h 45 min"."""
    h, m = divmod(int(minutes), 60)
    if h and m:
        return _("%(h)s giờ %(m)s phút", h=h, m=m)
    return _("%(m)s phút", m=m) if m else _("%(h)s giờ", h=h)


# ---------------------------------------------------------------- why a day is closed or open

# The national holidays' names as onestop/domain/calendar.py gives them (Labour Code 2019 art. 112).
_HOLIDAYS: dict[str, Any] = {
    "Ngày Giải phóng miền Nam, thống nhất đất nước": _l("Ngày Giải phóng miền Nam, thống nhất đất nước"),
    "Ngày Quốc tế Lao động": _l("Ngày Quốc tế Lao động"),
    "Ngày Văn hóa Việt Nam": _l("Ngày Văn hóa Việt Nam"),
    "Giỗ Tổ Hùng Vương": _l("Giỗ Tổ Hùng Vương"),
    "Tết Nguyên đán": _l("Tết Nguyên đán"),
    "Tết Dương lịch": _l("Tết Dương lịch"),
    "Quốc khánh": _l("Quốc khánh"),
}
_HOLIDAY_RE = re.compile("(Nghỉ bù )?(" + "|".join(re.escape(k) for k in _HOLIDAYS) + ")")
_SWAP_OFF_RE = re.compile(r"^Nghỉ bù \(hoán đổi ngày làm việc, làm bù ngày (\d{2}/\d{2}/\d{4})\)$")
_SWAP_WORK_RE = re.compile(r"^Làm việc bù cho ngày nghỉ (\d{2}/\d{2}/\d{4}) \(hoán đổi ngày làm việc\)$")


def _holiday(m: re.Match[str]) -> str:
    name = str(_HOLIDAYS[m.group(2)])
    return _("Nghỉ bù %(name)s", name=name) if m.group(1) else name


def closed_reason_text(reason: str) -> str:
    """The calendar's reason for a closed (or opened) day in the request's language: weekdays,
    national holidays and the Government's swaps are translated; a note an admin typed is data and
    stays as typed."""
    if reason in WEEKDAY_NAMES:
        return str(_WEEKDAYS[WEEKDAY_NAMES.index(reason)])
    if reason == "Nghỉ bù (hoán đổi ngày làm việc)":
        return _("Nghỉ bù (hoán đổi ngày làm việc)")
    if reason == "Ngày làm việc bù (hoán đổi ngày làm việc)":
        return _("Ngày làm việc bù (hoán đổi ngày làm việc)")
    m = _SWAP_OFF_RE.match(reason)
    if m:
        return _("Nghỉ bù (hoán đổi ngày làm việc, làm bù ngày %(date)s)", date=m.group(1))
    m = _SWAP_WORK_RE.match(reason)
    if m:
        return _("Làm việc bù cho ngày nghỉ %(date)s (hoán đổi ngày làm việc)", date=m.group(1))
    return _HOLIDAY_RE.sub(_holiday, reason)


# ---------------------------------------------------------------- the "why this date" trace

_CHANNELS = {"online": _l("trực tuyến"), "postal": _l("qua bưu chính công ích")}


def limit_phrase(amount: Decimal | int, unit: LimitUnit | str) -> str:
    """"5 ngày làm việc" / "5 working days"."""
    u = LimitUnit(unit)
    n = 1 if Decimal(amount) == 1 else 2  # only the plural form; the value is shown as formatted
    num = _number(amount)
    if u is LimitUnit.WORKING_HOURS:
        return ngettext("%(amount)s giờ làm việc", "%(amount)s giờ làm việc", n, amount=num)
    if u is LimitUnit.CALENDAR_DAYS:
        return ngettext("%(amount)s ngày (theo lịch)", "%(amount)s ngày (theo lịch)", n, amount=num)
    return ngettext("%(amount)s ngày làm việc", "%(amount)s ngày làm việc", n, amount=num)


def _limit_line(p: Mapping[str, Any]) -> str:
    amount = Decimal(p["amount"])
    unit = LimitUnit(p["unit"])
    basis = str(p.get("legal_basis") or "")
    minutes = p.get("minutes")
    if amount == 0 and unit is LimitUnit.WORKING_DAYS:
        text = _("Thời hạn: trả trong ngày (kết quả trả trong ngày bắt đầu tính thời hạn)")
    elif unit is LimitUnit.WORKING_DAYS and minutes is not None:
        text = _("Thời hạn: %(limit)s = %(duration)s làm việc", limit=limit_phrase(amount, unit),
                 duration=duration_text(int(minutes)))
    else:
        text = _("Thời hạn: %(limit)s", limit=limit_phrase(amount, unit))
    return _("%(text)s (căn cứ %(basis)s)", text=text, basis=basis) if basis else text


def _received(p: Mapping[str, Any]) -> str:
    at: datetime = p["at"]
    channel = str(p.get("channel") or "direct")
    if channel in _CHANNELS:
        return _("Tiếp nhận: %(at)s (%(weekday)s), %(channel)s", at=_dt(at), weekday=weekday(at.date()),
                 channel=str(_CHANNELS[channel]))
    return _("Tiếp nhận: %(at)s (%(weekday)s)", at=_dt(at), weekday=weekday(at.date()))


def _pause(p: Mapping[str, Any]) -> str:
    span = {"start": _dt(p["start"]), "end": _dt(p["end"])}
    if p.get("ignored"):
        return _("Tạm dừng %(start)s → %(end)s bắt đầu sau hạn: không được tính", **span)
    reason = str(p.get("reason") or "")
    duration = duration_text(int(p["minutes"]))
    if reason:
        return _("Tạm dừng: %(start)s → %(end)s (%(duration)s làm việc), lý do: %(reason)s",
                 duration=duration, reason=reason, **span)
    return _("Tạm dừng: %(start)s → %(end)s (%(duration)s làm việc)", duration=duration, **span)


def _calendar_count(p: Mapping[str, Any]) -> str:
    return ngettext("Tính theo ngày: %(start)s + %(num)s ngày = %(end)s (Bộ luật Dân sự 2015, Điều 147)",
                    "Tính theo ngày: %(start)s + %(num)s ngày = %(end)s (Bộ luật Dân sự 2015, Điều 147)",
                    int(p["days"]), start=_d(p["from"]), end=_d(p["to"]))


def _calendar_rollover(p: Mapping[str, Any]) -> str:
    return _("Ngày cuối %(date)s là ngày nghỉ (%(reason)s): chuyển sang ngày làm việc tiếp theo %(next)s "
             "(Bộ luật Dân sự 2015, Điều 148)", date=_d(p["from"]), next=_d(p["to"]),
             reason=closed_reason_text(str(p["reason"])))


# The line of each step that is not part of a run of days.
_SINGLE: dict[TraceKind, Callable[[Mapping[str, Any]], str]] = {
    TraceKind.RECEIVED: _received,
    TraceKind.BEFORE_OPEN: lambda p: _("Tiếp nhận trước giờ làm việc: tính từ %(time)s cùng ngày",
                                       time=_hm(p["opening"])),
    TraceKind.LUNCH: lambda p: _("Tiếp nhận trong giờ nghỉ trưa: tính từ %(time)s cùng ngày",
                                 time=_hm(p["resume"])),
    TraceKind.AFTER_CLOSE: lambda p: _(
        "Tiếp nhận sau giờ làm việc (%(time)s): tính từ ngày làm việc tiếp theo", time=_hm(p["closing"])),
    TraceKind.AFTER_CUTOFF: lambda p: _(
        "Tiếp nhận sau %(time)s (giờ chốt của thủ tục): tính từ ngày làm việc tiếp theo",
        time=_hm(p["cutoff"])),
    TraceKind.ONLINE_OUTSIDE_HOURS: lambda p: _(
        "Nộp trực tuyến ngoài giờ làm việc: tính từ ngày làm việc tiếp theo"),
    TraceKind.NON_WORKING_DAY: lambda p: _(
        "%(date)s là ngày nghỉ (%(reason)s): tính từ ngày làm việc tiếp theo", date=_d(p["date"]),
        reason=closed_reason_text(str(p["reason"]))),
    TraceKind.CLOCK_START: lambda p: _("Bắt đầu tính: %(at)s (%(weekday)s)", at=_dt(p["at"]),
                                       weekday=weekday(p["at"].date())),
    TraceKind.LIMIT: _limit_line,
    TraceKind.CALENDAR_COUNT: _calendar_count,
    TraceKind.CALENDAR_ROLLOVER: _calendar_rollover,
    TraceKind.PAUSE: _pause,
    TraceKind.FRACTION_DAY: lambda p: _(
        "Tiếp theo %(duration)s làm việc của ngày %(date)s (phần lẻ của ngày làm việc)",
        duration=duration_text(int(p["minutes"])), date=_d(p["date"])),
    TraceKind.NOMINAL_DUE: lambda p: _("Hạn nếu không tạm dừng: %(at)s", at=_dt(p["at"])),
    TraceKind.DUE: lambda p: _("Hạn trả kết quả: %(at)s", at=_dt(p["at"])),
}


def _run_key(step: TraceStep) -> str:
    """Consecutive steps with the same key are said in one line."""
    if step.kind == TraceKind.SKIPPED_DAY:
        return "skip"
    if step.kind == TraceKind.COUNT_DAY:
        return "count"
    if step.kind == TraceKind.WORKING_SATURDAY and step.params.get("n") is not None:
        return "saturday"
    return str(step.kind)


def _skipped(run: Sequence[TraceStep]) -> str:
    days = [(s.params["date"], closed_reason_text(str(s.params["reason"]))) for s in run]
    if len(days) == 1:
        return _("Bỏ qua %(date)s: %(reason)s", date=_d(days[0][0]), reason=days[0][1])
    # Consecutive days sharing a reason read as one: "Tết Nguyên đán (16/02–20/02)".
    groups: list[tuple[date, date, str]] = []
    for d, why in days:
        if groups and groups[-1][2] == why and groups[-1][1] + timedelta(days=1) == d:
            groups[-1] = (groups[-1][0], d, why)
        else:
            groups.append((d, d, why))
    parts = [f"{why} ({a:%d/%m})" if a == b else f"{why} ({a:%d/%m}–{b:%d/%m})" for a, b, why in groups]
    return _("Bỏ qua %(start)s – %(end)s: %(reasons)s", start=_d(days[0][0]), end=_d(days[-1][0]),
             reasons=", ".join(parts))


def _working_weekend(step: TraceStep) -> str:
    d: date = step.params["date"]
    values = {"date": _d(d), "weekday": weekday(d), "reason": closed_reason_text(str(step.params["reason"]))}
    n = step.params.get("n")
    if n is None:
        return _("%(date)s (%(weekday)s) là ngày làm việc: %(reason)s", **values)
    return _("%(date)s (%(weekday)s) là ngày làm việc: %(reason)s — được tính (ngày làm việc thứ %(n)s)",
             n=n, **values)


def _counted(run: Sequence[TraceStep]) -> str:
    first, last = run[0].params, run[-1].params
    if first["n"] == last["n"]:
        return _("Ngày làm việc thứ %(n)s: %(date)s", n=first["n"], date=_d(first["date"]))
    return _("Ngày làm việc thứ %(first)s–%(last)s: %(start)s – %(end)s", first=first["n"], last=last["n"],
             start=_d(first["date"]), end=_d(last["date"]))


def trace_lines(steps: Iterable[TraceStep]) -> list[str]:
    """The "why this date" lines of a computed due date (``DueDate.steps``), in the request's
    language; runs of counted and of skipped days are said in one line each."""
    todo = list(steps)
    lines: list[str] = []
    i = 0
    while i < len(todo):
        step = todo[i]
        j = i
        if step.kind in (TraceKind.COUNT_DAY, TraceKind.SKIPPED_DAY, TraceKind.WORKING_SATURDAY):
            while j + 1 < len(todo) and _run_key(todo[j + 1]) == _run_key(step):
                j += 1
            run = todo[i:j + 1]
            if step.kind == TraceKind.SKIPPED_DAY:
                lines.append(_skipped(run))
            elif step.kind == TraceKind.COUNT_DAY:
                lines.append(_counted(run))
            else:
                lines.extend(_working_weekend(s) for s in run)
        elif step.kind in _SINGLE:
            lines.append(_SINGLE[step.kind](step.params))
        i = j + 1
    return lines


# ---------------------------------------------------------------- time left, timing, status

def _span(left: TimeLeft) -> str:
    """The two largest units: "1 ngày 3 giờ" / "1 day 3 h", "3 giờ 20 phút", "45 phút"."""
    if left.days:
        days = ngettext("%(num)s ngày", "%(num)s ngày", left.days)
        return f"{days} {_('%(h)s giờ', h=left.hours)}" if left.hours else days
    return duration_text(left.hours * 60 + left.mins)


def time_left_text(left: TimeLeft | None, *, paused: bool = False) -> str:
    """"Còn 1 ngày 3 giờ" / "1 day 3 h left", "Quá 2 ngày" / "2 days late"; the paused wording while
    the clock is stopped; "" without a running clock."""
    if paused:
        return _("Tạm dừng tính thời gian trong lúc chờ công dân")
    if left is None:
        return ""
    if left.minutes == 0:
        return _("Quá hạn") if left.overdue else _("Đến hạn")
    return _("Quá %(time)s", time=_span(left)) if left.late else _("Còn %(time)s", time=_span(left))


# The citizen's words for the timing (the staff badge says it shorter, services/dossiers/queries.py).
CITIZEN_TIMING = {
    Timing.WITHIN: _l("Trong hạn"),
    Timing.DUE_SOON: _l("Sắp đến hạn"),
    Timing.OVERDUE: _l("Quá hạn"),
    Timing.PAUSED: _l("Tạm dừng tính thời gian"),
    Timing.EARLY: _l("Trả trước hạn"),
    Timing.ON_TIME: _l("Đúng hạn"),
    Timing.LATE: _l("Trễ hạn"),
}


def timing_text(timing: str | None) -> str:
    return str(CITIZEN_TIMING[Timing(timing)]) if timing else ""


def status_text(status: str) -> str:
    return _(STATUS_LABELS_VI[DossierStatus(status)])


# The timeline in the citizen's words (docs/guide-citizen.md): what happened to *their* dossier,
# without the desk's vocabulary (liên thông, phân công, chuyển xử lý).
CITIZEN_ACTIONS = {
    DossierAction.SUBMIT_ONLINE: _l("Ông/bà đã nộp hồ sơ trực tuyến"),
    DossierAction.RECEIVE: _l("Bộ phận một cửa đã nhận hồ sơ của ông/bà"),
    DossierAction.REQUEST_SUPPLEMENT: _l("Ông/bà cần bổ sung giấy tờ"),
    DossierAction.PROVIDE_SUPPLEMENT: _l("Ông/bà đã bổ sung giấy tờ"),
    DossierAction.REFUSE: _l("Hồ sơ không được nhận"),
    DossierAction.TRANSFER: _l("Hồ sơ được gửi đến cơ quan giải quyết"),
    DossierAction.ASSIGN: _l("Cán bộ bắt đầu xem xét hồ sơ"),
    DossierAction.REQUEST_PAYMENT: _l("Ông/bà cần nộp phí, lệ phí hoặc thuế"),
    DossierAction.CONFIRM_PAYMENT: _l("Đã nhận khoản ông/bà nộp"),
    DossierAction.HAND_OFF: _l("Hồ sơ được gửi sang cơ quan khác cùng giải quyết"),
    DossierAction.ACKNOWLEDGE: _l("Cơ quan cùng giải quyết đã nhận hồ sơ"),
    DossierAction.HAND_BACK: _l("Cơ quan cùng giải quyết đã xong phần việc của mình"),
    DossierAction.APOLOGISE: _l("Cơ quan xin lỗi vì chậm và hẹn ngày trả mới"),
    DossierAction.STOP: _l("Hồ sơ bị dừng giải quyết"),
    DossierAction.COMPLETE: _l("Đã có kết quả"),
    DossierAction.RETURN_RESULT: _l("Ông/bà đã nhận kết quả"),
    DossierAction.WITHDRAW: _l("Ông/bà đã rút hồ sơ"),
    DossierAction.REPLAN: _l("Ngày hẹn trả được tính lại"),
    DossierAction.REISSUE_SECRET: _l("Ông/bà được cấp lại mã tra cứu"),
}


def timeline_label(step: TimelineStep) -> str:
    return str(CITIZEN_ACTIONS[DossierAction(step.action)])


def timeline_detail(step: TimelineStep) -> str:
    """The reason the agency gave (data, as typed), or where the dossier was sent."""
    if step.to_agency:
        return _("Gửi đến %(agency)s", agency=step.to_agency)
    return step.reason


_PAUSES = {"supplement": _l("Chờ công dân bổ sung giấy tờ"),
           "payment": _l("Chờ công dân thực hiện nghĩa vụ tài chính")}


def pause_label(kind: str) -> str:
    return str(_PAUSES[kind]) if kind in _PAUSES else kind


def to_bring(fee: str) -> list[str]:
    """What to bring to the desk when collecting the result (Decree 61/2018 art. 21 as replaced by
    Decree 118/2025: the result is handed over against the receipt and the collector's identity)."""
    out = [_("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (có mã hồ sơ này)"),
           _("Căn cước / CCCD (hoặc giấy tờ tùy thân còn giá trị) của người nhận"),
           _("Văn bản ủy quyền nếu người khác nhận thay")]
    fee = (fee or "").strip()
    if fee and not fee.startswith("0"):
        out.append(_("Phí, lệ phí (nếu chưa nộp): %(fee)s", fee=fee))
    return out


def _processing_note(view: LookupView) -> str:
    where = _("Hồ sơ đang được xử lý tại %(agency)s.", agency=view.current_agency)
    left = view.left
    if left is None:
        return where
    if left.minutes == 0:
        after = _("Đã quá hạn trả kết quả.") if left.overdue else _("Đã đến hạn trả kết quả.")
    elif left.late:
        after = _("Quá %(time)s so với ngày hẹn trả.", time=_span(left))
    else:
        after = _("Còn %(time)s thời gian làm việc.", time=_span(left))
    return f"{where} {after}"


def status_note(view: LookupView) -> str:
    """One or two sentences a citizen understands (Open311 ``status_notes``)."""
    k = view.note
    if k is NoteKind.PROCESSING:
        return _processing_note(view)
    if k is NoteKind.RESULT_READY:
        return _("Đã có kết quả. Mời ông/bà đến %(agency)s để nhận kết quả.", agency=view.receiving_agency)
    return str(_NOTES[k])


_NOTES = {
    NoteKind.NEW_ONLINE: _l("Hồ sơ đăng ký trực tuyến đang chờ bộ phận một cửa kiểm tra và tiếp nhận."),
    NoteKind.INCOMPLETE: _l("Hồ sơ chưa đủ giấy tờ: vui lòng bổ sung theo phiếu yêu cầu để được tiếp nhận."),
    NoteKind.REFUSED: _l("Hồ sơ không được tiếp nhận. Xem lý do trong các bước xử lý."),
    NoteKind.WITHDRAWN: _l("Hồ sơ đã được rút theo đề nghị của công dân."),
    NoteKind.STOPPED: _l("Cơ quan đã dừng xử lý hồ sơ (có thông báo nêu lý do)."),
    NoteKind.RETURNED: _l("Đã trả kết quả. Cảm ơn ông/bà; mời đánh giá mức độ hài lòng."),
    NoteKind.SUPPLEMENT_AFTER_LATE: _l("Cơ quan đang chờ ông/bà bổ sung giấy tờ. Hồ sơ đã được tính là quá "
                                       "hạn giải quyết; thời gian chờ không làm thay đổi điều này."),
    NoteKind.PAYMENT_AFTER_LATE: _l("Cơ quan đang chờ ông/bà thực hiện nghĩa vụ tài chính. Hồ sơ đã được "
                                    "tính là quá hạn giải quyết; thời gian chờ không làm thay đổi điều này."),
    NoteKind.AWAITING_SUPPLEMENT: _l("Cơ quan đang chờ ông/bà bổ sung giấy tờ; thời gian chờ không tính vào "
                                     "thời hạn giải quyết."),
    NoteKind.AWAITING_PAYMENT: _l("Cơ quan đang chờ ông/bà thực hiện nghĩa vụ tài chính; thời gian chờ không "
                                  "tính vào thời hạn."),
}


def lookup_texts(view: LookupView) -> LookupTexts:
    return LookupTexts(status_label=status_text(view.status), timing_label=timing_text(view.timing),
                       time_left_label=time_left_text(view.left, paused=view.paused),
                       status_notes=status_note(view))


# ---------------------------------------------------------------- the receipt and the reception panel

def limit_text(limit: Decimal | None, unit: str | None) -> str:
    """"5 ngày làm việc", "4 giờ làm việc", "trả trong ngày" (a 0-day limit, docs/domain.md §5)."""
    if limit is None or unit is None:
        return ""
    if Decimal(limit) == 0 and unit == LimitUnit.WORKING_DAYS.value:
        return _("trả trong ngày")
    return limit_phrase(limit, unit)


def same_day_reason(cutoff: time | None) -> str:
    """Why "trả trong ngày" (Decree 61/2018 art. 18; the procedure's published limit): the result is
    due at the close of the day of receipt, or of the next working day after the cut-off."""
    if cutoff is not None:
        return _("Thủ tục giải quyết trong ngày: nhận trước %(time)s ngày làm việc thì trả trước giờ "
                 "kết thúc ngày đó; nhận sau %(time)s thì trả trong ngày làm việc tiếp theo.",
                 time=_hm(cutoff))
    return _("Thủ tục giải quyết trong ngày: trả kết quả trước giờ kết thúc ngày làm việc nhận hồ sơ.")


def _working_days(n: int) -> str:
    if n == 0:
        return _("trong ngày")
    return ngettext("trong %(num)s ngày làm việc", "trong %(num)s ngày làm việc", n)


def estimate_text(est: Estimate | None) -> str:
    """The label printed beside the statutory date, never instead of it (services/dossiers/estimates.py);
    "" without an estimate."""
    if est is None:
        return ""
    return _("Ước tính: thường xong %(usual)s; 9/10 hồ sơ xong %(most)s (%(cases)s hồ sơ, "
             "%(window)s ngày qua). Chỉ để tham khảo — ngày hẹn trả theo quy định là ngày ghi trên giấy hẹn.",
             usual=_working_days(est.median_whole), most=_working_days(est.p90_whole), cases=est.cases,
             window=est.window_days)


def due_text(at: datetime) -> str:
    """"17:00 ngày 09/03/2026" / "17:00 on 09/03/2026" (``at`` already in the agency's zone)."""
    return _("%(time)s ngày %(date)s", time=_hm(at), date=_d(at.date()))


def panel_json(panel: Panel) -> dict[str, Any]:
    """The reception panel as the form's script reads it (static/js/reception.js)."""
    return {"code": panel.code, "name": panel.name, "limit_text": limit_text(panel.limit, panel.unit),
            "same_day": panel.same_day,
            "same_day_reason": same_day_reason(panel.cutoff) if panel.same_day else "",
            "fee": panel.fee, "chain": panel.chain, "resolver": panel.resolver,
            "due_at": panel.due_at.isoformat() if panel.due_at else None,
            "due_text": due_text(panel.due_at) if panel.due_at else "", "why": trace_lines(panel.why),
            "estimate": estimate_text(panel.estimate), "error": panel.error}


def _percent(rate_: Decimal) -> str:
    return _number((rate_ * 100).quantize(Decimal(1)))


def scoring_rule_text(rule: ScoringRule) -> str:
    """How a criterion gives its points (docs/domain.md §6): "Tối đa 4 điểm khi đạt ≥ 80%; thấp hơn:
    tỷ lệ × 4 / 80%", or the tiers "≥ 100%: 2 điểm; ≥ 95%: 1,5 điểm; …; thấp hơn: 0"."""
    if rule.kind == "proportional":
        t = rule.threshold if rule.threshold is not None else Decimal(1)
        return _("Tối đa %(points)s điểm khi đạt ≥ %(threshold)s%%; thấp hơn: tỷ lệ × %(points)s / "
                 "%(threshold)s%%", points=_number(rule.max_points), threshold=_percent(t))
    tiers = [_("≥ %(threshold)s%%: %(points)s điểm", threshold=_percent(b), points=_number(p))
             for b, p in sorted(rule.tiers, reverse=True)]
    return _("%(tiers)s; thấp hơn: 0", tiers="; ".join(tiers))


def label_text(label: str) -> str:
    """A label the code keeps as data — a 766 indicator's formula (onestop/domain/index766.py
    FORMULAS), a measure's name (services/reporting/scores.py MEASURES) — in the catalogue through
    onestop/translations/runtime_strings.py. Not through Jinja's _(), which %-formats: the
    satisfaction formula reads "100% − % …"."""
    return _(label)


# ---------------------------------------------------------------- in-app notifications

# What each kind of notification says, with its values named (services/notify/events.py and
# services/dossiers/scanning.py store the kind and the values).
_NOTIFICATION_SENTENCES: dict[str, str] = {
    "assigned": _l("Hồ sơ %(code)s được giao cho bạn: %(procedure)s — %(applicant)s."),
    "handed_to_agency": _l("Hồ sơ %(code)s được chuyển đến cơ quan của bạn: %(procedure)s. "
                           "Vui lòng phân công xử lý."),
    "acknowledged": _l("Cơ quan nhận đã xác nhận nhận hồ sơ %(code)s."),
    "result_ready": _l("Hồ sơ %(code)s đã có kết quả, chờ trả cho %(applicant)s."),
    "overdue": _l("Hồ sơ %(code)s đã quá hạn giải quyết. Cần ban hành văn bản xin lỗi và hẹn lại ngày "
                  "trả kết quả (nếu chưa) và ưu tiên xử lý."),
    "due_soon": _l("Hồ sơ %(code)s sắp đến hạn (còn không quá 1 ngày làm việc). Nếu không kịp, phải ban "
                   "hành văn bản xin lỗi và hẹn lại ngày trả kết quả chậm nhất 01 ngày làm việc trước hạn "
                   "(NĐ 118/2025)."),
    "leg_overdue": _l("Hồ sơ liên thông %(code)s đã quá thời hạn của cơ quan anh/chị trong quy trình "
                      "liên thông."),
    "feedback_overdue": _l("Phản ánh, kiến nghị %(code)s đã quá hạn trả lời."),
    "supplement_lapsed": _l("Hồ sơ %(code)s đã hết thời hạn bổ sung và công dân đã được nhắc nhưng chưa bổ "
                            "sung. Đề nghị liên hệ công dân hoặc xem xét dừng giải quyết."),
}
_CALENDAR_PROBLEMS: dict[str, str] = {
    "year_missing": _l("Lịch làm việc chưa có năm %(year)s."),
    "no_tet": _l("Lịch làm việc năm %(year)s chưa có ngày nghỉ Tết Nguyên đán."),
}


def _iso_day(value: Any) -> str:
    return _d(date.fromisoformat(str(value)))


def _digest_lines(p: Mapping[str, Any]) -> list[str]:
    lines = [_("Tổng hợp ngày %(day)s: %(overdue)s hồ sơ quá hạn, %(due_soon)s hồ sơ sắp đến hạn.",
               day=_iso_day(p["day"]), overdue=p["overdue"], due_soon=p["due_soon"])]
    for dept in p.get("departments") or ():
        lines.append(_("%(name)s: quá hạn %(overdue)s, sắp đến hạn %(due_soon)s", name=dept["name"],
                       overdue=dept["overdue"], due_soon=dept["due_soon"]))
        lines += [_("  - %(name)s: quá hạn %(overdue)s, sắp đến hạn %(due_soon)s",
                    name=person["name"] or _("Chưa phân công"), overdue=person["overdue"],
                    due_soon=person["due_soon"]) for person in dept.get("people") or ()]
    return lines


def _calendar_lines(p: Mapping[str, Any]) -> list[str]:
    if p.get("problem") == "tet_unconfirmed":
        return [_("Ngày nghỉ Tết Nguyên đán năm %(year)s trong lịch làm việc (%(first)s–%(last)s) là ngày dự "
                  "kiến theo gói lịch (holidays), chưa được xác nhận. Đề nghị đối chiếu với thông báo của "
                  "Chính phủ rồi xác nhận, hoặc sửa bằng ngày ngoại lệ, trong mục Quản trị › Lịch làm việc.",
                  year=p["year"], first=_iso_day(p["first"]), last=_iso_day(p["last"]))]
    problem = str(_CALENDAR_PROBLEMS[str(p["problem"])]) % {"year": p["year"]}
    return [problem + " " + _("Đề nghị cập nhật gói lịch (holidays) hoặc nhập ngày nghỉ Tết theo thông báo "
                              "của Chính phủ trong mục Quản trị › Lịch làm việc, để hạn giải quyết được "
                              "tính đúng.")]


def notification_lines(kind: str, params: Mapping[str, Any] | None, message: str = "") -> list[str]:
    """What an in-app notification says, line by line (a digest has one line per department and
    person). A row raised before its values were stored (no ``params``) says its stored sentence."""
    if params is None:
        return message.splitlines() or [message]
    if kind == "digest":
        return _digest_lines(params)
    if kind == "calendar":
        return _calendar_lines(params)
    if kind == "handed_back":
        if params.get("note"):
            return [_("Hồ sơ %(code)s được trả lại cơ quan của bạn sau liên thông: %(note)s", **params)]
        return [_("Hồ sơ %(code)s được trả lại cơ quan của bạn sau liên thông", code=params["code"])]
    sentence = _NOTIFICATION_SENTENCES.get(kind)
    if sentence is None:
        return [message]
    # The lazy string says the catalogue's sentence unformatted; the values are named in it.
    return [str(sentence) % params]


# ---------------------------------------------------------------- service errors

def error_text(message: str) -> str:
    """What a service refused, in the reader's language: a :class:`Sentence` through the catalogue
    with its values; any other text through the catalogue when it is there, else as it is."""
    if isinstance(message, Sentence):
        # A value that is a sentence itself (a criterion's name) is said in the same language.
        return _(message.msgid, **{k: error_text(v) if isinstance(v, Sentence) else v
                                   for k, v in message.values.items()})
    return _(message) if message else message


def register(env: Environment) -> None:
    """Template globals: every template says these things the same way."""
    env.globals.update(
        say_trace=trace_lines, say_time_left=time_left_text, say_timing=timing_text, say_status=status_text,
        say_note=status_note, say_timeline_label=timeline_label, say_timeline_detail=timeline_detail,
        say_pause=pause_label, say_to_bring=to_bring, say_limit=limit_text,
        say_same_day_reason=same_day_reason, say_due=due_text, say_estimate=estimate_text,
        say_closed_reason=closed_reason_text, say_rule=scoring_rule_text,
        say_label=label_text, say_notification=notification_lines,
    )
