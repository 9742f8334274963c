"""Every role's journey in a real browser, with screenshots of the
key pages in test-artifacts/e2e/<journey>/ (the role guides in docs/ use them).

1 a clerk receives a dossier with the keyboard only, prints the receipt (QR +
  secret; A5 PDF saved) and transfers it to the competent agency;
2 a head assigns it to an officer;
3 the officer hands it to another agency (liên thông), which acknowledges and
  hands it back;
4 the result is completed and returned at the desk;
5 a citizen opens the receipt's QR link, enters the secret, sees the status
  and rates the service (phone-sized screen);
6 a head opens the overdue list and exports Form 06.

Each journey starts from a dossier brought to its step through the services
(tests/e2e/story.py), so one broken page fails one journey. What a page claims
is checked against the database.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ARTIFACTS, unlabelled_fields
from tests.e2e.story import APPLICANT, CHAIN_REASON, PROCEDURE, prepare, status_of

UBND = "000.00.31.H25"        # UBND xã Tân Lạc (step 1 of 3.000722)
POLICE = "000.02.31.H25"      # Công an xã Tân Lạc (step 2)
DESK = "000.01.31.H25"        # TTPVHCC xã Tân Lạc (the one-stop desk)


def _flash(page: Any) -> str:
    return " ".join(page.get_by_role("alert").all_inner_texts())


def _nav(page: Any, label: str) -> None:
    """Follow a main-menu entry (the home page repeats them as tiles)."""
    menu = page.get_by_role("navigation", name="Điều hướng chính")
    with page.expect_navigation():
        menu.get_by_role("link", name=label, exact=True).click()


def _code_from_url(url: str) -> str:
    m = re.search(r"/dossiers/([^/]+)/", url)
    assert m, url
    return m.group(1)


# ---------------------------------------------------------------- 1 reception

def test_clerk_receives_a_dossier_with_the_keyboard_prints_the_receipt_and_transfers_it(
    people: Any, shot: Any, live_server: Any,
) -> None:
    clerk = people("t_clerk")
    page = clerk.page
    _nav(page, "Tiếp nhận")
    assert page.url.endswith("/reception/new")
    assert page.get_by_role("heading", name="Tiếp nhận hồ sơ").is_visible()
    assert unlabelled_fields(page) == []
    shot(page, "1-reception", "01-form-empty")

    # Keyboard only: the procedure field has focus on arrival.
    assert page.evaluate("() => document.activeElement.id") == "procedure"
    page.keyboard.type(PROCEDURE)
    page.keyboard.press("Tab")  # leaving the field loads the procedure's checklist
    page.locator("#checklist input[type=checkbox]").first.wait_for()
    assert page.evaluate("() => document.activeElement.id") == "applicant_name"
    page.keyboard.type(APPLICANT["name"])
    page.keyboard.press("Tab")
    page.keyboard.type(APPLICANT["id_number"])
    page.keyboard.press("Tab")
    page.keyboard.type(APPLICANT["phone"])
    page.keyboard.press("Tab")   # e-mail: optional, left empty
    page.keyboard.press("Tab")
    page.keyboard.type(APPLICANT["address"])
    page.keyboard.press("Tab")   # channel: "Trực tiếp" by default
    page.keyboard.press("Tab")   # the applicant agrees to be told of the dossier's news …
    page.keyboard.press("Space")
    page.keyboard.press("Tab")   # … by SMS (the default channel)
    page.keyboard.press("Tab")   # identity verified through VNeID: left unticked
    page.keyboard.press("Tab")   # fee payment: none online (default)
    boxes = page.locator("#checklist input[type=checkbox]")
    for _i in range(boxes.count()):
        page.keyboard.press("Tab")   # the component's box …
        page.keyboard.press("Space")
        page.keyboard.press("Tab")   # … then its scan, left empty (this dossier is on paper)
    assert boxes.evaluate_all("els => els.every(e => e.checked)")
    assert unlabelled_fields(page) == []  # the checklist built by script is labelled too
    shot(page, "1-reception", "02-form-filled")
    page.get_by_label("Ghi chú").focus()
    page.keyboard.type("Nhận đủ hồ sơ")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter = "Tiếp nhận & in giấy hẹn"

    # The receipt (form 01): code, appointment date, QR link and the one-time secret.
    assert "/print/01" in page.url
    code = _code_from_url(page.url)
    assert code.startswith(DESK + "-")
    with live_server.db() as s:
        from onestop.services.dossiers.actions import get_by_code

        stored = get_by_code(s, code)
        assert (stored.notify_consent, stored.notify_channel) == (True, "sms")
    assert f"Đã tiếp nhận hồ sơ {code}" in _flash(page)
    assert page.get_by_role("heading", name="Giấy tiếp nhận hồ sơ và hẹn trả kết quả").is_visible()
    qr = page.get_by_role("img", name=f"Mã QR tra cứu hồ sơ {code}")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth > 50")
    secret = page.locator(".secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", secret), secret
    assert page.get_by_text(f"{live_server.url}/lookup?code={code}").is_visible()
    assert page.get_by_text(APPLICANT["name"]).first.is_visible()
    shot(page, "1-reception", "03-receipt-screen")
    page.emulate_media(media="print")
    shot(page, "1-reception", "04-receipt-print")
    pdf = ARTIFACTS / "1-reception" / "receipt-A5.pdf"
    page.pdf(path=str(pdf), format="A5", print_background=True, prefer_css_page_size=True)
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    # A5 portrait minus the 8 mm margins of print.css is 132 x 194 mm (499 x 733 CSS px).
    page.set_viewport_size({"width": 499, "height": 733})
    sheet_px = page.locator("article.sheet").bounding_box()["height"]
    page.set_viewport_size({"width": 1280, "height": 860})
    page.emulate_media(media="screen")
    assert data.startswith(b"%PDF")
    # (the one-sheet check is asserted at the end, so the rest of the journey still runs)
    facts = status_of(live_server, code)
    assert facts["status"] == "received"

    # Reprinting cannot show the secret again (only its hash is stored).
    page.reload()
    assert page.locator(".secret").count() == 0

    # To the competent agency with the process control slip.
    page.get_by_role("link", name="Về trang hồ sơ").click()
    page.wait_for_url(f"**/dossiers/{code}")
    shot(page, "1-reception", "05-dossier-received")
    with page.expect_navigation():
        page.get_by_role("button", name="Chuyển xử lý").click()
    assert f"Đã thực hiện: Chuyển xử lý — hồ sơ {code}" in _flash(page)
    facts = status_of(live_server, code)
    assert facts["status"] == "processing" and facts["current_agency"] == UBND
    shot(page, "1-reception", "06-dossier-transferred")
    assert clerk.csp_violations() == []
    assert pages == 1, \
        f"the A5 receipt prints on {pages} pages: its sheet is {sheet_px:.0f}px tall at A5 width " \
        "(one page = 733px)"


# ---------------------------------------------------------------- 2 assignment

def test_head_assigns_the_dossier_to_an_officer(people: Any, shot: Any, live_server: Any) -> None:
    d = prepare(live_server, "transferred")
    head = people("t_head")
    page = head.page
    _nav(page, "Hồ sơ đến")
    assert page.url.endswith("/inbox")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=d.code))
    assert unlabelled_fields(page) == []
    shot(page, "2-assignment", "01-inbox")
    pick = row.get_by_label(f"Chuyên viên cho hồ sơ {d.code}")
    # Each officer is listed with their open load ("T Officer — 2 đang xử lý, 1 sắp đến hạn").
    pick.select_option(label=next(t for t in pick.locator("option").all_inner_texts()
                                  if t.startswith("T Officer —")))
    with page.expect_navigation():
        row.get_by_role("button", name="Giao").click()
    assert f"Đã thực hiện: Phân công — hồ sơ {d.code}" in _flash(page)
    assert page.url.endswith("/inbox")
    assert status_of(live_server, d.code)["assignee"] == "t_officer"
    shot(page, "2-assignment", "02-inbox-assigned")

    officer = people("t_officer")
    op = officer.page
    _nav(op, "Việc của tôi")
    assert op.url.endswith("/worklist")
    assert op.get_by_role("link", name=d.code).is_visible()
    shot(op, "2-assignment", "03-officer-worklist")
    assert head.csp_violations() == [] and officer.csp_violations() == []


# ---------------------------------------------------------------- 3 liên thông

def test_officer_hands_off_to_the_police_which_acknowledges_and_hands_it_back(
    people: Any, shot: Any, live_server: Any,
) -> None:
    d = prepare(live_server, "assigned")
    officer = people("t_officer")
    page = officer.page
    page.goto("/worklist")
    page.get_by_role("link", name=d.code).click()
    page.wait_for_url(f"**/dossiers/{d.code}")
    shot(page, "3-lien-thong", "01-dossier-at-ubnd")
    page.locator("#action-hand_off summary").click()
    target = page.get_by_label("Cơ quan nhận")
    # The next agency of the procedure's chain is proposed.
    assert target.evaluate("s => s.options[s.selectedIndex].text") == "Công an xã Tân Lạc"
    page.locator("#action-hand_off").get_by_label("Ghi chú").fill("Đề nghị đăng ký thường trú cho trẻ")
    assert unlabelled_fields(page) == []
    shot(page, "3-lien-thong", "02-hand-off-form")
    with page.expect_navigation():
        page.locator("#action-hand_off").get_by_role("button", name="Chuyển liên thông").click()
    assert "Đã thực hiện: Chuyển liên thông" in _flash(page)
    facts = status_of(live_server, d.code)
    assert facts["current_agency"] == POLICE and facts["legs"][-1] == (POLICE, False, False)
    assert page.get_by_text("Chờ xác nhận").is_visible()
    shot(page, "3-lien-thong", "03-handed-off")

    police = people("t_police")
    pp = police.page
    _nav(pp, "Liên thông")
    assert pp.url.endswith("/handoffs")
    row = pp.get_by_role("row").filter(has=pp.get_by_role("link", name=d.code))
    assert row.get_by_text("Ủy ban nhân dân xã Tân Lạc").is_visible()
    shot(pp, "3-lien-thong", "04-police-incoming")
    with pp.expect_navigation():
        row.get_by_role("button", name="Xác nhận đã nhận").click()
    assert "Đã thực hiện: Xác nhận nhận liên thông" in _flash(pp)
    assert status_of(live_server, d.code)["legs"][-1] == (POLICE, True, False)
    pp.goto(f"/dossiers/{d.code}")
    pp.locator("#action-hand_back summary").click()
    pp.locator("#action-hand_back").get_by_label("Ghi chú").fill("Đã đăng ký thường trú")
    with pp.expect_navigation():
        pp.locator("#action-hand_back").get_by_role("button", name="Trả lại liên thông").click()
    assert "Đã thực hiện: Trả lại liên thông" in _flash(pp)
    facts = status_of(live_server, d.code)
    assert facts["current_agency"] == UBND
    assert facts["legs"][1] == (POLICE, True, True)  # the police leg is closed, with its result
    shot(pp, "3-lien-thong", "05-handed-back")
    assert officer.csp_violations() == [] and police.csp_violations() == []


# ---------------------------------------------------------------- 4 result

def test_result_is_completed_and_returned_at_the_desk(people: Any, shot: Any, live_server: Any) -> None:
    d = prepare(live_server, "handed_back")
    officer = people("t_officer")
    page = officer.page
    _nav(page, "Liên thông")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=d.code))
    with page.expect_navigation():
        row.get_by_role("button", name="Xác nhận đã nhận").click()
    page.goto(f"/dossiers/{d.code}")
    page.locator("#action-complete summary").click()
    page.get_by_label("Kết quả giải quyết").fill("Giấy khai sinh, xác nhận thường trú")
    # The chain's third step (BHXH) was not taken: finishing needs a recorded reason.
    page.get_by_label("Lý do kết thúc khi chưa đủ các bước liên thông").fill(CHAIN_REASON)
    shot(page, "4-result", "01-complete-form")
    page.once("dialog", lambda dialog: dialog.accept())  # finishing is irreversible: confirmed
    with page.expect_navigation():
        page.locator("#action-complete").get_by_role("button", name="Đã xử lý xong").click()
    assert "Đã thực hiện: Đã xử lý xong" in _flash(page)
    assert status_of(live_server, d.code)["status"] == "result_ready"
    shot(page, "4-result", "02-result-ready")

    clerk = people("t_clerk")
    cp = clerk.page
    _nav(cp, "Sổ theo dõi")
    assert "/reception/register" in cp.url
    cp.get_by_label("Mã hồ sơ").fill(d.code)
    with cp.expect_navigation():
        cp.get_by_label("Mã hồ sơ").press("Enter")
    shot(cp, "4-result", "03-register-filtered")
    cp.get_by_role("link", name=d.code).click()
    cp.wait_for_url(f"**/dossiers/{d.code}")
    cp.locator("#action-return_result summary").click()
    cp.get_by_label("Người nhận kết quả").fill(APPLICANT["name"])
    assert unlabelled_fields(cp) == []
    shot(cp, "4-result", "04-return-form")
    cp.once("dialog", lambda dialog: dialog.accept())
    with cp.expect_navigation():
        cp.locator("#action-return_result").get_by_role("button", name="Trả kết quả").click()
    assert "Đã thực hiện: Trả kết quả" in _flash(cp)
    assert status_of(live_server, d.code)["status"] == "returned"
    shot(cp, "4-result", "05-returned")
    assert officer.csp_violations() == [] and clerk.csp_violations() == []


# ---------------------------------------------------------------- 5 citizen

FACTOR_LABELS = ("Tiếp cận dịch vụ", "Thủ tục hành chính", "Công chức giải quyết", "Kết quả giải quyết",
                 "Tiếp nhận, xử lý phản ánh, kiến nghị")


def test_citizen_opens_the_qr_link_sees_the_status_and_rates_the_service(
    people: Any, shot: Any, live_server: Any,
) -> None:
    d = prepare(live_server, "returned")
    citizen = people(None, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = citizen.page
    page.goto(f"{live_server.url}/lookup?code={d.code}")  # what the receipt's QR code encodes
    assert page.get_by_label("Mã hồ sơ").input_value() == d.code
    assert unlabelled_fields(page) == []
    shot(page, "5-citizen", "01-lookup-from-qr")
    page.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").fill(d.secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Tra cứu", exact=True).click()
    assert page.get_by_role("heading", name=f"Hồ sơ {d.code}").is_visible()
    facts = page.locator(".lookup-facts").inner_text()
    assert "Đã trả kết quả" in facts
    assert APPLICANT["name"] not in page.content()  # personal data is masked
    shot(page, "5-citizen", "02-status")
    rating = page.locator("#rating")
    for label in FACTOR_LABELS:
        rating.get_by_role("group", name=label).get_by_label("5", exact=True).check()
    rating.get_by_label("Hài lòng", exact=True).check()
    rating.get_by_label("Ý kiến khác (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình.")
    assert unlabelled_fields(page) == []
    shot(page, "5-citizen", "03-rating-form")
    with page.expect_navigation():
        rating.get_by_role("button", name="Gửi đánh giá").click()
    assert "Cảm ơn ông/bà đã đánh giá" in _flash(page)
    assert page.get_by_text("Ông/bà đã đánh giá hồ sơ này lúc").is_visible()
    shot(page, "5-citizen", "04-rated")
    from sqlalchemy import select

    from onestop.models import Rating

    with live_server.db() as s:
        ratings = s.scalars(select(Rating)).all()
        assert any(r.satisfied for r in ratings)
    assert citizen.csp_violations() == []


# ---------------------------------------------------------------- 6 head reports

def test_head_opens_the_overdue_list_and_exports_form_06(people: Any, shot: Any, live_server: Any) -> None:
    # Received on Monday 05/10/2026 09:00 (Hà Nội), 3 working days: long overdue by now.
    past = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
    late = [prepare(live_server, "assigned", received_at=past, name=n)
            for n in ("Đinh Văn Hùng", "Bùi Thị Hoa")]
    prepare(live_server, "returned", received_at=past, name="Hà Văn Nam")
    head = people("t_head")
    page = head.page
    _nav(page, "Bảng điều khiển")
    assert "/reports/dashboard" in page.url
    assert page.get_by_role("heading", name=re.compile("^Bảng điều khiển")).is_visible()
    assert int(page.locator("#count-overdue").inner_text()) >= len(late)
    assert unlabelled_fields(page) == []
    overdue = page.locator("table").filter(has=page.get_by_role("link", name=late[0].code))
    for d in late:
        row = overdue.get_by_role("row").filter(has=page.get_by_role("link", name=d.code))
        assert row.is_visible(), f"{d.code} not in the overdue list"
        assert "T Officer" in row.inner_text()
    shot(page, "6-reports", "01-dashboard-overdue")

    _nav(page, "Báo cáo 06")
    assert "/reports/form06" in page.url
    assert unlabelled_fields(page) == []
    page.get_by_label("Loại kỳ").select_option(label="Năm")
    page.get_by_label("Kỳ (YYYY-MM, YYYY-Qn, YYYY)").fill("2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem báo cáo").click()
    assert page.get_by_text("từ ngày 01/01/2026 đến ngày 31/12/2026").is_visible()
    shot(page, "6-reports", "02-form06")
    # The page's totals are the service's totals for the same agency and period.
    from onestop.domain.metrics import FORM06_COLUMNS
    from onestop.services.reporting import reports
    from tests.factories import agency

    with live_server.db() as s:
        expected = reports.form06(s, agency(s, UBND), datetime(2026, 1, 1).date(),
                                  datetime(2026, 12, 31).date(), now=datetime.now(UTC),
                                  by="resolver").as_json()["totals"]  # a head's default view
    footer = page.locator("table.table-form06 tfoot td").all_inner_texts()[1:]  # after the STT cell
    assert [int(x) for x in footer] == [int(expected[c]) for c in FORM06_COLUMNS]
    assert expected["received_total"] >= 3 and expected["in_progress_overdue"] >= len(late)

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải Excel").click()
    download = info.value
    target = ARTIFACTS / "6-reports" / download.suggested_filename
    download.save_as(str(target))
    assert target.name == f"mau-06-{UBND}-20260101-20261231.xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(target, read_only=True)
    text = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                    for c in row if c)
    assert "06" in text and "Tân Lạc" in text
    assert head.csp_violations() == []


# ---------------------------------------------------------------- 7 admin

def test_admin_creates_a_clerk_account_and_closes_a_day_in_the_calendar(
    people: Any, shot: Any, live_server: Any,
) -> None:
    admin = people("t_admin")
    page = admin.page
    _nav(page, "Quản trị")
    shot(page, "7-admin", "01-overview")
    tabs = page.get_by_role("navigation", name="Quản trị")
    with page.expect_navigation():
        tabs.get_by_role("link", name="Người dùng").click()
    assert unlabelled_fields(page) == []
    page.get_by_label("Tên đăng nhập").fill("tanlac.motcua2")
    page.get_by_label("Họ và tên").fill("Đinh Thị Thu")
    page.get_by_label("Vai trò").select_option(label="Cán bộ một cửa")
    page.get_by_label("Cơ quan").select_option(value=DESK)
    shot(page, "7-admin", "02-users-create")
    with page.expect_navigation():
        page.get_by_role("button", name="Tạo", exact=True).click()
    assert page.get_by_role("heading", name="Đã tạo tài khoản").is_visible()
    temporary = page.locator("#secret").inner_text().strip()
    assert len(temporary) >= 10
    shot(page, "7-admin", "03-temporary-password", full_page=False)
    with live_server.db() as s:
        from tests.factories import user

        created = user(s, "tanlac.motcua2")
        assert created.role == "clerk" and created.agency.identifier == DESK

    with page.expect_navigation():
        page.get_by_role("link", name="Tôi đã lưu lại — tiếp tục").click()
    with page.expect_navigation():
        tabs.get_by_role("link", name="Lịch làm việc").click()
    assert unlabelled_fields(page) == []
    page.get_by_label("Ngày", exact=True).fill("2026-12-31")
    page.get_by_label("Loại ngoại lệ").select_option(label="Ngày nghỉ (đóng cửa)")
    page.get_by_label("Lý do").fill("Nghỉ bù theo quyết định của UBND tỉnh")
    with page.expect_navigation():
        page.get_by_role("button", name="Thêm", exact=True).click()
    assert "Đã thêm ngày ngoại lệ 31/12/2026" in _flash(page)
    # The exceptions list (first); the year's list beside the national holidays may repeat it.
    assert page.get_by_role("cell", name="31/12/2026").first.is_visible()
    shot(page, "7-admin", "04-calendar")
    assert admin.csp_violations() == []


def test_artifacts_folder_is_where_the_guides_expect_it() -> None:
    assert ARTIFACTS == Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
