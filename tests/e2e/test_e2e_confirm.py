"""Irreversible actions ask first (docs/security.md, "Accountability"): in the browser, the
dossier page's script shows a confirmation dialog — dismissing it changes nothing, accepting
it finishes the dossier; with script turned off, the server answers with its own
confirmation step, and only its "Xác nhận" button acts."""
from __future__ import annotations

from typing import Any

from tests.e2e.story import prepare, status_of

PROCEDURE = "1.004884"  # not liên thông: the finish needs only its result


def test_finishing_asks_for_confirmation_in_a_dialog(people: Any, shot: Any, live_server: Any) -> None:
    d = prepare(live_server, "assigned", procedure=PROCEDURE)
    officer = people("t_officer")
    page = officer.page
    page.goto(f"/dossiers/{d.code}")
    page.locator("#action-complete summary").click()
    page.get_by_label("Kết quả giải quyết").fill("Đã cấp bản sao trích lục")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("#action-complete").get_by_role("button", name="Đã xử lý xong").click()
    page.wait_for_timeout(300)  # a submission, if any, would have started by now
    assert asked and "không thể mở lại" in asked[0]
    assert page.url.endswith(f"/dossiers/{d.code}")
    assert status_of(live_server, d.code)["status"] == "processing"  # dismissed: nothing happened
    shot(page, "6-confirm", "01-dismissed")

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#action-complete").get_by_role("button", name="Đã xử lý xong").click()
    assert "Đã thực hiện: Đã xử lý xong" in page.locator(".alert").first.inner_text()
    assert status_of(live_server, d.code)["status"] == "result_ready"
    shot(page, "6-confirm", "02-accepted")
    assert officer.csp_violations() == []


def test_without_script_the_server_asks_for_confirmation(people: Any, shot: Any, live_server: Any) -> None:
    d = prepare(live_server, "assigned", procedure=PROCEDURE)
    officer = people("t_officer", java_script_enabled=False)
    page = officer.page
    page.goto(f"/dossiers/{d.code}")
    page.locator("#action-stop summary").click()
    page.locator("#action-stop").get_by_label("Lý do").fill("Không đủ điều kiện theo quy định")
    with page.expect_navigation():
        page.locator("#action-stop").get_by_role("button", name="Dừng xử lý").click()
    assert page.get_by_role("heading", name="Xác nhận: Dừng xử lý").is_visible()
    assert page.get_by_text("Không đủ điều kiện theo quy định").is_visible()
    assert status_of(live_server, d.code)["status"] == "processing"
    shot(page, "6-confirm", "03-confirm-page")
    with page.expect_navigation():
        page.get_by_role("button", name="Xác nhận: Dừng xử lý").click()
    assert status_of(live_server, d.code)["status"] == "stopped"
