"""Vietnamese is the source language and default; English is complete and switchable.

The catalogue lives in onestop/translations (scripts/i18n.sh extracts, updates,
compiles; the compiled .mo is committed so no build step is needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "onestop" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "N_": None,
            "lazy_ngettext": (1, 2)}


def _catalog(path: Path) -> Any:
    with path.open("rb") as f:
        return read_po(f)


def _ids(catalog: Any) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _translated(message: Any) -> bool:
    s = message.string
    return bool(s) if isinstance(s, str) else bool(s) and all(s)


def _source_msgids() -> dict[str, str]:
    """What `bash scripts/i18n.sh extract` would find today: msgid -> first file."""
    found: dict[str, str] = {}
    for sub, method, opts in (("onestop", "python", {}), ("jobs", "python", {}),
                              ("templates", "jinja2", {"extensions": "jinja2.ext.do"})):
        folder = ROOT / sub
        if not folder.is_dir():
            continue
        pattern = "**.html" if method == "jinja2" else "**.py"
        for filename, _line, message, _c, _ctx in extract_from_dir(
            str(folder), method_map=[(pattern, method)], options_map={pattern: opts},
            keywords=KEYWORDS, strip_comment_tags=True,
            # Babel skips "_*" folders by default; templates/_partials and _macros hold strings too.
            directory_filter=lambda d: not Path(d).name.startswith(".") and Path(d).name != "__pycache__",
        ):
            mid = message if isinstance(message, str) else message[0]
            if mid:
                found.setdefault(mid, f"{sub}/{filename}")
    return found


def test_every_msgid_in_the_template_has_an_english_translation() -> None:
    pot, po = _catalog(POT), _catalog(PO)
    english = {m.id if isinstance(m.id, str) else m.id[0]: m for m in po if m.id}
    missing = sorted(mid for mid in _ids(pot) if mid not in english or not _translated(english[mid]))
    fuzzy = sorted(mid for mid, m in english.items() if "fuzzy" in m.flags)
    assert not missing, "untranslated (add English in messages.po, then `bash scripts/i18n.sh compile`):\n" \
        + "\n".join(missing)
    assert not fuzzy, "fuzzy translations to review:\n" + "\n".join(fuzzy)


def test_the_catalogue_covers_every_vietnamese_string_in_code_and_templates() -> None:
    """New `_()` strings since the last extraction are named with their file."""
    known = _ids(_catalog(PO))
    new = {mid: where for mid, where in _source_msgids().items() if mid not in known}
    assert not new, ("strings not yet in the English catalogue — run `bash scripts/i18n.sh update`, "
                     "translate, `bash scripts/i18n.sh compile`:\n"
                     + "\n".join(f"{where}: {mid}" for mid, where in sorted(new.items(),
                                                                             key=lambda kv: kv[1])))


def test_the_committed_mo_matches_the_po() -> None:
    def key(value: Any) -> Any:  # a plural entry's id and strings are sequences
        return value if isinstance(value, str) else tuple(value)

    po = {key(m.id): key(m.string) for m in _catalog(PO) if m.id and _translated(m)}
    with MO.open("rb") as f:
        mo = {key(m.id): key(m.string) for m in read_mo(f) if m.id}
    stale = sorted(str(k) for k in po if mo.get(k) != po[k])
    assert not stale, "messages.mo is stale — run `bash scripts/i18n.sh compile`:\n" + "\n".join(stale[:20])


def _runtime_labels() -> dict[str, list[str]]:
    """Vietnamese labels kept in data and translated with ``_(variable)`` at run time;
    onestop/translations/runtime_strings.py must list them for extraction."""
    from onestop.domain.index766 import FORMULAS
    from onestop.domain.status import ACTION_LABELS_VI, STATUS_LABELS_VI
    from onestop.services.dossiers.queries import TIMING_LABELS_VI
    from onestop.services.public.feedback import FACTORS, FEEDBACK_KINDS, SCORE_LABELS
    from onestop.services.reporting.scores import MEASURES
    from onestop.web import NAV
    from onestop.web.dossiers import CONFLICT_MESSAGE, FORM_TITLES

    return {
        "onestop/web/__init__.py NAV": [label for _ep, label, _roles in NAV],
        "STATUS_LABELS_VI": list(STATUS_LABELS_VI.values()),
        "ACTION_LABELS_VI": list(ACTION_LABELS_VI.values()),
        "TIMING_LABELS_VI": list(TIMING_LABELS_VI.values()),
        "onestop/domain/index766.py FORMULAS": list(FORMULAS.values()),
        "services/reporting/scores.py MEASURES": list(MEASURES.values()),
        "FORM_TITLES": list(FORM_TITLES.values()) + [CONFLICT_MESSAGE],
        "citizen FACTORS/SCORE_LABELS/FEEDBACK_KINDS": [label for _n, label in FACTORS]
        + list(SCORE_LABELS.values()) + list(FEEDBACK_KINDS.values()),
    }


def test_labels_translated_at_run_time_are_in_the_catalogue() -> None:
    known = _ids(_catalog(PO))
    missing = {where: [v for v in values if v not in known] for where, values in _runtime_labels().items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, ("add these to onestop/translations/runtime_strings.py, then "
                         f"`bash scripts/i18n.sh update`: {missing}")


def _get(client: Any, url: str, **kw: Any) -> Any:
    """A GET with a fresh locale: the test ``session`` fixture keeps one app context
    for the whole test, where Flask-Babel caches the locale (each real request has its own)."""
    from flask_babel import refresh

    refresh()
    return client.get(url, **kw)


def test_login_page_renders_in_vietnamese_by_default(client: Any) -> None:
    html = _get(client, "/login").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Tên đăng nhập" in html and "Mật khẩu" in html


def test_login_page_renders_in_english_with_lang_en(client: Any) -> None:
    html = _get(client, "/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html and "Username" in html and "Password" in html
    assert "Tên đăng nhập" not in html and "Mật khẩu" not in html
    assert "Tiếng Việt" in html  # the switch back


def test_english_choice_is_kept_for_the_session_via_lang_route(client: Any) -> None:
    resp = _get(client, "/lang/en", headers={"Referer": "http://localhost/login"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    html = _get(client, "/login").get_data(as_text=True)
    assert "Sign in" in html
    _get(client, "/lang/vi")
    assert "Đăng nhập" in _get(client, "/login").get_data(as_text=True)


def test_staff_home_and_menu_render_in_english(client: Any) -> None:
    resp = client.post("/login", data={"username": "t_clerk", "password": PASSWORD})
    assert resp.status_code == 303
    html = _get(client, "/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Hello, T Clerk" in html
    assert "Sign out" in html and "Skip to content" in html
    assert "Reception" in html  # menu label translated at run time (NAV)
    assert "Đăng xuất" not in html and "Tiếp nhận" not in html


def test_error_pages_are_translated(client: Any) -> None:
    html = _get(client, "/no-such-page?lang=en").get_data(as_text=True)
    assert "404 · Not found" in html and "Page or dossier not found." in html
    html = _get(client, "/no-such-page?lang=vi").get_data(as_text=True)
    assert "404 · Không tìm thấy" in html and "Không tìm thấy trang hoặc hồ sơ." in html
