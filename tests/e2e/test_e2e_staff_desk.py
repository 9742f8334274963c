"""The head's desk and the staff lists in a real browser: the staff lists fit a phone
(nothing wider than the viewport), the head assigns several dossiers at once seeing each
officer's open load, and the assignee is told in the menu (in-app notification)."""
from __future__ import annotations

import re
from typing import Any

from tests.e2e.story import prepare, status_of

PHONE = {"width": 390, "height": 844}


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("() => document.scrollingElement.scrollWidth"))


def test_staff_lists_fit_a_390px_phone(people: Any, shot: Any, live_server: Any) -> None:
    for step in ("transferred", "assigned", "completed"):
        prepare(live_server, step, name=f"Nguyễn Thị Phương Thảo {step}")
    head = people("t_head", viewport=PHONE)
    for path in ("/inbox", "/worklist", "/reception/register"):
        head.page.goto(path)
        assert head.page.locator("table").count() >= 1, path
        width = _scroll_width(head.page)
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    shot(head.page, "2-assignment", "05-register-phone", full_page=False)
    clerk = people("t_clerk", viewport=PHONE)
    for path in ("/reception/waiting-return", "/reception/register", "/inbox"):
        clerk.page.goto(path)
        width = _scroll_width(clerk.page)
        assert width <= 390, f"{path} (clerk) is {width} px wide on a 390 px phone"
    head.page.goto("/inbox")
    shot(head.page, "2-assignment", "04-inbox-phone", full_page=False)


def test_head_bulk_assigns_with_each_officers_load_and_the_officer_is_notified(
    people: Any, shot: Any, live_server: Any,
) -> None:
    ds = [prepare(live_server, "transferred", name=n) for n in ("Vi Văn Bảy", "Hà Thị Tám")]
    officer = people("t_officer2")
    op = officer.page
    op.goto("/")
    before = int(op.locator("#nav-unread").get_attribute("data-count") or 0)

    head = people("t_head")
    page = head.page
    page.goto("/inbox")
    # The officer list tells each officer's open load and how many are due soon.
    select = page.get_by_label("Giao các hồ sơ đã chọn cho")
    labels = select.locator("option").all_inner_texts()
    assert any(re.search(r"T Officer2 — \d+ đang xử lý, \d+ sắp đến hạn", t) for t in labels), labels
    for d in ds:
        page.get_by_label(f"Chọn hồ sơ {d.code}").check()
    select.select_option(label=next(t for t in labels if t.startswith("T Officer2")))
    shot(page, "2-assignment", "06-bulk-assign")
    with page.expect_navigation():
        page.get_by_role("button", name="Giao các hồ sơ đã chọn").click()
    flash = " ".join(page.get_by_role("alert").all_inner_texts())
    assert "Đã giao 2 hồ sơ cho T Officer2" in flash, flash
    for d in ds:
        assert status_of(live_server, d.code)["assignee"] == "t_officer2"
    # The officer sees the unread count in the menu and the notification in the list.
    op.goto("/")
    assert int(op.locator("#nav-unread").get_attribute("data-count") or 0) == before + 2
    with op.expect_navigation():
        op.locator("#nav-unread").click()
    for d in ds:
        assert op.get_by_text(re.compile(f"Hồ sơ {d.code} được giao cho bạn")).first.is_visible()
    shot(op, "2-assignment", "07-officer-notifications")
    with op.expect_navigation():
        op.get_by_role("button", name="Đánh dấu tất cả đã đọc").click()
    unread = op.locator("#nav-unread")
    assert unread.count() == 0 or unread.get_attribute("data-count") == "0"
    assert head.csp_violations() == [] and officer.csp_violations() == []


def test_admin_adds_a_procedure_with_a_chain_edits_a_user_and_reads_the_audit_log(
    people: Any, shot: Any, live_server: Any,
) -> None:
    admin = people("t_admin")
    page = admin.page
    page.goto("/admin/procedures")
    with page.expect_navigation():
        page.get_by_role("link", name="Thêm thủ tục").click()
    page.get_by_label("Mã thủ tục (CSDL quốc gia)").fill("1.999777")
    page.get_by_label("Tên thủ tục").fill("Đăng ký khai thác nước mặt quy mô nhỏ")
    page.get_by_label("Lĩnh vực").fill("Tài nguyên nước")
    page.get_by_label("Phí, lệ phí").fill("Không")
    page.get_by_label("Thời hạn giải quyết").fill("10")
    page.get_by_label("Thành phần hồ sơ (mỗi dòng một giấy tờ)").fill("Tờ khai\nSơ đồ vị trí")
    steps = page.get_by_label("Cơ quan thực hiện")
    steps.nth(0).select_option("people_committee")
    page.get_by_label("Tỷ lệ thời gian (%)").nth(0).fill("70")
    dep = next(v for v in steps.nth(1).locator("option").evaluate_all("os => os.map(o => o.value)")
               if v.startswith("department:"))
    steps.nth(1).select_option(dep)
    page.get_by_label("Tỷ lệ thời gian (%)").nth(1).fill("30")
    shot(page, "7-admin", "10-procedure-new")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    assert "Đã tạo thủ tục 1.999777" in " ".join(page.get_by_role("alert").all_inner_texts())
    with live_server.db() as s:
        from tests.factories import procedure

        p = procedure(s, "1.999777")
        assert [st.agency_kind for st in p.steps] == ["people_committee", dep]

    page.goto("/admin/users?q=officer2")
    with page.expect_navigation():
        page.get_by_role("link", name="t_officer2").first.click()
    page.get_by_label("Họ và tên").fill("Lường Văn Dũng")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu tài khoản").click()
    assert "Đã lưu tài khoản t_officer2" in " ".join(page.get_by_role("alert").all_inner_texts())
    page.goto("/admin/users?q=luong van dung")
    assert page.get_by_text("Lường Văn Dũng").first.is_visible()

    page.goto("/admin/audit")
    page.get_by_label("Thao tác").select_option(label="Sửa tài khoản")
    with page.expect_navigation():
        page.get_by_role("button", name="Lọc").click()
    assert re.search(r"\d+ dòng · trang 1/\d+", page.locator("#audit-total").inner_text())
    assert page.get_by_role("cell", name="user:t_officer2").first.is_visible()
    shot(page, "7-admin", "11-audit-log")
    page.goto("/admin/audit?date_from=05/03/2026&date_to=01/03/2026")
    assert page.get_by_text("Ngày kết thúc phải sau ngày bắt đầu.").is_visible()
    assert admin.csp_violations() == []
