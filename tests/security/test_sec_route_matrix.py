"""Access control (docs/security.md): every route of ``app.url_map`` × anonymous and each
role (clerk, officer, head, admin) × own/other agency where a dossier is involved →
the status this table says.

The table is the specification. A route that appears in the app without an entry (or
an entry for a route that no longer exists) fails ``test_every_route_has_an_entry``,
so nobody can add a page without deciding who may open it.

Conventions of the answers (decided by the areas' docstrings, checked here):
* anonymous on a staff page → 302 to /login?next=…; on the bearer API → 401;
* a signed-in user whose role may not use a page → 403;
* another agency's dossier → 404 everywhere, pages, reads and actions, web and API (a code
  must not reveal that a dossier exists: it answers exactly like an unknown code);
* a liên thông leg is acted on by its holder's staff only: ``test_leg_actions_by_party``
  runs acknowledge and hand-back (and finish) as the sender, the holder, a third agency
  and the receiving desk, web and API.
Who is who: clerk = t_clerk (TTPVHCC xã Tân Lạc), officer = t_officer, head = t_head
(UBND xã Tân Lạc), admin = t_admin (province); "own" dossier = received by t_clerk and
transferred to UBND xã Tân Lạc; "other" = received by t_clerk_other in xã Mường Bi.
Users are signed in by putting their id in the session (Flask-Login's own key): the
login form itself, with its throttling and lockout, is tested in test_sec_auth.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from onestop.domain.status import DossierAction as A
from onestop.services.admin.accounts import issue_token
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import HandOffInput
from tests.factories import agency, receive, user
from tests.times import MONDAY

NOW = MONDAY
ROLES = ("anon", "clerk", "officer", "head", "admin")
USERNAMES = {"clerk": "t_clerk", "officer": "t_officer", "head": "t_head", "admin": "t_admin"}
LOGIN = "login"  # 302 to the login page


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str  # placeholders: {own} {other} {own_user} {other_user} {agency_id} {token_id} {other_agency}
    expect: dict[str, int | str]
    data: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    bearer: bool = False
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.label or self.url}"


def every(status: int | str) -> dict[str, int | str]:
    return dict.fromkeys(ROLES, status)


def staff(allowed: tuple[str, ...], ok: int = 200, denied: int = 403, anon: int | str = LOGIN,
          **override: int | str) -> dict[str, int | str]:
    out: dict[str, int | str] = {"anon": anon}
    for r in ROLES[1:]:
        out[r] = ok if r in allowed else denied
    out.update(override)
    return out


ALL = ("clerk", "officer", "head", "admin")
LEADERS = ("head", "admin")
ADMIN = ("admin",)
FORM06_ARGS = "from=2026-01-01&to=2026-03-31"

CASES: list[Case] = [
    # ---- public
    Case("main.index", "GET", "/", every(200)),
    Case("main.healthz", "GET", "/healthz", every(200)),
    Case("main.set_lang", "GET", "/lang/en", every(302)),
    Case("static", "GET", "/static/css/app.css", every(200)),
    Case("account.login", "GET", "/login", every(200)),
    Case("account.login", "POST", "/login", every(401), data={"username": "t_clerk", "password": "wrong-pass-1"}),
    Case("lookup.lookup_page", "GET", "/lookup", every(200)),
    Case("lookup.lookup_page", "POST", "/lookup", every(200), data={"code": "nope", "secret": "x"}),
    Case("lookup.rate", "POST", "/lookup/rating", every(200), data={}),  # the page again, with the errors
    Case("lookup.submit_feedback", "POST", "/lookup/feedback", every(200), data={}),
    Case("qr.qr", "GET", "/lookup/qr/{own}.png", every(200), label="/lookup/qr/<own>.png"),
    Case("lookup_api.api_lookup", "GET", "/api/v1/lookup/{own}", every(404), label="/api/v1/lookup/<own> no secret"),
    Case("transparency.transparency", "GET", "/public", every(200)),
    Case("transparency.transparency", "GET", "/public/000.00.31.H25", every(200)),
    Case("transparency.transparency_data", "GET", "/public/data.json", every(200)),
    Case("transparency.transparency_data", "GET", "/public/000.00.31.H25/data.json", every(200)),
    Case("api.openapi_json", "GET", "/api/v1/openapi.json", every(200)),
    # ---- account
    Case("account.logout", "POST", "/logout", staff(ALL, ok=303)),
    Case("account.change_password", "GET", "/account/password", staff(ALL)),
    Case("account.change_password", "POST", "/account/password", staff(ALL),
         data={"current": "", "new": "", "confirm": ""}),
    # ---- desk and dossiers
    Case("reception.new", "GET", "/reception/new", staff(("clerk",))),
    Case("reception.new", "POST", "/reception/new", staff(("clerk",), ok=422), data={"applicant_name": ""}),
    Case("reception.search_procedures", "GET", "/reception/procedures?q=khai", staff(ALL)),
    Case("reception.register", "GET", "/reception/register", staff(ALL)),
    Case("reception.search", "GET", "/search?q=nguyen", staff(ALL)),
    Case("reception.preview", "GET", "/reception/preview?procedure=1.004884", staff(("clerk",))),
    Case("reception.waiting_return", "GET", "/reception/waiting-return", staff(("clerk", "head", "admin"))),
    Case("dossiers.show", "GET", "/dossiers/{own}", staff(ALL), label="/dossiers/<own>"),
    Case("dossiers.show", "GET", "/dossiers/{other}", staff(ALL, ok=404, admin=200), label="/dossiers/<other>"),
    Case("dossiers.print_form", "GET", "/dossiers/{own}/print/01", staff(ALL), label="/dossiers/<own>/print/01"),
    Case("dossiers.print_form", "GET", "/dossiers/{other}/print/01", staff(ALL, ok=404, admin=200),
         label="/dossiers/<other>/print/01"),
    # Assign on the transferred dossier: only the head of the holding agency may. (An admin
    # gets 409 on the page — no admin action exists in this status — and 403 from the API.)
    Case("dossiers.act", "POST", "/dossiers/{own}/actions/assign",
         staff(("head",), ok=303, clerk=403, officer=403, admin=409),
         data={"officer": "{officer_id}", "version": "{own_version}"}, label="/dossiers/<own>/actions/assign"),
    # The admin sees every dossier: the status is checked first (409: no assignment before
    # the transfer), the role then; everybody else gets the unknown dossier's 404.
    Case("dossiers.act", "POST", "/dossiers/{other}/actions/assign", staff(ALL, ok=404, admin=409),
         data={"officer": "{officer_id}", "version": "{other_version}"}, label="/dossiers/<other>/actions/assign"),
    # A new look-up secret: the receiving desk (clerk) and the holder's staff (head; the
    # officer only if the dossier is assigned to him or unassigned), shown on the answer (200).
    Case("dossiers.reissue", "POST", "/dossiers/{own}/reissue-secret", staff(("clerk", "officer", "head")),
         label="/dossiers/<own>/reissue-secret"),
    Case("dossiers.reissue", "POST", "/dossiers/{other}/reissue-secret",
         staff(("clerk", "officer", "head"), ok=404), label="/dossiers/<other>/reissue-secret"),
    Case("dossiers.worklist", "GET", "/worklist", staff(("officer", "head"))),
    Case("dossiers.inbox", "GET", "/inbox", staff(("clerk", "officer", "head"))),
    # Bulk assignment with nothing selected: a message and back to the inbox.
    Case("dossiers.inbox_assign", "POST", "/inbox/assign", staff(("clerk", "officer", "head"), ok=303), data={}),
    Case("dossiers.notifications", "GET", "/notifications", staff(ALL)),
    Case("dossiers.notifications_read", "POST", "/notifications/read", staff(ALL, ok=303)),
    Case("handoffs.incoming", "GET", "/handoffs", staff(("clerk", "officer", "head"))),
    Case("feedback.feedback_inbox", "GET", "/feedback", staff(("officer", "head"))),
    Case("feedback.feedback_inbox", "POST", "/feedback", staff(("officer", "head"), ok=303), data={}),
    # ---- reports and scores (heads: own subtree; admins: everywhere)
    Case("reports.dashboard", "GET", "/reports/dashboard", staff(LEADERS)),
    Case("reports.dashboard", "GET", "/reports/dashboard?agency={other_agency}", staff(LEADERS, head=403),
         label="/reports/dashboard?agency=<other>"),
    Case("reports.overdue_export", "GET", "/reports/overdue.csv", staff(LEADERS)),
    Case("reports.overdue_export", "GET", "/reports/overdue.xlsx", staff(LEADERS)),
    Case("reports.form06", "GET", "/reports/form06", staff(LEADERS)),
    Case("reports.form06", "GET", "/reports/form06?agency={other_agency}", staff(LEADERS, head=403),
         label="/reports/form06?agency=<other>"),
    Case("reports.close_period", "POST", "/reports/form06/close", staff(LEADERS, ok=303),
         data={"kind": "month", "value": "2026-02"}),
    Case("reports.close_period", "POST", "/reports/form06/close", staff(LEADERS, ok=303, head=403),
         data={"kind": "month", "value": "2026-02", "agency": "{other_agency}"}, label="close other agency"),
    Case("reports.delays", "GET", "/reports/delays", staff(LEADERS)),
    Case("reports.charts", "GET", "/reports/charts", staff(LEADERS)),
    Case("reports.chart_data", "GET", "/reports/charts/data.json", staff(LEADERS, anon=401)),  # JSON: no redirect
    Case("scores.index", "GET", "/scores", staff(LEADERS)),
    Case("scores.rules", "GET", "/scores/rules", staff(ADMIN)),
    Case("scores.rules", "POST", "/scores/rules", staff(ADMIN, ok=404), data={}),  # no such rule
    # ---- administration
    Case("admin.index", "GET", "/admin", staff(ADMIN)),
    Case("admin.agencies", "GET", "/admin/agencies", staff(ADMIN)),
    Case("admin.agencies", "POST", "/admin/agencies", staff(ADMIN, ok=422), data={}),
    Case("admin.agency_edit", "GET", "/admin/agencies/{agency_id}", staff(ADMIN), label="/admin/agencies/<id>"),
    Case("admin.agency_edit", "POST", "/admin/agencies/{agency_id}", staff(ADMIN, ok=422), data={},
         label="/admin/agencies/<id>"),
    Case("admin.users", "GET", "/admin/users", staff(ADMIN)),
    Case("admin.users", "POST", "/admin/users", staff(ADMIN, ok=422), data={}),
    Case("admin.user_detail", "GET", "/admin/users/{other_user}", staff(ADMIN), label="/admin/users/<id>"),
    Case("admin.user_active", "POST", "/admin/users/{other_user}/active", staff(ADMIN, ok=303),
         data={"active": "1"}, label="/admin/users/<id>/active"),
    Case("admin.user_reset_password", "POST", "/admin/users/{other_user}/password", staff(ADMIN),
         label="/admin/users/<id>/password"),
    Case("admin.user_issue_token", "POST", "/admin/users/{other_user}/tokens", staff(ADMIN),
         data={"name": "matrix"}, label="/admin/users/<id>/tokens"),
    Case("admin.user_revoke_token", "POST", "/admin/users/{other_user}/tokens/{token_id}/revoke",
         staff(ADMIN, ok=303), label="/admin/users/<id>/tokens/<id>/revoke"),
    Case("admin.procedures", "GET", "/admin/procedures", staff(ADMIN)),
    Case("admin.procedure_edit", "GET", "/admin/procedures/1.004884", staff(ADMIN)),
    Case("admin.procedure_new", "GET", "/admin/procedures/new", staff(ADMIN)),
    Case("admin.procedure_new", "POST", "/admin/procedures/new", staff(ADMIN, ok=422), data={}),
    # An empty form keeps the account as it is ("no change", back to its page).
    Case("admin.user_edit", "POST", "/admin/users/{other_user}/edit", staff(ADMIN, ok=303), data={},
         label="/admin/users/<id>/edit"),
    Case("admin.audit_log", "GET", "/admin/audit", staff(ADMIN)),
    Case("admin.procedure_edit", "POST", "/admin/procedures/1.004884", staff(ADMIN, ok=422), data={}),
    Case("admin.calendar", "GET", "/admin/calendar", staff(ADMIN)),
    Case("admin.calendar", "POST", "/admin/calendar", staff(ADMIN, ok=422), data={}),
    Case("admin.calendar_delete", "POST", "/admin/calendar/999999/delete", staff(ADMIN, ok=404)),
    Case("admin.calendar_confirm_tet", "POST", "/admin/calendar/tet/2031/confirm", staff(ADMIN, ok=303), data={}),
    Case("dvcqg_admin.index", "GET", "/admin/dvcqg/", staff(ADMIN)),
    Case("dvcqg_admin.resend_one", "POST", "/admin/dvcqg/resend/000.01.31.H25-260302-9999", staff(ADMIN, ok=303),
         label="/admin/dvcqg/resend/<code>"),
    # ---- staff API: bearer tokens only (a session cookie does not count: see test below)
    Case("api.agencies", "GET", "/api/v1/agencies", staff(ALL, anon=401), bearer=True),
    Case("api.procedures", "GET", "/api/v1/procedures", staff(ALL, anon=401), bearer=True),
    Case("api.get_dossier", "GET", "/api/v1/dossiers/{own}", staff(ALL, anon=401), bearer=True,
         label="/api/v1/dossiers/<own>"),
    Case("api.get_dossier", "GET", "/api/v1/dossiers/{other}", staff(ALL, ok=404, anon=401, admin=200),
         bearer=True, label="/api/v1/dossiers/<other>"),
    Case("api.create_dossier", "POST", "/api/v1/dossiers", staff(("clerk",), ok=201, anon=401), bearer=True,
         json={"procedure_code": "1.004884", "applicant": {"name": "Nguyễn Văn An", "id_number": "001090012345",
                                                            "phone": "0912345678"}}),
    Case("api.act", "POST", "/api/v1/dossiers/{own}/actions/assign",
         staff(("head",), anon=401), bearer=True, json={"officer": "t_officer"},
         label="/api/v1/dossiers/<own>/actions/assign"),
    Case("api.act", "POST", "/api/v1/dossiers/{other}/actions/assign", staff((), anon=401, denied=404, admin=409),
         bearer=True, json={"officer": "t_officer"}, label="/api/v1/dossiers/<other>/actions/assign"),
    Case("api.act", "POST", "/api/v1/dossiers/{unknown}/actions/assign", staff((), anon=401, denied=404),
         bearer=True, json={"officer": "t_officer"}, label="/api/v1/dossiers/<unknown>/actions/assign"),
    Case("reports.api_form06", "GET", f"/api/v1/reports/form06?agency=000.00.31.H25&{FORM06_ARGS}",
         staff(LEADERS, anon=401), bearer=True),
    Case("reports.api_form06", "GET", f"/api/v1/reports/form06?agency={{other_agency}}&{FORM06_ARGS}",
         staff(LEADERS, anon=401, head=403), bearer=True, label="/api/v1/reports/form06 other agency"),
    Case("scores.api_scores", "GET", "/api/v1/scores?agency=000.00.31.H25&from=2026-01-01&to=2026-02-28",
         staff(LEADERS, anon=401), bearer=True),
    # ---- dossier files and the 766 index (docs/security.md, "Dossier files")
    Case("files.upload", "POST", "/dossiers/{own}/files", staff(("clerk", "officer", "head"), ok=303), data={},
         label="/dossiers/<own>/files"),
    Case("files.upload", "POST", "/dossiers/{other}/files", staff(("clerk", "officer", "head"), ok=404), data={},
         label="/dossiers/<other>/files"),
    Case("files.reuse", "POST", "/dossiers/{own}/files/reuse", staff(("clerk", "officer", "head"), ok=303),
         data={}, label="/dossiers/<own>/files/reuse"),
    Case("files.approval", "POST", "/dossiers/{own}/files/999999/approval",
         staff(("clerk", "officer", "head"), ok=303), data={}, label="/dossiers/<own>/files/<id>/approval"),
    Case("files.facts", "POST", "/dossiers/{own}/facts", staff(("clerk", "officer", "head"), ok=303), data={},
         label="/dossiers/<own>/facts"),
    Case("files.national", "POST", "/dossiers/{own}/files/national", staff(("clerk", "officer", "head"), ok=303),
         data={}, label="/dossiers/<own>/files/national"),
    Case("files.download", "GET", "/files/999999", staff(ALL, ok=404)),
    Case("lookup.citizen_download", "GET", "/lookup/{own}/files/1", every(404), label="/lookup/<own>/files/<id>"),
    Case("index766.page", "GET", "/index766?agency=000.00.31.H25&period=2026-03", staff(LEADERS)),
    Case("index766.api", "GET", "/api/v1/index766?agency=000.00.31.H25&period=2026-03",
         staff(LEADERS, anon=401), bearer=True),
    Case("index766.trend_api", "GET", "/api/v1/index766/trend?agency=000.00.31.H25&period=2026-03",
         staff(LEADERS, anon=401), bearer=True),
]


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def world(app: Flask, session) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The dossiers, user ids and tokens the placeholders name."""
    own = receive(session, now=NOW).dossier
    apply_action(session, own, A.TRANSFER, actor=user(session, "t_clerk"), now=NOW)
    other = receive(session, now=NOW, clerk="t_clerk_other").dossier
    target = user(session, "t_officer_other")
    token_id_holder = issue_token(session, target, now=NOW, name="to-revoke")
    del token_id_holder
    from sqlalchemy import select

    from onestop.models import ApiToken

    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == target.id,
                                                        ApiToken.name == "to-revoke"))
    tokens = {r: issue_token(session, user(session, u), now=NOW, name="matrix") for r, u in USERNAMES.items()}
    session.commit()
    return {
        "own": own.code, "other": other.code, "unknown": other.code[:-4] + "9999", "own_version": own.version, "other_version": other.version,
        "officer_id": user(session, "t_officer").id, "own_user": user(session, "t_clerk").id,
        "other_user": target.id, "agency_id": agency(session, "000.00.32.H25").id, "token_id": token_id,
        "other_agency": "000.00.32.H25", "ids": {r: user(session, u).id for r, u in USERNAMES.items()},
        "tokens": tokens,
    }


def _fill(value: Any, w: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**{k: v for k, v in w.items() if not isinstance(v, dict)})
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    return value


def fresh_identity() -> None:
    """The test's app context (the ``session`` fixture) is shared by the test client's
    requests, and Flask-Login caches the user in ``g``: forget it between clients."""
    from flask import g

    g.pop("_login_user", None)


def request_as(app: Flask, case: Case, role: str, w: dict[str, Any]) -> Any:
    from onestop.extensions import limiter

    limiter.reset()
    fresh_identity()
    client = app.test_client()
    headers = {}
    if role != "anon":
        if case.bearer:
            headers["Authorization"] = f"Bearer {w['tokens'][role]}"
        else:
            with client.session_transaction() as s:
                s["_user_id"] = str(w["ids"][role])
                s["_fresh"] = True
    url = _fill(case.url, w)
    if case.method == "GET":
        return client.get(url, headers=headers)
    if case.json is not None:
        return client.post(url, json=_fill(case.json, w), headers=headers)
    return client.post(url, data=_fill(case.data, w), headers=headers)


def outcome(resp: Any) -> int | str:
    if resp.status_code == 302 and "/login" in resp.headers.get("Location", ""):
        return LOGIN
    return int(resp.status_code)


# ---------------------------------------------------------------- tests

def test_every_route_has_an_entry(app: Flask) -> None:
    # The staff app's routes and the citizen app's (onestop/web/public/, mounted at its paths);
    # each app only builds, never serves, the other's (build-only rules).
    served = [r for a in (app, app.extensions["onestop.public"]) for r in a.url_map.iter_rules() if not r.build_only]
    routes = {(r.endpoint, m) for r in served for m in r.methods - {"HEAD", "OPTIONS"}}
    covered = {(c.endpoint, c.method) for c in CASES}
    assert routes - covered == set(), "routes without an access-control entry in CASES"
    assert covered - routes == set(), "entries for routes that no longer exist"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_route_answers_each_role_as_the_table_says(app: Flask, world: dict[str, Any], case: Case) -> None:
    got = {role: outcome(request_as(app, case, role, world)) for role in ROLES}
    assert got == case.expect


@pytest.mark.parametrize("url", ["/api/v1/agencies", "/api/v1/procedures", "/api/v1/dossiers/{own}"])
def test_the_staff_api_ignores_a_signed_in_session(app: Flask, world: dict[str, Any], url: str) -> None:
    fresh_identity()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = str(world["ids"]["admin"])
        s["_fresh"] = True
    assert client.get(_fill(url, world)).status_code == 401


def test_a_revoked_token_and_a_deactivated_user_lose_the_api(app: Flask, world: dict[str, Any], session) -> None:  # type: ignore[no-untyped-def]
    from onestop.models import ApiToken
    from onestop.services.admin.accounts import revoke_token, user_for_token

    raw = issue_token(session, user(session, "t_officer"), now=NOW)
    session.commit()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/agencies", headers=auth).status_code == 200
    tok = session.query(ApiToken).filter(ApiToken.prefix == raw[:10]).one()
    revoke_token(session, tok.id, now=NOW, actor=user(session, "t_admin"))
    session.commit()
    assert client.get("/api/v1/agencies", headers=auth).status_code == 401
    assert user_for_token(session, raw, now=NOW) is None
    clerk_raw = world["tokens"]["clerk"]
    user(session, "t_clerk").active = False
    session.commit()
    assert client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {clerk_raw}"}).status_code == 401


HTML_GETS = [c for c in CASES if c.method == "GET" and not c.bearer and not c.url.startswith(("/static", "/api"))]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


@pytest.mark.parametrize("case", HTML_GETS, ids=[c.id for c in HTML_GETS])
def test_every_html_page_has_a_csp_without_inline_script(app: Flask, world: dict[str, Any], case: Case) -> None:
    """For every role that may open the page: CSP with no 'unsafe-inline', the other
    headers, and a body with no inline <script>, on*= handler or style= attribute
    (the CSP would block them in the browser; here they are caught at the source)."""
    checked = 0
    for role in ROLES:
        resp = request_as(app, case, role, world)
        headers = resp.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, role
        assert headers.get("X-Frame-Options") == "DENY" and headers.get("X-Content-Type-Options") == "nosniff"
        if resp.status_code != 200 or not resp.mimetype == "text/html":
            continue
        html = resp.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), (role, INLINE_SCRIPT.search(html))
        assert not HANDLER_ATTR.search(html), (role, HANDLER_ATTR.search(html))
        assert not STYLE_ATTR.search(html), (role, STYLE_ATTR.search(html))
        checked += 1
    # JSON/CSV/XLSX/PNG endpoints and redirects have no HTML to read; every other page was read.
    assert checked or resp.mimetype != "text/html" or resp.status_code != 200


# ---------------------------------------------------------------- liên thông legs per party

# Who is who on the leg UBND xã Tân Lạc → Công an xã Tân Lạc (procedure 3.000722):
# the sender's officer and head, the holder's officer, a third agency that is not part of this
# leg (BHXH tỉnh, the chain's next step; and the neighbouring commune's head), the receiving desk.
PARTIES = {"sender_officer": "t_officer", "sender_head": "t_head", "holder": "t_police", "third": "t_bhxh",
           "other_commune": "t_head_other", "desk": "t_clerk"}
# (action, state) -> expected answer per party; web (303 = done) and API (200 = done) alike,
# except that the API's success is 200 (mapped below).
LEG_MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("acknowledge", "handed_off"): {"sender_officer": 403, "sender_head": 403, "holder": 303, "third": 404,
                                    "other_commune": 404, "desk": 403},
    ("hand_back", "held"): {"sender_officer": 403, "sender_head": 403, "holder": 303, "third": 404,
                            "other_commune": 404, "desk": 403},
    ("complete", "held"): {"sender_officer": 403, "sender_head": 403, "holder": 303, "third": 404,
                           "other_commune": 404, "desk": 403},
}
LEG_CASES = [pytest.param(channel, action, state, party, expected, id=f"{channel}-{action}-{party}")
             for (action, state), row in LEG_MATRIX.items() for party, expected in row.items()
             for channel in ("web", "api")]


def _leg_dossier(session, state: str) -> str:  # type: ignore[no-untyped-def]
    d = receive(session, now=NOW, procedure_code="3.000722").dossier
    apply_action(session, d, A.TRANSFER, actor=user(session, "t_clerk"), now=NOW)
    apply_action(session, d, A.HAND_OFF,
                 HandOffInput(to_agency_id=agency(session, "000.02.31.H25").id),
                 actor=user(session, "t_officer"), now=NOW)
    if state == "held":
        apply_action(session, d, A.ACKNOWLEDGE, actor=user(session, "t_police"), now=NOW)
    session.commit()
    return d.code


@pytest.mark.parametrize(("channel", "action", "state", "party", "expected"), LEG_CASES)
def test_leg_actions_by_party(app: Flask, session, channel: str, action: str, state: str,  # type: ignore[no-untyped-def]
                              party: str, expected: int) -> None:
    from sqlalchemy import select

    from onestop.extensions import limiter
    from onestop.models import Dossier

    limiter.reset()
    fresh_identity()
    code = _leg_dossier(session, state)
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    before = (d.version, d.status, d.current_agency_id, len(d.legs))
    who = user(session, PARTIES[party])
    body = {"result": "Đã đăng ký thường trú", "reason": "Công dân đã có thẻ BHYT"}
    client = app.test_client()
    if channel == "api":
        raw = issue_token(session, who, now=NOW, name="legs")
        session.commit()
        r = client.post(f"/api/v1/dossiers/{code}/actions/{action}", json=body,
                        headers={"Authorization": f"Bearer {raw}"})
        want = 200 if expected == 303 else expected
    else:
        with client.session_transaction() as s:
            s["_user_id"] = str(who.id)
            s["_fresh"] = True
        r = client.post(f"/dossiers/{code}/actions/{action}",
                        data={"version": str(d.version), "confirmed": "1", "result": body["result"],
                              "chain_reason": body["reason"]})
        want = expected
    assert r.status_code == want, (party, r.get_data(as_text=True)[:300])
    session.expire_all()
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    after = (d.version, d.status, d.current_agency_id, len(d.legs))
    assert (after != before) == (want in (200, 303))
