"""Hostile input (docs/security.md), through the real pages and the API:

* XSS payloads stored in the applicant's address, the reception note, reasons, missing
  items and the result are inert in every page that shows them — the dossier page,
  the register (screen and print), worklist, inbox, printed forms 01–06, the citizen
  lookup page, the head dashboard and the overdue exports: the raw tag never appears,
  the escaped form does where the page shows the field. (A name cannot carry them:
  names are letters and spaces, checked too.)
* spreadsheet formulas in exported cells are neutralised;
* Vietnamese in NFC and NFD: a dossier received with either form is found by the
  register search typed in the other form and without accents;
* SQL metacharacters in every search/filter parameter: no 500, no extra rows;
* oversized fields and bodies, invalid dates and malformed codes: a clean 4xx.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

import pytest
from flask import Flask

from onestop.domain.status import DossierAction as A
from onestop.services.admin.accounts import issue_token
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    ActionInput,
    ApologyInput,
    AssignInput,
    StopInput,
    SupplementRequestInput,
    TransferInput,
)
from tests.factories import client_as, receive, user
from tests.times import MONDAY, TUESDAY

RECEIVED = MONDAY  # Monday 09:00 in Hà Nội; overdue by the time tests run
LATER = TUESDAY
XSS = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)')
PAYLOAD = " ".join(XSS)
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror", 'href="javascript:', "href='javascript:")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile(app: Flask, session) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    clerk, head, officer = (user(session, n) for n in ("t_clerk", "t_head", "t_officer"))
    # 1: received with payloads, transferred, assigned, supplement asked, given, apology, completed.
    r1 = receive(session, now=RECEIVED, address=f"Xóm {PAYLOAD}", note=f"Ghi chú {PAYLOAD}")
    d1 = r1.dossier
    apply_action(session, d1, A.TRANSFER, TransferInput(note=f"Chuyển {PAYLOAD}"), actor=clerk, now=RECEIVED)
    apply_action(session, d1, A.ASSIGN, AssignInput(officer_id=officer.id), actor=head, now=RECEIVED)
    apply_action(session, d1, A.REQUEST_SUPPLEMENT,
                 SupplementRequestInput(reason=f"Thiếu {PAYLOAD}", missing_items=(f"Bản sao {PAYLOAD}",)),
                 actor=officer, now=RECEIVED)
    apply_action(session, d1, A.PROVIDE_SUPPLEMENT,
                 ActionInput(note=f"Đã nộp {PAYLOAD}"), actor=clerk, now=LATER)
    # 2: stopped, with a reason.
    d2 = receive(session, now=RECEIVED, address=f"Thôn {PAYLOAD}").dossier
    apply_action(session, d2, A.TRANSFER, actor=clerk, now=RECEIVED)
    apply_action(session, d2, A.STOP, StopInput(reason=f"Dừng {PAYLOAD}"), actor=head, now=LATER)
    # 3: refused at the desk, with reasons.
    d3 = receive(session, now=RECEIVED, outcome="refuse", reason=f"Từ chối {PAYLOAD}",
                 address=f"Bản {PAYLOAD}").dossier
    # 4: apology with a new date (form 04) and left open/overdue (dashboard, exports, worklist).
    d4 = receive(session, now=RECEIVED, address=f"=HYPERLINK(\"http://x\") {PAYLOAD}").dossier
    apply_action(session, d4, A.TRANSFER, actor=clerk, now=RECEIVED)
    apply_action(session, d4, A.ASSIGN, AssignInput(officer_id=officer.id), actor=head, now=RECEIVED)
    from onestop.services.admin.calendars import calendar_for

    cal = calendar_for(session, d4.receiving_agency)
    from datetime import date

    apply_action(session, d4, A.APOLOGISE,
                 ApologyInput(reason=f"Xin lỗi {PAYLOAD}", new_due_at=cal.closing(date(2026, 3, 20))),
                 actor=head, now=LATER)
    session.commit()
    return {"d1": d1.code, "d2": d2.code, "d3": d3.code, "d4": d4.code, "secret4": None, "secret1": r1.secret}


def assert_inert(html: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{where}: raw {marker!r}"


PAGES = [
    # (user, url, must show the escaped payload)
    ("t_clerk", "/dossiers/{d1}", True),
    ("t_head", "/dossiers/{d1}", True),
    ("t_clerk", "/dossiers/{d2}", True),
    ("t_clerk", "/dossiers/{d3}", True),
    ("t_head", "/dossiers/{d4}", True),
    ("t_clerk", "/dossiers/{d1}/print/01", True),
    ("t_clerk", "/dossiers/{d1}/print/02", True),
    ("t_clerk", "/dossiers/{d3}/print/03", True),
    ("t_head", "/dossiers/{d4}/print/04", True),
    ("t_head", "/dossiers/{d2}/print/05", True),
    ("t_head", "/dossiers/{d1}/print/06", True),
    ("t_clerk", "/reception/register", False),
    ("t_clerk", "/reception/register?print=1", False),
    ("t_officer", "/worklist", False),
    ("t_head", "/inbox", False),
    ("t_clerk", "/inbox", False),
    ("t_head", "/reports/dashboard", False),
    ("t_head", "/notifications", False),
    ("t_head", "/handoffs", False),
    ("t_admin", "/admin", False),
]


@pytest.mark.parametrize(("who", "url", "shows"), PAGES, ids=[f"{p[0]} {p[1]}" for p in PAGES])
def test_xss_payloads_are_inert_in_every_page(app: Flask, hostile: dict[str, Any], who: str, url: str,
                                              shows: bool) -> None:
    r = client_as(app, who).get(url.format(**hostile))
    assert r.status_code == 200, (url, r.status_code)
    html = r.get_data(as_text=True)
    assert_inert(html, url)
    if shows:
        assert ESCAPED in html or "&lt;script&gt;" in html, f"{url} does not show the stored text"


def test_xss_payloads_are_inert_in_the_citizen_lookup_page(app: Flask, hostile: dict[str, Any]) -> None:
    c = client_as(app, None)
    r = c.post("/lookup", data={"code": hostile["d1"], "secret": hostile["secret1"]})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert hostile["d1"] in html, "the lookup found the dossier"
    assert_inert(html, "/lookup")


def test_names_cannot_carry_markup(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    raw = issue_token(session, user(session, "t_clerk"), now=RECEIVED)
    session.commit()
    c = client_as(app, None)
    for name in XSS:
        r = c.post("/api/v1/dossiers", json={"procedure_code": "1.004884", "applicant": {"name": name}},
                   headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code == 422 and "applicant.name" in r.get_json()["error"]["fields"]


def test_overdue_exports_are_inert_and_formula_free(app: Flask, hostile: dict[str, Any]) -> None:
    c = client_as(app, "t_head")
    r = c.get("/reports/overdue.csv")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) > 1, "the open dossiers are overdue by now and listed"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
    x = c.get("/reports/overdue.xlsx")
    assert x.status_code == 200
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(x.data))
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for cell in row:
                assert not (isinstance(cell, str) and cell.startswith(("=", "+", "@"))), cell


# ---------------------------------------------------------------- NFC / NFD

NAME = "Nguyễn Thị Hồng Đào"


@pytest.mark.parametrize("stored_form", ["NFC", "NFD"])
def test_register_finds_a_name_in_nfc_nfd_and_without_accents(app: Flask, session, stored_form: str) -> None:  # type: ignore[no-untyped-def]
    d = receive(session, now=RECEIVED, name=unicodedata.normalize(stored_form, NAME)).dossier
    session.commit()
    c = client_as(app, "t_clerk")
    for query in (unicodedata.normalize("NFC", NAME), unicodedata.normalize("NFD", NAME),
                  "nguyen thi hong dao",
                  "HONG DAO", unicodedata.normalize("NFD", "Hồng")):
        r = c.get("/reception/register", query_string={"name": query})
        assert r.status_code == 200
        assert d.code in r.get_data(as_text=True), (stored_form, query)
    assert d.applicant_name == unicodedata.normalize("NFC", NAME)  # stored as NFC whatever was typed


# ---------------------------------------------------------------- SQL metacharacters

META = ["' OR 1=1 --", "%", "_", "\\", "%' OR '1'='1", "'; DROP TABLE dossiers; --", "\\%", "[a-z]*"]


@pytest.mark.parametrize("value", META)
def test_sql_metacharacters_in_filters_are_harmless(app: Flask, session, value: str) -> None:  # type: ignore[no-untyped-def]
    d = receive(session, now=RECEIVED, name="Trần Văn Bình").dossier
    session.commit()
    clerk, head = client_as(app, "t_clerk"), None
    for param in ("name", "code", "procedure", "status", "channel"):
        r = clerk.get("/reception/register", query_string={param: value})
        assert r.status_code in (200, 400), (param, r.status_code)
        assert d.code not in r.get_data(as_text=True), f"{param}={value!r} matched everything"
    # A malformed date or cursor is dropped (with a warning for the date): the first page.
    for param in ("date_from", "date_to", "after"):
        assert clerk.get("/reception/register", query_string={param: value}).status_code == 200
    assert clerk.get("/reception/procedures", query_string={"q": value}).status_code == 200
    assert clerk.get("/reception/procedures", query_string={"q": value}).get_json() == [] or value in ("_",)
    head = client_as(app, "t_head")
    for param in ("procedure", "field", "channel", "department", "officer", "late", "agency",
                  "kind", "value"):
        r = head.get("/reports/dashboard", query_string={param: value})
        assert r.status_code < 500, (param, r.status_code)
        r = head.get("/reports/form06", query_string={param: value})
        assert r.status_code < 500, (param, r.status_code)
    anon = client_as(app, None)
    assert anon.get(f"/api/v1/lookup/{value}", query_string={"secret": value}).status_code in (404, 429)
    assert anon.post("/lookup", data={"code": value, "secret": value}).status_code in (200, 429)
    raw = issue_token(session, user(session, "t_head"), now=RECEIVED)
    session.commit()
    auth = {"Authorization": f"Bearer {raw}"}
    assert anon.get(f"/api/v1/dossiers/{value}", headers=auth).status_code == 404
    assert anon.get("/api/v1/reports/form06",
                    query_string={"agency": value, "from": "2026-01-01", "to": "2026-03-31"},
                    headers=auth).status_code in (403, 404, 422)


# ---------------------------------------------------------------- sizes, dates, codes

def test_oversized_fields_and_bodies_get_a_clean_4xx(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    raw = issue_token(session, user(session, "t_clerk"), now=RECEIVED)
    session.commit()
    auth = {"Authorization": f"Bearer {raw}"}
    c = client_as(app, None)
    big = "a" * 10_000
    for applicant in ({"name": big}, {"name": "Nguyễn Văn An", "address": big}, {"name": "An", "phone": big},
                      {"name": "An", "email": big + "@x.vn"}, {"name": "An", "id_number": big}):
        r = c.post("/api/v1/dossiers", json={"procedure_code": "1.004884", "applicant": applicant},
                   headers=auth)
        assert 400 <= r.status_code < 500, (list(applicant), r.status_code)
    r = c.post("/api/v1/dossiers", json={"procedure_code": "1.004884", "applicant": {"name": "An"},
                                         "note": "x" * 1_000_000}, headers=auth)
    assert r.status_code == 422, r.status_code  # the schema bounds the note
    r = c.post("/api/v1/dossiers", data=b"{" * 1_000_000,
               headers={**auth, "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    # Past MAX_CONTENT_LENGTH the body is not even read.
    limit = int(app.config.get("MAX_CONTENT_LENGTH") or 0)
    assert 0 < limit <= 16 * 1024 * 1024, "set MAX_CONTENT_LENGTH"
    r = c.post("/api/v1/dossiers", data=b" " * (limit + 1),
               headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 413
    web = client_as(app, "t_clerk")
    r = web.post("/reception/new",
                 data={"procedure": "1.004884", "applicant_name": big, "applicant_address": big,
                                          "channel": "direct"})
    assert r.status_code == 422


def test_invalid_dates_get_a_clean_answer(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    d = receive(session, now=RECEIVED).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=RECEIVED)
    raw = issue_token(session, user(session, "t_head"), now=RECEIVED)
    session.commit()
    c = client_as(app, "t_clerk")
    for bad in ("31/02/2026", "2026-02-31", "9999-99-99", "0000-01-01", "2026-13-01", "yesterday", "1e9"):
        r = c.get("/reception/register", query_string={"date_from": bad, "date_to": bad})
        assert r.status_code == 200, bad
    api = client_as(app, None)
    for bad in ("2026-02-31", "31/02/2026", "2026-03-10T25:00", "x" * 300):
        r = api.post(f"/api/v1/dossiers/{d.code}/actions/apologise",
                     json={"reason": "Trễ", "new_due_at": bad},
                     headers={"Authorization": f"Bearer {raw}"})
        assert 400 <= r.status_code < 500, (bad, r.status_code)
    head = client_as(app, "t_head")
    for bad in ("2026-02-31", "x"):
        assert head.get("/reports/form06",
                        query_string={"kind": "custom", "from": bad, "to": bad}).status_code < 500
        assert head.get("/api/v1/scores", query_string={"agency": "000.00.31.H25", "from": bad,
                                                        "to": "2026-03-31"}).status_code in (400, 404)


@pytest.mark.parametrize("code", ["", "X", "000.01.31.H25-260302-0001x", "../../etc/passwd", "%00", "a" * 500,
                                  "<script>alert(1)</script>", "1' OR '1'='1"])
def test_malformed_codes_get_404_everywhere(app: Flask, session, code: str) -> None:  # type: ignore[no-untyped-def]
    raw = issue_token(session, user(session, "t_clerk"), now=RECEIVED)
    session.commit()
    c = client_as(app, "t_clerk")
    from urllib.parse import quote

    q = quote(code, safe="")
    if code:
        r = c.get(f"/dossiers/{q}")
        assert r.status_code == 404 and "<script>alert(1)" not in r.get_data(as_text=True)
        assert c.get(f"/dossiers/{q}/print/01").status_code == 404
        assert c.post(f"/dossiers/{q}/actions/transfer", data={"version": "1"}).status_code == 404
        assert c.get(f"/api/v1/dossiers/{q}", headers={"Authorization": f"Bearer {raw}"}).status_code == 404
        assert c.get(f"/lookup/qr/{q}.png").status_code == 404
    r = client_as(app, None).get("/lookup", query_string={"code": code})
    assert r.status_code in (200, 429) and "<script>alert(1)" not in r.get_data(as_text=True)


def test_an_apology_date_outside_the_working_calendar_is_refused(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    d = receive(session, now=RECEIVED).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=RECEIVED)
    raw = issue_token(session, user(session, "t_head"), now=RECEIVED)
    session.commit()
    r = client_as(app, None).post(f"/api/v1/dossiers/{d.code}/actions/apologise",
                                  json={"reason": "Trễ", "new_due_at": "2999-01-01"},
                                  headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 422


@pytest.mark.parametrize(("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-01")])
def test_a_report_period_at_the_ends_of_the_date_range_is_refused(app: Flask, session, start: str,
                                                                  end: str) -> None:  # type: ignore[no-untyped-def]
    r = client_as(app, "t_head").get("/reports/form06",
                                     query_string={"kind": "custom", "from": start, "to": end})
    assert r.status_code < 500


# ---------------------------------------------------------------- hostile JSON bodies (docs/security.md,
# "Staff sessions and API"): every malformed body is a 4xx with the JSON error shape, on every
# endpoint that reads one — never a RecursionError, UnicodeEncodeError or OverflowError (500).

DEEP_ARRAYS = b"[" * 50_000 + b"]" * 50_000
DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
HOSTILE_BODIES: dict[str, bytes] = {
    "deep_arrays": DEEP_ARRAYS,
    "deep_objects_unclosed": b'{"a":' * 50_000,
    "deep_objects": DEEP_OBJECTS,
    "deep_in_a_field": b'{"procedure_code": "1.004884", "applicant": {"name": "An"}, "note": '
                       + DEEP_ARRAYS + b"}",
    "moderately_deep": b'{"procedure_code": "1.004884", "applicant": {"name": "An"}, "documents": '
                       + b"[" * 500 + b"]" * 500 + b"}",
    "lone_surrogate_in_a_name": b'{"procedure_code": "1.004884", "applicant": {"name": "\\ud800"}, "reason": '
                                b'"\\ud800"}',
    "lone_low_surrogate": b'{"procedure_code": "1.004884", "applicant": {"name": "An \\udfff"}, "note": '
                          b'"\\udfff"}',
    "lone_surrogate_in_a_key": b'{"\\ud800": 1, "procedure_code": "1.004884", "applicant": {"name": "An"}}',
    "nul_in_a_key": b'{"a\\u0000": 1, "procedure_code": "1.004884", "applicant": {"name": "An"}}',
    "nul_in_a_value": b'{"procedure_code": "1.004884", "applicant": {"name": "An"}, "note": "x\\u0000y", '
                      b'"reason": "x\\u0000y"}',
    "invalid_utf8": b'{"procedure_code": "1.004884", "applicant": {"name": "\xff\xfe"}}',
    "utf16": '{"procedure_code": "1.004884", "applicant": {"name": "An"}}'.encode("utf-16"),
    "huge_integer": b'{"version": ' + b"9" * 5000 + b', "procedure_code": "1.004884", "applicant": {"name": '
                                                    b'"An"}}',
    "nan_and_infinity": b'{"version": NaN, "procedure_code": "1.004884", "applicant": {"name": "An"}, "x": '
                        b'Infinity}',
    "top_level_array": b"[1, 2, 3]",
    "top_level_string": b'"\\ud800"',
    "top_level_number": b"1e400",
    "truncated": b'{"procedure_code": "1.0',
    "trailing_garbage": b'{"procedure_code": "1.004884"} xyz',
    "duplicate_keys_deep": b'{"applicant": {"name": "A"}, "applicant": ' + b"[" * 3000 + b"]" * 3000 + b"}",
}


def _hostile_targets(session) -> tuple[list[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    from onestop.domain.status import DossierAction

    d = receive(session, now=RECEIVED).dossier
    raw = issue_token(session, user(session, "t_clerk"), now=RECEIVED)
    session.commit()
    urls = ["/api/v1/dossiers"] + [f"/api/v1/dossiers/{d.code}/actions/{a.value}" for a in DossierAction]
    return urls, {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
def test_hostile_json_bodies_are_a_4xx_json_error_on_every_json_endpoint(app: Flask, session,
                                                                         kind: str) -> None:  # type: ignore[no-untyped-def]
    from onestop.models import Dossier

    urls, headers = _hostile_targets(session)
    before = session.query(Dossier).count()
    c = client_as(app, None)
    got = {}
    for url in urls:
        try:
            r = c.post(url, data=HOSTILE_BODIES[kind], headers=headers)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates what would be a 500
            session.rollback()
            got[url] = f"{type(exc).__name__}"
            continue
        body = r.get_json(silent=True) or {}
        err = body.get("error") or {}
        if not (400 <= r.status_code < 500 and err.get("code") and err.get("message")):
            got[url] = f"{r.status_code} {r.get_data(as_text=True)[:120]}"
    assert got == {}
    assert session.query(Dossier).count() == before


@pytest.mark.parametrize("body", [b'{"procedure_code": "1.004884", "applicant": {"name": "\\ud800"}}',
                                  b'{"procedure_code": "1.004884", "applicant": {"name": "An"}, "note": '
                                  b'"a\\u0000"}'])
def test_lone_surrogates_and_nul_are_a_clear_400(app: Flask, session, body: bytes) -> None:  # type: ignore[no-untyped-def]
    _urls, headers = _hostile_targets(session)
    r = client_as(app, None).post("/api/v1/dossiers", data=body, headers=headers)
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    err = r.get_json()["error"]
    assert err["code"] == "invalid_text" and err["message"]
    assert err["fields"]  # which field


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31",
                                   "0001-01-01", "9999-12-31T23:59:59", "2026-03-10T10:00:00+23:59"])
def test_an_apology_date_at_the_ends_of_the_datetime_range_is_a_422(app: Flask, session, value: str) -> None:  # type: ignore[no-untyped-def]
    d = receive(session, now=RECEIVED).dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=RECEIVED)
    raw = issue_token(session, user(session, "t_head"), now=RECEIVED)
    session.commit()
    version = d.version
    try:
        r = client_as(app, None).post(f"/api/v1/dossiers/{d.code}/actions/apologise",
                                      json={"reason": "Trễ", "new_due_at": value},
                                      headers={"Authorization": f"Bearer {raw}"})
    except OverflowError as exc:  # TESTING propagates what would be a 500
        pytest.fail(f"{value}: {exc!r}")
    assert r.status_code == 422, (value, r.status_code, r.get_data(as_text=True)[:200])
    assert "new_due_at" in r.get_json()["error"]["fields"]
    session.refresh(d)
    assert d.version == version and d.promised_due_at is None
