"""Browser end-to-end fixtures: one live server and one Chromium per session.

- The server is the real app (CSRF on, real templates) served by werkzeug's
  threaded ``make_server`` on 127.0.0.1 and a free port, against its OWN fresh
  database — one per engine of the suite (SQLite, and PostgreSQL when
  ``ONESTOP_TEST_DATABASE_URL`` is set; ``ONESTOP_E2E_ENGINE`` picks one) — migrated and seeded with the base
  users of tests/factories.py. It never touches the databases of other tests.
- The browser is Debian's Chromium (/usr/bin/chromium) driven by Playwright,
  headless. Without it every e2e test is skipped with a clear reason, unless
  ``ONESTOP_REQUIRE_BROWSER=1`` (CI), where they fail instead.
- Screenshots go to ``test-artifacts/e2e/<journey>/<step>.png`` (gitignored).

The server reads the real clock (onestop.web.auth.utcnow), so dossiers that a
journey prepares through the services are received "now" as well; dossiers that
must be overdue are received on literal past dates.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ENGINES, PG_URL, build_app, make_database

CHROMIUM = os.environ.get("ONESTOP_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("ONESTOP_REQUIRE_BROWSER") == "1"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Short timeouts: a missing page or selector should fail in seconds, naming the selector.
ACTION_TIMEOUT_MS = 6000
HERE = Path(__file__).resolve().parent


def _browser_problem() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (run `bash scripts/install-browser.sh`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problem = _browser_problem()
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if problem and not REQUIRE_BROWSER:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {problem}"))


def _engines() -> list[str]:
    """Every engine the suite runs on (SQLite, and PostgreSQL when configured), or the one
    named by ONESTOP_E2E_ENGINE."""
    wanted = os.environ.get("ONESTOP_E2E_ENGINE")
    if wanted == "postgresql" and not PG_URL:
        raise RuntimeError("ONESTOP_E2E_ENGINE=postgresql needs ONESTOP_TEST_DATABASE_URL")
    return [wanted] if wanted else list(ENGINES)


class LiveServer:
    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url

    @contextmanager
    def db(self) -> Iterator[Any]:
        """A unit of work on the live server's database, committed on exit."""
        from onestop.extensions import db

        with self.app.app_context():
            try:
                yield db.session
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()


@pytest.fixture(scope="session", params=_engines())
def live_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    problem = _browser_problem()
    if problem:
        pytest.fail(f"ONESTOP_REQUIRE_BROWSER=1 but {problem}")  # only reached when required
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the output

    from onestop.extensions import db
    from tests.conftest import NOW
    from tests.factories import seed_base

    url, cleanup = make_database(request.param, tmp_path_factory)
    app = build_app(url, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="1000 per minute",
                    LOOKUP_RATE_LIMIT="1000 per minute")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_base(db.session, now=NOW)
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base  # the receipt's QR link points at this server
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, base)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cleanup()  # type: ignore[operator]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    problem = _browser_problem()
    if problem:
        pytest.fail(f"ONESTOP_REQUIRE_BROWSER=1 but {problem}")  # only reached when required
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts_root() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Actor:
    """A signed-in person with their own browser context (cookies) and page."""

    def __init__(self, username: str, context: Any, page: Any) -> None:
        self.username = username
        self.context = context
        self.page = page
        self.console_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]


@pytest.fixture
def people(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Actor]]:
    """``people("t_clerk")`` -> an Actor signed in through the login page;
    ``people(None)`` -> an anonymous visitor (a citizen). Optional ``viewport``."""
    from tests.factories import PASSWORD

    made: list[Any] = []

    def make(username: str | None, *, viewport: dict[str, int] | None = None, **ctx: Any) -> Actor:
        context = browser.new_context(base_url=live_server.url, locale="vi-VN",
                                      timezone_id="Asia/Ho_Chi_Minh",
                                      viewport=viewport or {"width": 1280, "height": 860},
                                      accept_downloads=True, **ctx)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        made.append(context)
        page = context.new_page()
        actor = Actor(username or "citizen", context, page)
        if username:
            page.goto("/login")
            page.get_by_label("Tên đăng nhập").fill(username)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Đăng nhập").click()
            assert "/login" not in page.url, f"login failed for {username}: {page.url}"
        return actor

    yield make
    for c in made:
        c.close()


_CLEANED: set[str] = set()


@pytest.fixture
def shot(artifacts_root: Path) -> Callable[..., Path]:
    """``shot(page, "1-reception", "01-form")`` saves a full-page PNG and returns its path
    (the journey's folder is emptied on its first shot of the session, so stale steps do not linger)."""
    cleaned = _CLEANED

    def take(page: Any, journey: str, step: str, *, full_page: bool = True) -> Path:
        folder = artifacts_root / journey
        # Under xdist two workers may share a journey folder (0-layout): overwrite only.
        if journey not in cleaned and not os.environ.get("PYTEST_XDIST_WORKER"):
            shutil.rmtree(folder, ignore_errors=True)
        cleaned.add(journey)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


UNLABELLED_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes((el.type || '').toLowerCase()))
  .filter(el => !(el.labels && el.labels.length)
              && !el.getAttribute('aria-label')
              && !el.getAttribute('aria-labelledby')
              && !el.closest('label'))
  .map(el => `${el.tagName.toLowerCase()}[name=${el.name || ''}][id=${el.id || ''}]`)
"""


def unlabelled_fields(page: Any) -> list[str]:
    """Form fields a screen reader could not name (every field has a label)."""
    return list(page.evaluate(UNLABELLED_JS))


LOW_CONTRAST_JS = """
() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(s => parseFloat(s));
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const blend = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== 'none') return null;  // gradients/images: not judged
      const c = parse(s.backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg);
    return bg; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || s.display === 'none' || r.width === 0 || r.height === 0) continue;
    const hidden = '[aria-hidden=true], .visually-hidden, .visually-hidden-focusable, :disabled, [disabled]';
    if (el.closest(hidden)) continue;
    const bg = background(el); if (!bg) continue;
    let fg = parse(s.color); fg = blend({...fg, a: fg.a * parseFloat(s.opacity || 1)}, bg);
    const L1 = lum(fg), L2 = lum(bg); const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    const tag = `<${el.tagName.toLowerCase()} class="${el.className}">`;
    if (ratio < need) out.push(`${ratio.toFixed(2)} < ${need}: ${tag} ${el.textContent.trim().slice(0, 40)}`);
  }
  return out;
}
"""


def low_contrast_text(page: Any) -> list[str]:
    """Visible text below WCAG 2.1 AA contrast (4.5:1, 3:1 for large text) on a solid background."""
    return list(page.evaluate(LOW_CONTRAST_JS))
