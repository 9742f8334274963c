"""The desk, second pass, in a real browser (both engines): the menu's search box finds a dossier
by phone typed with +84; the reception form lists every error, focuses the first and shows the
procedure panel (same-day: "trả trong ngày", the due time and why) before submitting; the register's
dates are typed dd/mm/yyyy with a Vietnamese calendar and a reversed range is refused; the home
page counts the results waiting to be returned."""
from __future__ import annotations

from typing import Any

from tests.e2e.story import APPLICANT, prepare


def test_search_box_finds_by_phone_with_the_country_code(people: Any, live_server: Any) -> None:
    d = prepare(live_server, "received")
    page = people("t_clerk").page
    box = page.get_by_label("Tìm hồ sơ (mã, tên, CCCD, SĐT)")
    box.fill("+84 " + APPLICANT["phone"][1:4] + " " + APPLICANT["phone"][4:])
    with page.expect_navigation():
        box.press("Enter")
    assert "/search" in page.url
    assert page.locator("#search-results").get_by_role("link", name=d.code).is_visible()


def test_reception_lists_every_error_focuses_the_first_and_shows_the_panel(people: Any,
                                                                           live_server: Any) -> None:
    clerk = people("t_clerk")
    page = clerk.page
    page.goto("/reception/new")
    proc = page.get_by_label("Thủ tục (mã hoặc tên)")
    proc.fill("2.000815")
    proc.press("Tab")
    panel = page.locator("#procedure-panel")
    panel.locator("#panel-due").wait_for()
    assert "trả trong ngày" in panel.locator("#panel-limit").inner_text()
    assert "Thủ tục giải quyết trong ngày" in panel.inner_text()
    assert panel.locator("#panel-due").inner_text().strip() != ""
    page.get_by_label("Số điện thoại").fill("0123")
    page.get_by_label("Số định danh cá nhân (CCCD, 12 số)").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp nhận & in giấy hẹn").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert summary.locator("li").count() == 3  # name, citizen ID, phone — all at once
    assert page.evaluate("document.activeElement && document.activeElement.id") == "applicant_name"
    assert page.locator("#applicant_phone-error").is_visible()
    assert clerk.csp_violations() == []


def test_register_dates_are_dd_mm_yyyy_with_a_vietnamese_calendar(people: Any, live_server: Any) -> None:
    clerk = people("t_clerk")
    page = clerk.page
    page.goto("/reception/register")
    start = page.locator("#date_from")
    start.click()
    cal = page.locator(".flatpickr-calendar.open")
    cal.wait_for()
    assert "Tháng" in cal.inner_text() or "tháng" in cal.inner_text().lower()
    page.keyboard.press("Escape")
    start.fill("31/12/2026")
    page.locator("#date_to").fill("01/01/2026")
    page.locator("#name").click()  # leaving the field closes its calendar
    with page.expect_navigation():
        page.get_by_role("button", name="Lọc").click()
    assert page.locator("#date_to-error").is_visible()
    assert "Khoảng ngày ngược" in page.locator("#date_to-error").inner_text()
    assert page.locator("#date_from").input_value() == "31/12/2026"
    assert clerk.csp_violations() == []


def test_home_page_counts_results_waiting_to_be_returned(people: Any, live_server: Any) -> None:
    prepare(live_server, "completed")
    page = people("t_clerk").page
    page.goto("/")
    box = page.locator("#home-waiting")
    assert "Chờ trả kết quả" in box.inner_text()
    with page.expect_navigation():
        box.get_by_role("link", name="Mở danh sách").click()
    assert page.locator("#waiting-table").is_visible()
