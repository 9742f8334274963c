"""The sentences the domain's data is said in (onestop/web/sentences.py): the "why this date" trace,
the working time left, the estimate — Vietnamese by default, English through the catalogue
(docs/architecture.md §4). No database: a bare Flask app with the project's catalogue."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from onestop.domain.calendar import WEEKDAY_NAMES, WorkingCalendar
from onestop.domain.deadlines import DeadlineRule, LimitUnit, Pause, compute_due
from onestop.domain.timing import TimeLeft, time_left
from onestop.web import sentences

ROOT = Path(__file__).resolve().parents[2]
ICT = timezone(timedelta(hours=7))
CAL = WorkingCalendar.national(2024, 2026)


@pytest.fixture(scope="module")
def babel_app() -> Flask:
    app = Flask("sentences")
    app.config.update(BABEL_DEFAULT_LOCALE="vi",
                      BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "onestop" / "translations"))
    Babel(app)
    return app


@pytest.fixture
def say(babel_app: Flask) -> Iterator[Callable[..., Any]]:
    """``say(fn, *args, locale="vi")``: call a renderer in a request of that language."""
    def call(fn: Callable[..., Any], *args: Any, locale: str = "vi", **kw: Any) -> Any:
        with force_locale(locale):
            return fn(*args, **kw)

    with babel_app.test_request_context():
        yield call


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ICT)


def days(n: int | str, cutoff: time | None = None, legal_basis: str = "") -> DeadlineRule:
    return DeadlineRule(Decimal(n), LimitUnit.WORKING_DAYS, cutoff=cutoff, legal_basis=legal_basis)


def calendar_days(n: int) -> DeadlineRule:
    return DeadlineRule(Decimal(n), LimitUnit.CALENDAR_DAYS)


# ---------------------------------------------------------------- the "why this date" trace

def test_trace_lists_skipped_tet_days_with_reasons(say: Any) -> None:
    rule = days(5, legal_basis="Nghị định 118/2025/NĐ-CP")
    lines = say(sentences.trace_lines, compute_due(at(2026, 2, 12, 10), rule, CAL).steps)
    text = "\n".join(lines)
    assert lines[0] == "Tiếp nhận: 12/02/2026 10:00 (Thứ Năm)"
    assert "Bắt đầu tính: 12/02/2026 10:00 (Thứ Năm)" in lines
    assert "Thời hạn: 5 ngày làm việc (căn cứ Nghị định 118/2025/NĐ-CP)" in lines
    skip = next(line for line in lines if line.startswith("Bỏ qua 14/02/2026 – 22/02/2026"))
    for reason in ("Thứ Bảy", "Chủ nhật", "Tết Nguyên đán"):
        assert reason in skip
    assert "16/02–20/02" in skip
    assert lines[-1] == "Hạn trả kết quả: 26/02/2026 17:00"
    assert "Ngày làm việc thứ 2–5: 23/02/2026 – 26/02/2026" in text


def test_trace_in_english(say: Any) -> None:
    lines = say(sentences.trace_lines, compute_due(at(2026, 2, 12, 10), days(5), CAL).steps, locale="en")
    assert lines[0] == "Received: 12/02/2026 10:00 (Thursday)"
    assert lines[-1] == "Due: 26/02/2026 17:00"
    assert "Time limit: 5 working days" in lines
    assert any("Saturday (14/02)" in line and "Lunar New Year (16/02–20/02)" in line for line in lines)
    assert "Working days 2–5: 23/02/2026 – 26/02/2026" in lines


def test_trace_of_a_fractional_limit(say: Any) -> None:
    steps = compute_due(at(2026, 3, 2, 9), days("1.5"), CAL).steps
    lines = say(sentences.trace_lines, steps)
    assert "Ngày làm việc thứ 1: 03/03/2026" in lines
    assert "Thời hạn: 1,5 ngày làm việc" in lines  # the Vietnamese decimal comma
    assert any("3 giờ 45 phút" in line and "04/03/2026" in line for line in lines), lines
    english = say(sentences.trace_lines, steps, locale="en")
    assert "Time limit: 1.5 working days" in english
    assert any("3 h 45 min" in line and "04/03/2026" in line for line in english)


def test_trace_names_the_working_saturday(say: Any) -> None:
    steps = compute_due(at(2026, 8, 21, 9), days(1), CAL).steps
    lines = say(sentences.trace_lines, steps)
    assert any("22/08/2026 (Thứ Bảy) là ngày làm việc" in line and "31/08/2026" in line for line in lines)
    english = say(sentences.trace_lines, steps, locale="en")
    assert any("22/08/2026 (Saturday) is a working day: Worked in exchange for the day off on 31/08/2026"
               in line for line in english), english


def test_trace_reasons_for_a_late_start(say: Any) -> None:
    def lines(received: datetime, rule: DeadlineRule, channel: str = "direct",
              locale: str = "vi") -> list[str]:
        return list(say(sentences.trace_lines, compute_due(received, rule, CAL, channel=channel).steps,
                        locale=locale))

    assert any("sau 15:00" in line for line in lines(at(2026, 3, 2, 16), days(1, cutoff=time(15))))
    assert any("trước giờ làm việc" in line for line in lines(at(2026, 3, 2, 7), days(1)))
    assert any("nghỉ trưa" in line for line in lines(at(2026, 3, 2, 12), days(1)))
    assert any("sau giờ làm việc" in line for line in lines(at(2026, 3, 2, 18), days(1)))
    online = lines(at(2026, 4, 24, 20), days(1), "online")
    assert any("trực tuyến ngoài giờ" in line for line in online)
    assert any("Giỗ Tổ Hùng Vương" in line for line in online)
    english = lines(at(2026, 4, 24, 20), days(1), "online", "en")
    assert english[0] == "Received: 24/04/2026 20:00 (Friday), online"
    assert "Filed online outside office hours: counted from the next working day" in english
    assert any("Hung Kings' Commemoration Day" in line for line in english)
    assert "Received after the 15:00 cut-off: counted from the next working day" in lines(
        at(2026, 3, 2, 16), days(1, cutoff=time(15)), locale="en")


def test_trace_shows_pause_and_calendar_rollover(say: Any) -> None:
    pause = Pause(at(2026, 3, 3, 9), at(2026, 3, 4, 9), "Chờ bổ sung giấy tờ")
    steps = compute_due(at(2026, 3, 2, 9), days(3), CAL, pauses=[pause]).steps
    assert ("Tạm dừng: 03/03/2026 09:00 → 04/03/2026 09:00 (7 giờ 30 phút làm việc), "
            "lý do: Chờ bổ sung giấy tờ") in say(sentences.trace_lines, steps)
    assert ("Paused: 03/03/2026 09:00 → 04/03/2026 09:00 (7 h 30 min of office time), "
            "reason: Chờ bổ sung giấy tờ") in say(sentences.trace_lines, steps, locale="en")
    roll = compute_due(at(2026, 4, 21, 16), calendar_days(10), CAL).steps
    assert any("Điều 148" in line and "04/05/2026" in line for line in say(sentences.trace_lines, roll))
    english = say(sentences.trace_lines, roll, locale="en")
    assert "Calendar days: 21/04/2026 + 10 days = 01/05/2026 (Civil Code 2015 art. 147)" in english
    assert any(line.startswith("Last day 01/05/2026 is not a working day (International Labour Day)")
               and "Civil Code 2015 art. 148" in line for line in english), english


def test_an_admin_note_for_a_closed_day_is_data(say: Any) -> None:
    note = "Nghỉ lễ hội địa phương"
    assert say(sentences.closed_reason_text, note, locale="en") == note
    assert say(sentences.closed_reason_text, "Nghỉ bù Quốc khánh", locale="en") == "National Day (observed)"
    assert say(sentences.closed_reason_text, "Tết Nguyên đán, Nghỉ bù Tết Dương lịch", locale="en") \
        == "Lunar New Year, New Year's Day (observed)"


# ---------------------------------------------------------------- the working time left

DUE = datetime(2026, 3, 5, 17, 0, tzinfo=ICT)  # Thursday close


@pytest.mark.parametrize(
    ("now", "vi", "en"),
    [
        (at(2026, 3, 4, 13, 30), "Còn 1 ngày 3 giờ", "1 day 3 h left"),
        (at(2026, 3, 5, 16, 15), "Còn 45 phút", "45 min left"),
        (at(2026, 3, 5, 13, 40), "Còn 3 giờ 20 phút", "3 h 20 min left"),
        (at(2026, 3, 9, 17), "Quá 2 ngày", "2 days late"),
        (at(2026, 3, 9, 9, 30), "Quá 1 ngày 2 giờ", "1 day 2 h late"),
        (at(2026, 3, 5, 17), "Đến hạn", "Due now"),
        (at(2026, 3, 5, 19), "Quá hạn", "Overdue"),
    ],
)
def test_time_left_labels(say: Any, now: datetime, vi: str, en: str) -> None:
    left = time_left(now, DUE, CAL)
    assert say(sentences.time_left_text, left) == vi
    assert say(sentences.time_left_text, left, locale="en") == en


def test_time_left_while_paused_and_without_a_clock(say: Any) -> None:
    assert say(sentences.time_left_text, None) == ""
    assert say(sentences.time_left_text, None, paused=True) \
        == "Tạm dừng tính thời gian trong lúc chờ công dân"
    assert say(sentences.time_left_text, TimeLeft(60, 0, 1, 0), paused=True, locale="en") \
        == "Clock stopped while waiting for the citizen"


def test_limits_as_the_receipt_prints_them(say: Any) -> None:
    assert say(sentences.limit_text, Decimal(5), "working_days") == "5 ngày làm việc"
    assert say(sentences.limit_text, Decimal(0), "working_days") == "trả trong ngày"
    assert say(sentences.limit_text, Decimal(1), "working_days", locale="en") == "1 working day"
    assert say(sentences.limit_text, Decimal(8), "working_hours", locale="en") == "8 working hours"
    assert say(sentences.limit_text, Decimal(0), "working_days", locale="en") == "same day"
    assert "15:00" in say(sentences.same_day_reason, time(15), locale="en")
    assert say(sentences.due_text, at(2026, 3, 9, 17)) == "17:00 ngày 09/03/2026"
    assert say(sentences.due_text, at(2026, 3, 9, 17), locale="en") == "17:00 on 09/03/2026"


def test_the_weekday_names_are_the_calendars(say: Any) -> None:
    """A closed day's reason may be the weekday's name as the calendar records it: the catalogue
    says the same names."""
    assert [say(str, w) for w in sentences._WEEKDAYS] == list(WEEKDAY_NAMES)
    english = [say(sentences.closed_reason_text, w, locale="en") for w in WEEKDAY_NAMES]
    assert english[5:] == ["Saturday", "Sunday"]
