"""An English page is English end to end (docs/architecture.md §4: Vietnamese first, English second
through Flask-Babel): no Vietnamese sentence reaches a page or a JSON answer asked for in English.

"Vietnamese" is decided letter by letter: a letter only Vietnamese uses among the two languages —
ă â đ ê ô ơ ư (either case), or a vowel (a ă â e ê i o ô ơ u ư y) carrying one of the five tone marks
(grave, acute, hook above, tilde, dot below). Proper names that come from data (agency names,
procedure names and their documents and fees, the names of closed days an admin typed) are cut
out of the text before the check; everything the citizen or the staff typed in these fixtures is
ASCII. The one Vietnamese word allowed is the language switch's own name, "Tiếng Việt".
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask_babel import refresh
from sqlalchemy import select

from onestop.domain.calendar import WorkingCalendar
from onestop.domain.status import DossierStatus
from onestop.models import Agency, Dossier, Feedback, Notification, Procedure, ScoringRuleRow, User
from onestop.services.admin.calendars import warn_unconfirmed_tet
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    ActionInput,
    ApologyInput,
    AssignInput,
    CompleteInput,
    HandBackInput,
    HandOffInput,
    PaymentRequestInput,
    StopInput,
    SupplementRequestInput,
    WithdrawInput,
)
from onestop.services.dossiers.scanning import (
    check_next_year_calendar,
    digest_heads,
    scan_dossiers,
    scan_feedback,
    scan_supplements,
)
from onestop.services.errors import N_
from onestop.web.sentences import error_text
from tests.factories import agency, receive, user
from tests.times import hanoi

_TONES = "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook above, tilde, dot below
_VOWELS = "aăâeêioôơuưy"
VIETNAMESE_LETTERS = frozenset(
    {c for c in "ăâđêôơư"}
    | {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
    | {c.upper() for c in "ăâđêôơư"}
    | {unicodedata.normalize("NFC", v.upper() + t) for v in _VOWELS for t in _TONES}
)
# The language switch names Vietnamese in Vietnamese; "Tết" is the festival's name in English too;
# the search box's help shows a name typed with its accents.
ALLOWED = ("Tiếng Việt", "Tết", "Nguyễn Văn")
# Legal documents are cited by their number, which carries the issuer's Vietnamese initials
# (766/QĐ-TTg, 118/2025/NĐ-CP): an identifier, not a sentence.
_DOCUMENT_NUMBER = re.compile(r"\d+(?:/\d{4})?/[A-ZĐ]+-[A-ZĐa-z]+")


def test_the_letter_set_is_exactly_the_vietnamese_only_letters() -> None:
    assert len(VIETNAMESE_LETTERS) == 2 * (7 + 12 * 5)
    assert {"ạ", "Ữ", "đ", "Đ", "ỹ", "ằ"} <= VIETNAMESE_LETTERS
    assert not VIETNAMESE_LETTERS & set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789→–—·")


class _Visible(HTMLParser):
    """Text a reader sees or hears: text nodes outside script/style, and the attributes shown as
    text (title, alt, placeholder, aria-label, value of buttons, confirmation prompts)."""

    ATTRS = ("title", "alt", "placeholder", "aria-label", "data-confirm")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in self.ATTRS and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


def vietnamese_in(texts: list[str], data_values: list[str]) -> list[str]:
    """The pieces of ``texts`` that still hold a Vietnamese-only letter once the data values and
    the allowed words are cut out."""
    found = []
    for text in texts:
        rest = _cut_truncated(unicodedata.normalize("NFC", text).strip(), data_values)
        for value in data_values:
            rest = rest.replace(value, " ")
        rest = _DOCUMENT_NUMBER.sub(" ", rest)
        for value in ALLOWED:
            rest = rest.replace(value, " ")
        rest = rest.strip()
        if any(ch in VIETNAMESE_LETTERS for ch in rest):
            found.append(rest)
    return found


def _cut_truncated(text: str, data_values: list[str]) -> str:
    """Lists shorten long names ("3.000722 — Liên thông điện tử: đăng ký..."): a shortened data
    value is data too."""
    if not text.endswith("..."):
        return text
    head, _sep, tail = text[:-3].rpartition(" — ")
    if tail.strip() and any(v.startswith(tail.strip()) for v in data_values):
        return head
    return text


def _data_values(session: Any) -> list[str]:
    values: set[str] = set()
    for a in session.scalars(select(Agency)):
        # Printed forms head the issuer's parent in capitals.
        values.update(v for name in (a.name, a.short_name) if name for v in (name, name.upper()))
    for p in session.scalars(select(Procedure)):
        values.update(v for v in (p.name, p.fee, p.field, *(p.documents or [])) if v)
    for d in session.scalars(select(Dossier)):
        values.update(str(doc.get("name") or "") for doc in d.documents or [] if doc.get("name"))
    for rule in session.scalars(select(ScoringRuleRow)):  # scoring rules are data (docs/domain.md §6)
        values.update(v for v in (rule.title, rule.note) if v)
    # Only values that could hide a Vietnamese letter; longest first, so a name that contains
    # another is cut whole.
    return sorted((v for v in values if any(ch in VIETNAMESE_LETTERS for ch in v)), key=len, reverse=True)


# ---------------------------------------------------------------- dossiers in every status

ASCII_APPLICANT = {"name": "Tran Van Binh", "address": "12 Hang Bai street", "id_number": "001090099999",
                   "phone": "0912000111"}


def _act(session: Any, d: Dossier, action: str, who: str, now: datetime,
         data: ActionInput | None = None) -> None:
    apply_action(session, d, action, data, actor=user(session, who), now=now)


def _build(session: Any) -> dict[str, tuple[str, str]]:
    """code and secret of one dossier per status, with every step of the "why this date" trace
    among them: Tết and weekends skipped, a working Saturday, after-close and online-outside-hours
    receipt, a calendar-day limit, an ended pause (supplement and payment), a hand-off, an
    apology, a stop and a withdrawal (the last two during a pause)."""
    out: dict[str, tuple[str, str]] = {}

    def rec(key: str, at: datetime, **kw: Any) -> Dossier:
        res = receive(session, now=at, **ASCII_APPLICANT, **kw)
        out[key] = (res.dossier.code, res.secret)
        return res.dossier

    # Thursday before Tết 2026: skipped Saturday, Sunday and the Tết days.
    rec("received_tet", hanoi(2026, 2, 12, 10))
    # Friday 21/08/2026: the working Saturday 22/08 counts.
    d = rec("processing_saturday", hanoi(2026, 8, 21, 9))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 8, 21, 10))
    # After closing, then a supplement request answered (an ended pause), then a payment pending.
    d = rec("awaiting_payment", hanoi(2026, 3, 2, 18))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 3, 9))
    _act(session, d, "request_supplement", "t_head", hanoi(2026, 3, 3, 10),
         SupplementRequestInput(reason="Photo is unreadable",
                                missing_items=("A readable copy of the ID card",)))
    _act(session, d, "provide_supplement", "t_clerk", hanoi(2026, 3, 4, 9))
    _act(session, d, "request_payment", "t_head", hanoi(2026, 3, 4, 10),
         PaymentRequestInput(reason="Registration fee 50000 VND"))
    # Waiting for a supplement (open pause).
    d = rec("awaiting_supplement", hanoi(2026, 3, 2, 9))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 10))
    _act(session, d, "request_supplement", "t_head", hanoi(2026, 3, 2, 11),
         SupplementRequestInput(reason="Missing page", missing_items=("Page 2 of the form",)))
    # Online, filed at night.
    rec("new_online", hanoi(2026, 4, 24, 20), channel="online", outcome="submit_online")
    rec("incomplete", hanoi(2026, 3, 2, 9), outcome="request_supplement", reason="Form not signed",
        missing_items=["A signed form"])
    rec("refused", hanoi(2026, 3, 2, 9), outcome="refuse", reason="Not our competence")
    # Liên thông: handed off along the chain.
    d = rec("handed_off", hanoi(2026, 3, 2, 9), procedure_code="3.000722")
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 9, 30))
    _act(session, d, "hand_off", "t_officer", hanoi(2026, 3, 2, 10))
    # Apology with a new date, then finished late.
    d = rec("result_ready_late", hanoi(2026, 3, 2, 9))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 10))
    _act(session, d, "apologise", "t_head", hanoi(2026, 3, 6, 9),
         ApologyInput(reason="Waiting for the archive", new_due_at=hanoi(2026, 3, 20, 17)))
    _act(session, d, "complete", "t_head", hanoi(2026, 3, 16, 9), CompleteInput(result="Certificate issued"))
    # Returned on time.
    d = rec("returned", hanoi(2026, 3, 2, 9))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 10))
    _act(session, d, "complete", "t_head", hanoi(2026, 3, 3, 9), CompleteInput(result="Certificate issued"))
    _act(session, d, "return_result", "t_clerk", hanoi(2026, 3, 3, 10))
    # Stopped and withdrawn during a pause.
    d = rec("stopped", hanoi(2026, 3, 2, 9))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 10))
    _act(session, d, "request_payment", "t_head", hanoi(2026, 3, 3, 9), PaymentRequestInput(reason="Fee"))
    _act(session, d, "stop", "t_head", hanoi(2026, 3, 4, 9), StopInput(reason="Applicant did not pay"))
    d = rec("withdrawn", hanoi(2026, 3, 2, 9))
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 10))
    _act(session, d, "request_supplement", "t_head", hanoi(2026, 3, 3, 9),
         SupplementRequestInput(reason="Missing page", missing_items=("Page 3",)))
    _act(session, d, "withdraw", "t_clerk", hanoi(2026, 3, 4, 9), WithdrawInput(reason="Applicant asked"))
    # A calendar-day limit whose last day rolls over the 30/04–01/05 holidays.
    rec("calendar_days", hanoi(2026, 4, 16, 10), procedure_code="1.011607")
    # Working hours.
    rec("working_hours", hanoi(2026, 3, 2, 16), procedure_code="2.001159")
    session.commit()
    return out


@pytest.fixture
def dossiers(session: Any) -> Iterator[dict[str, tuple[str, str]]]:
    yield _build(session)


def _statuses(session: Any, built: dict[str, tuple[str, str]]) -> set[str]:
    codes = [code for code, _s in built.values()]
    return set(session.scalars(select(Dossier.status).where(Dossier.code.in_(codes))))


def _en(client: Any, method: str, url: str, **kw: Any) -> Any:
    refresh()  # Flask-Babel caches the locale per app context; each real request has its own
    return getattr(client, method)(url, **kw)


def test_the_fixtures_cover_every_status(session: Any, dossiers: Any) -> None:
    assert _statuses(session, dossiers) == {s.value for s in DossierStatus}


def test_the_citizen_page_in_english_has_no_vietnamese(session: Any, client: Any, dossiers: Any) -> None:
    data_values = _data_values(session)
    problems: dict[str, list[str]] = {}
    for key, (code, secret) in dossiers.items():
        r = _en(client, "post", "/lookup?lang=en", data={"code": code, "secret": secret})
        assert r.status_code == 200, key
        html = r.get_data(as_text=True)
        assert 'id="res-title"' in html, key  # the verified result, not the failure answer
        bad = vietnamese_in(visible_text(html), data_values)
        if bad:
            problems[key] = bad
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_why_this_date_trace_is_english(session: Any, client: Any, dossiers: Any) -> None:
    code, secret = dossiers["received_tet"]
    html = _en(client, "post", "/lookup?lang=en", data={"code": code, "secret": secret}).get_data(
        as_text=True)
    assert "Why this date?" in html
    assert "Received: 12/02/2026 10:00 (Thursday)" in html
    assert "Lunar New Year" in html
    assert "Due: 26/02/2026 17:00" in html
    code, secret = dossiers["calendar_days"]
    html = _en(client, "post", "/lookup?lang=en", data={"code": code, "secret": secret}).get_data(
        as_text=True)
    assert "Civil Code 2015 art. 148" in html


def test_the_citizen_page_stays_vietnamese_by_default(session: Any, client: Any, dossiers: Any) -> None:
    code, secret = dossiers["received_tet"]
    html = _en(client, "post", "/lookup?lang=vi", data={"code": code, "secret": secret}).get_data(
        as_text=True)
    assert "Tiếp nhận: 12/02/2026 10:00 (Thứ Năm)" in html
    assert "Tết Nguyên đán" in html and "Hạn trả kết quả: 26/02/2026 17:00" in html
    assert "Bộ phận một cửa đã nhận hồ sơ của ông/bà" in html


def test_the_lookup_api_in_english_has_no_vietnamese(session: Any, client: Any, dossiers: Any) -> None:
    data_values = _data_values(session)
    problems: dict[str, list[str]] = {}
    for key, (code, secret) in dossiers.items():
        r = _en(client, "get", f"/api/v1/lookup/{code}?secret={secret}&lang=en")
        assert r.status_code == 200, key
        body = r.get_json()
        texts = [str(v) for k, v in body.items() if isinstance(v, str)
                 and k not in ("service_name", "agency_responsible")]
        bad = vietnamese_in(texts, data_values)
        if bad:
            problems[key] = bad
    miss = _en(client, "get", "/api/v1/lookup/000.01.31.H25-260302-9999?secret=NOPE&lang=en").get_json()
    bad = vietnamese_in([miss["error"]["message"]], [])
    if bad:
        problems["not_found"] = bad
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_staff_dossier_page_and_printed_forms_in_english_have_no_vietnamese(
    auth, session: Any, client: Any, dossiers: Any,
) -> None:
    data_values = _data_values(session)
    assert agency(session, "000.01.31.H25") is not None
    auth.login("t_admin")
    problems: dict[str, list[str]] = {}
    for key, (code, _secret) in dossiers.items():
        for url in (f"/dossiers/{code}?lang=en",
                    *(f"/dossiers/{code}/print/{n}?lang=en" for n in ("01", "02", "03", "04", "05", "06"))):
            r = _en(client, "get", url)
            if r.status_code == 404 and "print" in url:
                continue  # a form the dossier has no event for (no receipt before reception, …)
            assert r.status_code == 200, (key, url, r.status_code)
            bad = vietnamese_in(visible_text(r.get_data(as_text=True)), data_values)
            if bad:
                problems[f"{key} {url}"] = bad
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)



STAFF_PAGES = {
    "t_clerk": ("/", "/reception/new", "/reception/register", "/reception/waiting-return", "/search?q=Tran",
                "/account/password"),
    "t_officer": ("/worklist", "/handoffs", "/feedback"),
    "t_head": ("/inbox", "/reports/dashboard", "/reports/form06", "/reports/delays", "/reports/charts",
               "/scores", "/index766"),
    "t_admin": ("/admin/users", "/admin/agencies", "/admin/procedures", "/admin/calendar", "/admin/audit",
                "/scores/rules"),
}


def _staff_problems(
    auth: Any, session: Any, client: Any, pages: dict[str, tuple[str, ...]],
) -> dict[str, list[str]]:
    pages_html: dict[str, str] = {}
    for who, urls in pages.items():
        auth.login(who)
        for url in urls:
            r = _en(client, "get", url + ("&" if "?" in url else "?") + "lang=en")
            assert r.status_code == 200, (who, url, r.status_code)
            pages_html[f"{who} {url}"] = r.get_data(as_text=True)
    # Read after the pages: the scoring pages seed the default rules on first use.
    data_values = _data_values(session)
    problems: dict[str, list[str]] = {}
    for page, html in pages_html.items():
        bad = vietnamese_in(visible_text(html), data_values)
        if bad:
            problems[page] = bad
    return problems


def test_the_main_staff_pages_in_english_have_no_vietnamese(
    auth, session: Any, client: Any, dossiers: Any,
) -> None:
    problems = _staff_problems(auth, session, client, STAFF_PAGES)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------- notifications of every kind

NOTIFICATION_KINDS = {"assigned", "handed_to_agency", "handed_back", "acknowledged", "result_ready",
                      "overdue", "due_soon", "leg_overdue", "feedback_overdue", "supplement_lapsed", "digest",
                      "calendar"}


def _raise_every_notification(session: Any) -> None:
    """Every kind of in-app notification, raised by its own producer: the actions along a liên thông
    chain, the 15-minute scan, the morning digest, the feedback and supplement scans and the
    November calendar checks."""
    chain = "3.000722"
    d = receive(session, now=hanoi(2026, 4, 27, 9), procedure_code=chain, **ASCII_APPLICANT).dossier
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 4, 27, 9, 10))
    officer = user(session, "t_officer")
    _act(session, d, "assign", "t_head", hanoi(2026, 4, 27, 9, 20), AssignInput(officer_id=officer.id))
    _act(session, d, "hand_off", "t_officer", hanoi(2026, 4, 27, 9, 30), HandOffInput(note="Please register"))
    _act(session, d, "acknowledge", "t_police", hanoi(2026, 4, 27, 9, 40))
    _act(session, d, "hand_back", "t_police", hanoi(2026, 4, 27, 9, 50), HandBackInput(note="Registered"))
    _act(session, d, "acknowledge", "t_officer", hanoi(2026, 4, 27, 10))
    # A leg still at the police post, past its share of the time.
    d = receive(session, now=hanoi(2026, 4, 27, 9), procedure_code=chain, **ASCII_APPLICANT).dossier
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 4, 27, 9, 10))
    _act(session, d, "hand_off", "t_officer", hanoi(2026, 4, 27, 9, 30))
    _act(session, d, "acknowledge", "t_police", hanoi(2026, 4, 27, 9, 40))
    # A supplement window that lapses: reminded at the first scan, escalated a working day later.
    d = receive(session, now=hanoi(2026, 4, 27, 9), **ASCII_APPLICANT).dossier
    _act(session, d, "request_supplement", "t_clerk", hanoi(2026, 4, 27, 9, 10),
         SupplementRequestInput(reason="Missing page", missing_items=("Page 4",),
                                respond_by=hanoi(2026, 4, 28, 17)))
    # Due soon at the 10:00 scan.
    receive(session, now=hanoi(2026, 5, 4, 9), procedure_code="1.000894", **ASCII_APPLICANT)
    session.add(Feedback(code="PAKN-1", dossier_id=d.id, agency_id=agency(session, "000.00.31.H25").id,
                         content="Slow", created_at=hanoi(2026, 4, 27, 9), due_at=hanoi(2026, 4, 30, 17)))
    session.flush()
    scan_supplements(session, hanoi(2026, 5, 4, 8))
    scan_supplements(session, hanoi(2026, 5, 5, 9))
    scan_dossiers(session, hanoi(2026, 5, 4, 10))
    scan_feedback(session, hanoi(2026, 5, 4, 10))
    digest_heads(session, hanoi(2026, 5, 5, 7))
    check_next_year_calendar(session, hanoi(2026, 11, 2, 8),
                             WorkingCalendar(2026, 2026, closed={}, working_weekend={}))
    check_next_year_calendar(session, datetime(2025, 11, 3, 1, tzinfo=UTC),
                             WorkingCalendar(2025, 2026, closed={}, working_weekend={}))
    warn_unconfirmed_tet(session, hanoi(2026, 11, 2, 8))
    session.commit()


def test_the_notifications_in_english_have_no_vietnamese(
    auth, session: Any, client: Any, dossiers: Any,
) -> None:
    _raise_every_notification(session)
    kinds = set(session.scalars(select(Notification.kind)))
    assert kinds == NOTIFICATION_KINDS
    problems_seen = {(n.params or {}).get("problem")
                     for n in session.scalars(select(Notification).where(Notification.kind == "calendar"))}
    assert problems_seen == {"year_missing", "no_tet", "tet_unconfirmed"}
    readers = {u.username for u in session.scalars(
        select(User).where(User.id.in_(select(Notification.user_id))))}
    assert {"t_clerk", "t_officer", "t_head", "t_admin", "t_police"} <= readers
    problems = _staff_problems(auth, session, client, {who: ("/notifications",) for who in sorted(readers)})
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    auth.login("t_head")
    english = _en(client, "get", "/notifications?lang=en").get_data(as_text=True)
    assert "is overdue. An apology letter with a new return date must be issued" in english
    assert "overdue dossiers" in english and "Not assigned" in english
    vietnamese = _en(client, "get", "/notifications?lang=vi").get_data(as_text=True)
    assert "đã quá hạn giải quyết. Cần ban hành văn bản xin lỗi" in vietnamese


def test_a_notification_raised_before_its_values_were_stored_shows_its_sentence(
    auth, session: Any, client: Any,
) -> None:
    clerk = user(session, "t_clerk")
    session.add(Notification(user_id=clerk.id, kind="overdue", message="Hồ sơ X đã quá hạn giải quyết.",
                             params=None, dedupe_key="legacy:1", created_at=hanoi(2026, 3, 2, 9)))
    session.commit()
    auth.login("t_clerk")
    assert "Hồ sơ X đã quá hạn giải quyết." in _en(client, "get", "/notifications?lang=en").get_data(
        as_text=True)


# ---------------------------------------------------------------- what a service refused

REFUSALS = {
    "request_supplement": ({"reason": "Missing page", "missing_items": ""},
                           "List every document to supplement (all at once)."),
    "complete": ({"result": ""}, "Enter the result (the document or papers returned to the citizen)."),
    "stop": ({"reason": ""}, "Enter the reason for stopping the processing (notice form 05)."),
}


def test_an_action_the_service_refuses_says_why_in_english(
    auth, session: Any, client: Any, dossiers: Any,
) -> None:
    d = receive(session, now=hanoi(2026, 3, 2, 9), **ASCII_APPLICANT).dossier
    _act(session, d, "transfer", "t_clerk", hanoi(2026, 3, 2, 10))
    session.commit()
    data_values = _data_values(session)
    auth.login("t_head")
    problems: dict[str, list[str]] = {}
    for action, (fields, expected) in REFUSALS.items():
        session.expire_all()
        version = session.get(Dossier, d.id).version
        r = _en(client, "post", f"/dossiers/{d.code}/actions/{action}?lang=en",
                data={"version": version, "confirmed": "1", **fields})
        assert r.status_code == 422, (action, r.status_code)
        html = r.get_data(as_text=True)
        assert expected in html, action
        bad = vietnamese_in(visible_text(html), data_values)
        if bad:
            problems[action] = bad
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    vietnamese = _en(client, "post", f"/dossiers/{d.code}/actions/stop?lang=vi",
                     data={"version": version, "confirmed": "1", "reason": ""}).get_data(as_text=True)
    assert "Nhập lý do dừng xử lý (thông báo mẫu 05)." in vietnamese


def test_a_refused_upload_says_why_in_english(auth, session: Any, client: Any, dossiers: Any) -> None:
    code = dossiers["new_online"][0]
    auth.login("t_clerk")
    r = _en(client, "post", f"/dossiers/{code}/files?lang=en", content_type="multipart/form-data",
            data={"kind": "component", "component_no": "1", "file": (io.BytesIO(b"just text"), "scan.pdf")})
    assert r.status_code == 303
    html = _en(client, "get", f"/dossiers/{code}?lang=en").get_data(as_text=True)
    assert "Only PDF, JPEG or PNG files are accepted (checked by their content)." in html
    assert not vietnamese_in(visible_text(html), _data_values(session))


def test_a_refused_report_period_says_why_in_english(auth, session: Any, client: Any, dossiers: Any) -> None:
    auth.login("t_head")
    assert _en(client, "get", "/reports/form06?kind=month&value=2026-13&lang=en").status_code in (302, 303)
    answers = {"bad month": _en(client, "get", "/reports/form06?lang=en"),  # the flash, after the redirect
               "bad 766 period": _en(client, "get", "/index766?period=26-11&lang=en")}
    html = answers["bad month"].get_data(as_text=True)
    assert "The reporting period is not valid (month YYYY-MM" in html
    assert "The period must be YYYY-MM, YYYY-Qn or YYYY" in answers["bad 766 period"].get_data(as_text=True)
    data_values = _data_values(session)
    problems = {name: bad for name, r in answers.items()
                if (bad := vietnamese_in(visible_text(r.get_data(as_text=True)), data_values))}
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_a_refused_scoring_rule_says_why_in_english(
    auth: Any, session: Any, client: Any, dossiers: Any,
) -> None:
    auth.login("t_admin")
    assert _en(client, "get", "/scores/rules?lang=en").status_code == 200  # seeds the default rules
    rule = session.scalars(select(ScoringRuleRow).order_by(ScoringRuleRow.id)).first()
    r = _en(client, "post", "/scores/rules?lang=en",
            data={"rule_id": str(rule.id), "max_points": "2", "kind": "tiers", "tiers": "1:x",
                  "effective_from": "2026-01-01"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Tier &#39;1:x&#39; is not valid." in html or "Tier '1:x' is not valid." in html
    assert not vietnamese_in(visible_text(html), _data_values(session))


def test_a_refused_admin_form_says_why_in_english(
    auth: Any, session: Any, client: Any, dossiers: Any,
) -> None:
    auth.login("t_admin")
    r = _en(client, "post", "/admin/users?lang=en",
            data={"username": "t_clerk", "full_name": "X", "role": "clerk", "agency": "000.01.31.H25"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert ("The username &#39;t_clerk&#39; already exists." in html
            or "The username 't_clerk' already exists." in html)
    assert not vietnamese_in(visible_text(html), _data_values(session))


def test_a_refused_reception_says_why_in_english(auth: Any, session: Any, client: Any, dossiers: Any) -> None:
    auth.login("t_clerk")
    r = _en(client, "post", "/reception/new?lang=en",
            data={"procedure": "1.004884", "applicant_name": "Tran Van Binh", "applicant_id_number": "12345",
                  "applicant_phone": "12", "outcome": "request_supplement", "missing_items": "",
                  "reason": "Missing"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for said in ("The personal identification number (citizen ID card) has exactly 12 digits.",
                 "A Vietnamese phone number has 10 digits", "List every missing document (all at once)."):
        assert said in html, said
    assert not vietnamese_in(visible_text(html), _data_values(session))


def test_a_refused_password_change_says_why_in_english(
    auth, session: Any, client: Any, dossiers: Any,
) -> None:
    auth.login("t_clerk")
    r = _en(client, "post", "/account/password?lang=en",
            data={"current": "not-my-password-1", "new": "short", "confirm": "other"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "The current password is wrong." in html
    assert "The password must have at least 10 characters." in html
    assert not vietnamese_in(visible_text(html), _data_values(session))


def test_a_sentence_inside_a_refusal_is_said_in_the_same_language(app: Any) -> None:
    refusal = N_("Chọn mức đánh giá từ 1 đến 5 cho “%(label)s”.", label=N_("Tiếp cận dịch vụ"))
    assert refusal == "Chọn mức đánh giá từ 1 đến 5 cho “Tiếp cận dịch vụ”."  # what the API and logs read
    with app.test_request_context("/?lang=en"):
        assert error_text(refusal) == "Choose a rating from 1 to 5 for “Access to the service”."
        assert error_text("A text outside the catalogue") == "A text outside the catalogue"
    with app.test_request_context("/?lang=vi"):
        assert error_text(refusal) == refusal


def test_the_citizen_forms_and_errors_in_english_have_no_vietnamese(
    session: Any, client: Any, dossiers: Any,
) -> None:
    data_values = _data_values(session)
    code, secret = dossiers["returned"]
    answers = {
        "empty form": _en(client, "get", "/lookup?lang=en"),
        "qr prefill": _en(client, "get", f"/lookup?code={code}&lang=en"),
        "wrong secret": _en(client, "post", "/lookup?lang=en", data={"code": code, "secret": "WRONG123"}),
        "too long": _en(client, "post", "/lookup?lang=en", data={"code": "A" * 200, "secret": "B" * 200}),
        "bad phone digits": _en(client, "post", "/lookup?lang=en", data={"code": code, "phone4": "12a"}),
        "transparency": _en(client, "get", "/public?lang=en"),
        "rating form": _en(client, "post", "/lookup?lang=en", data={"code": code, "secret": secret}),
    }
    problems = {}
    for name, r in answers.items():
        assert r.status_code == 200, (name, r.status_code)
        bad = vietnamese_in(visible_text(r.get_data(as_text=True)), data_values)
        if bad:
            problems[name] = bad
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


def test_scripts_take_their_words_from_the_page() -> None:
    """One path through the catalogue: a script shows the words its page gives it (data attributes
    filled with _()), never a Vietnamese/English table of its own. Comments may cite Vietnamese."""
    found = {}
    for js in sorted(STATIC_JS.glob("*.js")):
        lines = unicodedata.normalize("NFC", js.read_text(encoding="utf-8")).splitlines()
        bad = [line.strip() for line in lines
               if not line.strip().startswith("//") and any(ch in VIETNAMESE_LETTERS for ch in line)]
        if bad:
            found[js.name] = bad
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_the_english_page_gives_its_scripts_english_words(client: Any) -> None:
    html = _en(client, "get", "/lookup?lang=en").get_data(as_text=True)
    assert 'data-t-working="Working…"' in html and 'data-t-failed="The file could not be downloaded.' in html
