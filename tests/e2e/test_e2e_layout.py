"""The shared layout in a real browser: labels, skip link, keyboard focus,
the English switch, the phone-sized menu, no CSP violations."""
from __future__ import annotations

from typing import Any

from tests.e2e.conftest import unlabelled_fields


def test_login_page_is_labelled_and_keyboard_usable(people: Any, shot: Any) -> None:
    visitor = people(None)
    page = visitor.page
    page.goto("/")
    # The first Tab lands on the skip link, which becomes visible and jumps to <main>.
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.get_by_role("link", name="Bỏ qua đến nội dung").is_visible()
    shot(page, "0-layout", "01-welcome-skip-link", full_page=False)
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.goto("/login")
    assert unlabelled_fields(page) == []
    # The username field has focus on arrival (autofocus): a clerk types at once.
    assert page.evaluate("() => document.activeElement.id") == "username"
    # Sign in with the keyboard only: type, Tab, type, Enter.
    page.keyboard.type("t_clerk")
    page.keyboard.press("Tab")
    page.keyboard.type("test-pass-123")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    page.get_by_role("button", name="T Clerk").click()  # the user menu holds "sign out"
    assert page.get_by_role("button", name="Đăng xuất").is_visible()
    shot(page, "0-layout", "02-home-clerk")
    assert visitor.csp_violations() == []


def test_english_switch_translates_the_layout_and_stays_on_the_page(people: Any, shot: Any) -> None:
    visitor = people(None)
    page = visitor.page
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.url.endswith("/login")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert page.get_by_label("Username").is_visible()
    assert page.get_by_label("Password").is_visible()
    shot(page, "0-layout", "03-login-english", full_page=False)
    with page.expect_navigation():
        page.get_by_role("link", name="Tiếng Việt").click()
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()


def test_phone_layout_collapses_the_menu_behind_a_labelled_button(people: Any, shot: Any) -> None:
    head = people("t_head", viewport={"width": 390, "height": 844})
    page = head.page
    page.goto("/")
    toggler = page.get_by_role("button", name="Mở menu")
    assert toggler.is_visible()
    assert not page.get_by_role("button", name="Đăng xuất").is_visible()
    toggler.click()
    # Wait for Bootstrap's collapse animation to finish (.collapsing → .collapse.show): a click
    # on the user menu while the panel still slides was lost on a loaded machine.
    page.locator("#nav.collapse.show").wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    page.get_by_role("button", name="T Head").click()
    page.get_by_role("button", name="Đăng xuất").wait_for(state="visible")
    shot(page, "0-layout", "04-phone-menu-open", full_page=False)
    assert head.csp_violations() == []


def test_a_heads_full_menu_fits_on_one_row_at_desk_width(people: Any, shot: Any) -> None:
    head = people("t_head", viewport={"width": 1280, "height": 800})
    page = head.page
    page.goto("/")
    menu = page.get_by_role("navigation", name="Điều hướng chính")
    height = menu.bounding_box()["height"]
    assert height < 72, f"the menu wraps onto several rows ({height:.0f}px tall)"
    user_menu = page.get_by_role("button", name="T Head")
    box = user_menu.bounding_box()
    assert box["x"] + box["width"] <= 1280, "the user menu is off screen"
    user_menu.press("Enter")  # keyboard: open the user menu, then sign out
    page.get_by_role("button", name="Đăng xuất").wait_for(state="visible")
    shot(page, "0-layout", "05-head-home", full_page=False)


def test_a_clerk_can_work_in_english(people: Any, shot: Any) -> None:
    clerk = people("t_clerk")
    page = clerk.page
    page.goto("/reception/new")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.url.endswith("/reception/new")
    assert page.get_by_role("heading", name="Receive a dossier").is_visible()
    assert page.get_by_label("Procedure (code or name)").is_visible()
    assert page.get_by_label("Applicant's full name").is_visible()
    assert page.get_by_role("button", name="Receive & print the receipt").is_visible()
    menu = page.get_by_role("navigation", name="Main navigation")
    assert menu.get_by_role("link", name="Register", exact=True).is_visible()
    shot(page, "0-layout", "06-reception-english", full_page=False)


def test_busiest_pages_have_wcag_aa_contrast_and_labelled_fields(people: Any, live_server: Any) -> None:
    from tests.e2e.conftest import low_contrast_text
    from tests.e2e.story import prepare

    d = prepare(live_server, "handed_off")
    head = people("t_head")
    problems: dict[str, list[str]] = {}
    for url in ("/", "/inbox", "/worklist", "/handoffs", f"/dossiers/{d.code}", "/reception/register",
                "/reports/dashboard", "/reports/form06", "/scores"):
        head.page.goto(url)
        assert "/login" not in head.page.url, url
        found = low_contrast_text(head.page) + [f"unlabelled {f}" for f in unlabelled_fields(head.page)]
        if found:
            problems[url] = found
    citizen = people(None)
    for url in ("/", "/login", f"/lookup?code={d.code}", "/public"):
        citizen.page.goto(url)
        found = low_contrast_text(citizen.page) + [f"unlabelled {f}" for f in unlabelled_fields(citizen.page)]
        if found:
            problems[url] = found
    assert problems == {}
