"""Second pass in a real browser: the citizen's phone (rating errors beside each question, rating and
complaint without retyping the secret, the thank-you headline, /public at 390 px) and the head's
desk (Form 06 at 1366 px, the period pickers, chart sizes)."""
from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import unlabelled_fields
from tests.e2e.story import prepare

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def _no_horizontal_scroll(page: Any) -> int:
    """The page's width beyond the viewport, in CSS pixels (0 = no horizontal scroll)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def test_citizen_rates_and_complains_without_retyping_the_secret(people: Any, shot: Any,
                                                                 live_server: Any) -> None:
    d = prepare(live_server, "returned")
    citizen = people(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page = citizen.page
    page.goto(f"/lookup?code={d.code}")
    page.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").fill(d.secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Tra cứu", exact=True).click()
    assert d.secret not in page.content()  # the page does not carry the secret
    rating = page.locator("#rating")
    # Only one question answered: the others say so beside themselves, no banner on top.
    rating.get_by_role("group", name="Tiếp cận dịch vụ").get_by_label("5", exact=True).check()
    with page.expect_navigation():
        rating.get_by_role("button", name="Gửi đánh giá").click()
    assert page.locator(".alert-danger").count() == 0
    errors = page.locator("#rating .invalid-feedback")
    assert errors.count() == 5  # four factors + satisfied
    for name in ("score_procedure", "score_officer", "score_result", "score_feedback", "satisfied"):
        assert page.locator(f"#{name}-error").is_visible(), name
    assert rating.get_by_role("group", name="Tiếp cận dịch vụ").get_by_label("5", exact=True).is_checked()
    # The first question in error has the focus (Thủ tục hành chính's first choice).
    assert page.evaluate("() => document.activeElement.name") == "score_procedure"
    assert _no_horizontal_scroll(page) <= 0
    shot(page, "h11-citizen", "01-rating-errors-beside-questions")
    for label in ("Thủ tục hành chính", "Công chức giải quyết", "Kết quả giải quyết",
                  "Tiếp nhận, xử lý phản ánh, kiến nghị"):
        rating.get_by_role("group", name=label).get_by_label("4", exact=True).check()
    rating.get_by_label("Hài lòng", exact=True).check()
    with page.expect_navigation():
        rating.get_by_role("button", name="Gửi đánh giá").click()
    assert "Cảm ơn ông/bà đã đánh giá" in page.locator("h1").inner_text()
    shot(page, "h11-citizen", "02-rated-headline")
    # An empty complaint: the message is beside the box; then a real one, still no secret typed.
    feedback = page.locator("#feedback")
    assert feedback.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").count() == 0
    with page.expect_navigation():
        feedback.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    assert "Vui lòng nhập nội dung phản ánh" in page.locator("#f-content-error").inner_text()
    page.locator("#f-content").fill("Kết quả ghi sai tên đệm của con tôi.")
    with page.expect_navigation():
        page.locator("#feedback").get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    assert "Đã tiếp nhận phản ánh" in page.content()
    timeline = page.locator(".lookup-timeline").inner_text()
    assert "liên thông" not in timeline.lower() and "Ông/bà đã nhận kết quả" in timeline
    assert unlabelled_fields(page) == []
    shot(page, "h11-citizen", "03-complaint-sent")
    assert citizen.csp_violations() == []


def test_public_page_reads_on_a_phone(people: Any, shot: Any, live_server: Any) -> None:
    prepare(live_server, "returned")
    visitor = people(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page = visitor.page
    page.goto("/public")
    page.wait_for_load_state("networkidle")
    assert _no_horizontal_scroll(page) <= 0
    text = page.locator("main").inner_text()
    assert re.search(r"\d{2}/\d{2}/\d{4} → \d{2}/\d{2}/\d{4}", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    # Every figure is on screen: no cell's right edge beyond the phone's width, each labelled.
    rights = page.evaluate("() => [...document.querySelectorAll('table.transparency-table tbody td')]"
                           ".map(td => td.getBoundingClientRect().right)")
    assert rights and max(rights) <= PHONE["width"] + 0.5, max(rights)
    label = page.evaluate("() => getComputedStyle(document.querySelector("
                          "'table.transparency-table tbody td'), '::before').content")
    assert "Tiếp nhận" in label
    shot(page, "h11-citizen", "04-public-on-a-phone")
    assert visitor.csp_violations() == []


def test_form06_fits_a_1366_screen_and_periods_are_picked(people: Any, shot: Any, live_server: Any) -> None:
    prepare(live_server, "returned")
    head = people("t_head", viewport=LAPTOP)
    page = head.page
    page.goto("/reports/form06")
    # Pick the 4th quarter of 2026 from lists, no "2026-Q4" to type.
    page.get_by_label("Loại kỳ").select_option("quarter")
    page.get_by_label("Năm", exact=True).select_option("2026")
    page.get_by_label("Quý", exact=True).select_option("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem báo cáo").click()
    assert page.get_by_text("từ ngày 01/10/2026 đến ngày 31/12/2026").is_visible()
    last = page.locator("table.table-form06 thead tr").last.locator("th").last
    box = last.bounding_box()
    assert box is not None and box["x"] + box["width"] <= LAPTOP["width"], box
    assert _no_horizontal_scroll(page) <= 0
    shot(page, "h11-head", "01-form06-1366", full_page=False)
    # A month from lists too.
    page.get_by_label("Loại kỳ").select_option("month")
    page.get_by_label("Năm", exact=True).select_option("2026")
    page.get_by_label("Tháng", exact=True).select_option("11")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem báo cáo").click()
    assert page.get_by_text("từ ngày 01/11/2026 đến ngày 30/11/2026").is_visible()
    assert unlabelled_fields(page) == []
    assert head.csp_violations() == []


def test_charts_have_sane_sizes(people: Any, shot: Any, live_server: Any) -> None:
    prepare(live_server, "returned")
    head = people("t_head", viewport=LAPTOP)
    page = head.page
    page.goto("/reports/charts")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    heights = page.evaluate("() => [...document.querySelectorAll('#report-charts canvas')]"
                            ".map(c => [c.id, c.getBoundingClientRect().height])")
    assert heights, "no charts"
    for chart_id, height in heights:
        assert 120 <= height <= 420, (chart_id, height)
    ids = {h[0] for h in heights}
    assert "chart-satisfaction" in ids
    shot(page, "h11-head", "02-charts-1366")
    assert head.csp_violations() == []
