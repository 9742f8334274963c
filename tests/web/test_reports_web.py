from __future__ import annotations

import io
from datetime import date, timedelta
from unittest.mock import patch

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from onestop.models import ReportSnapshot
from onestop.services.admin.accounts import issue_token
from onestop.services.reporting import reports
from tests.factories import agency, user
from tests.services.test_reports_data import LATER, MARCH, build_march, open_
from tests.times import hanoi

NOW = hanoi(2026, 4, 1, 9)  # Wednesday 01/04/2026 09:00 in Hà Nội


@pytest.fixture(autouse=True)
def fixed_clock():
    with patch("onestop.web.reports.utcnow", return_value=NOW):
        yield


def _march(session):
    data = build_march(session)
    session.commit()
    return data


def test_dashboard_counts_and_links_each_overdue_dossier(auth, client, session):
    data = _march(session)
    auth.login("t_head")
    r = client.get("/reports/dashboard")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    # On Wed 01/04 09:00: overdue = the 20/03 dossier (due 27/03) and the Cư trú one (due 16/03);
    # paused = the one awaiting a supplement asked before its due time; within = 27/03 and 01/04.
    counts = reports.head_dashboard(session, agency(session, "000.00.31.H25"), now=NOW)
    # The April dossier received at this very moment (01/04 09:00) counts from the next instant: the
    # moment is half-open like Form 06's (docs/rules.md, F2).
    assert (counts.within, counts.due_soon, counts.overdue, counts.paused) == (1, 0, 2, 1)
    later = reports.head_dashboard(session, agency(session, "000.00.31.H25"), now=NOW + timedelta(minutes=1))
    assert (later.within, later.due_soon, later.overdue, later.paused) == (2, 0, 2, 1)
    assert 'id="count-overdue">2<' in html and 'id="count-paused">1<' in html
    overdue_part = html.split('id="overdue"')[1]
    for d in (data.open_overdue, data.residence_overdue):
        assert f'href="/dossiers/{d.code}"' in overdue_part
    assert data.open_within.code not in overdue_part and data.paused.code not in overdue_part


def test_due_soon_rows_link_to_the_apology_form(auth, client, session):
    d = open_(session, hanoi(2026, 3, 25, 9))  # 5 working days → due Wed 01/04 17:00
    session.commit()
    auth.login("t_head")
    html = client.get("/reports/dashboard").get_data(as_text=True)
    assert f'href="/dossiers/{d.code}#action-apologise"' in html


def test_overdue_filters_by_field_channel_and_how_late(auth, client, session):
    data = _march(session)
    auth.login("t_head")
    html = client.get("/reports/dashboard?field=C%C6%B0+tr%C3%BA").get_data(as_text=True)
    part = html.split('id="overdue"')[1]
    assert data.residence_overdue.code in part and data.open_overdue.code not in part
    part = client.get("/reports/dashboard?channel=online").get_data(as_text=True).split('id="overdue"')[1]
    assert data.residence_overdue.code not in part
    # 20/03 dossier is due 27/03 (3 working days late on 01/04); Cư trú due 16/03 (12 working days).
    part = client.get("/reports/dashboard?late=5").get_data(as_text=True).split('id="overdue"')[1]
    assert data.residence_overdue.code in part and data.open_overdue.code not in part


def test_overdue_list_is_sorted_by_lateness_and_keyset_paged(session):
    data = build_march(session)
    commune = agency(session, "000.00.31.H25")
    first = reports.overdue_list(session, commune, now=NOW, limit=1)
    assert [r.code for r in first.rows] == [data.residence_overdue.code] and first.next_after
    second = reports.overdue_list(session, commune, now=NOW, limit=1, after=first.next_after)
    assert [r.code for r in second.rows] == [data.open_overdue.code]
    assert second.next_after is None  # the last page


def test_officers_may_not_open_reports_and_heads_only_see_their_subtree(auth, client, session):
    auth.login("t_officer")
    assert client.get("/reports/dashboard").status_code == 403
    auth.logout()
    auth.login("t_head_other")
    assert client.get("/reports/form06?agency=000.00.31.H25").status_code == 403


def test_form06_page_xlsx_and_close_period(auth, client, session):
    _march(session)
    auth.login("t_head")
    r = client.get("/reports/form06?agency=000.00.31.H25&kind=month&value=2026-03")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Tổng số hồ sơ tiếp nhận" in html and "44,44%" in html
    assert "Số liệu tính đến 01/04/2026 00:00" in html
    x = client.get("/reports/form06?agency=000.00.31.H25&kind=month&value=2026-03&format=xlsx")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(x.data)).active
    assert [ws.cell(11, c).value for c in range(2, 14)] == ["Tổng cộng", 9, 1, 7, 1, 5, 2, 1, 2, 4, 2, 2]
    r = client.post("/reports/form06/close", data={"agency": "000.00.31.H25", "kind": "custom",
                                                    "from": "2026-03-01", "to": "2026-03-31"})
    assert r.status_code == 303
    snap = session.scalar(select(ReportSnapshot))
    assert snap is not None and snap.data["totals"]["received_total"] == 9
    r = client.post("/reports/form06/close", data={"agency": "000.00.31.H25", "kind": "custom",
                                                    "from": "2026-03-01", "to": "2026-03-31"},
                    follow_redirects=True)
    assert "đã được chốt" in r.get_data(as_text=True)


def test_api_form06_matches_the_service_with_token_or_session(auth, client, session):
    _march(session)
    expected = reports.form06(session, agency(session, "000.00.31.H25"), *MARCH, now=LATER).as_json()
    raw = issue_token(session, user(session, "t_head"), now=NOW, name="test")
    session.commit()
    url = "/api/v1/reports/form06?agency=000.00.31.H25&from=2026-03-01&to=2026-03-31"
    r = client.get(url, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["agency"] == "000.00.31.H25" and body["from"] == "2026-03-01" and body["to"] == "2026-03-31"
    assert body["rows"] == expected["rows"] and body["totals"] == expected["totals"]
    assert set(body["rows"][0]) == {"field", *reports.FORM06_COLUMNS}
    from onestop.web import openapi

    assert openapi.validate(body, openapi.resolve(openapi.ref("Form06"))) == {}
    auth.login("t_head")
    assert client.get(url).get_json() == body


@pytest.mark.parametrize("query,status,code", [
    ("agency=000.00.31.H25&from=2026-03-01", 422, "validation_failed"),
    ("agency=000.00.31.H25&from=2026-03-31&to=2026-03-01", 422, "validation_failed"),
    ("agency=000.00.31.H25&from=31/03/2026&to=2026-04-01", 422, "validation_failed"),
    ("agency=NOPE&from=2026-03-01&to=2026-03-31", 404, "not_found"),
    ("agency=000.00.32.H25&from=2026-03-01&to=2026-03-31", 403, "forbidden"),
])
def test_api_form06_errors_are_json(client, session, query, status, code):
    raw = issue_token(session, user(session, "t_head"), now=NOW, name="test")
    session.commit()
    r = client.get(f"/api/v1/reports/form06?{query}", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code and r.get_json()["error"]["message"]


def test_api_form06_needs_authentication(client, session):
    r = client.get("/api/v1/reports/form06?agency=000.00.31.H25&from=2026-03-01&to=2026-03-31")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    r = client.get("/api/v1/reports/form06?agency=000.00.31.H25&from=2026-03-01&to=2026-03-31",
                   headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_cli_prints_the_same_numbers_as_the_api(auth, app, client, session, tmp_path):
    _march(session)
    auth.login("t_head")
    body = client.get("/api/v1/reports/form06?agency=000.00.31.H25&from=2026-03-01&to=2026-03-31").get_json()
    out = tmp_path / "f06.xlsx"
    result = app.test_cli_runner().invoke(args=[
        "onestop", "report", "form06", "--agency", "000.00.31.H25", "--from", "2026-03-01", "--to",
        "2026-03-31",
        "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = {line.split("|")[0].strip(): [int(x) for x in line.split("|")[1].split()]
             for line in lines if "|" in line and not line.startswith("Lĩnh vực")}
    for row in body["rows"]:
        assert table[row["field"]] == [row[c] for c in reports.FORM06_COLUMNS]
    assert table["Tổng cộng"] == [body["totals"][c] for c in reports.FORM06_COLUMNS]
    assert "Tỷ lệ trễ hạn: 44,44%" in result.output
    assert "Số liệu tính đến 01/04/2026 00:00" in result.output
    ws = load_workbook(out).active
    assert ws["C11"].value == body["totals"]["received_total"]


def test_cli_reports_unknown_agency_and_bad_dates(app, session):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["onestop", "report", "form06", "--agency", "NOPE", "--from", "2026-03-01",
                            "--to", "2026-03-31"])
    assert r.exit_code == 2 and "NOPE" in r.output
    r = runner.invoke(
        args=["onestop", "report", "form06", "--agency", "000.00.31.H25", "--from", "01/03/2026",
                            "--to", "2026-03-31"])
    assert r.exit_code == 2


def test_delays_and_charts_pages(auth, client, session):
    _march(session)
    auth.login("t_head")
    assert client.get("/reports/delays?kind=month&value=2026-03").status_code == 200
    html = client.get("/reports/charts").get_data(as_text=True)
    assert "vendor/chart.js/chart.umd.min.js" in html and "<script>" not in html
    data = client.get("/reports/charts/data.json").get_json()
    assert len(data["on_time_rate"]["labels"]) == 12 and data["on_time_rate"]["labels"][-1] == "04/2026"
    march = data["on_time_rate"]["values"][-2]
    assert march == 60.0  # resolved in March: 5, of which 3 early/on time (2 late)
    assert data["channels"] == {"direct": 9, "online": 1, "postal": 1}


def test_openapi_document_describes_the_served_form06_path(app):
    from onestop.web import openapi

    doc = openapi.document()
    op = doc["paths"]["/api/v1/reports/form06"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"agency", "from", "to", "by"}
    schema = doc["components"]["schemas"]["Form06Row"]["properties"]
    assert set(reports.FORM06_COLUMNS) | {"field"} <= set(schema)
    assert "/api/v1/reports/form06" in {r.rule for r in app.url_map.iter_rules()}


# ---------------------------------------------------------------- by desk / by resolver, "as of"


def _education_dossier(session, when):
    from onestop.services.dossiers.actions import apply_action
    from tests.factories import receive

    d = receive(session, now=when, procedure_code="1.005095", clerk="t_pclerk").dossier
    apply_action(session, d, "transfer", actor=None, now=when + timedelta(minutes=10))
    return d


def test_api_form06_by_resolver_gives_the_department_its_form(client, session):
    _education_dossier(session, hanoi(2026, 3, 10, 9))
    raw = issue_token(session, user(session, "t_admin"), now=NOW, name="test")
    session.commit()
    auth = {"Authorization": f"Bearer {raw}"}
    url = "/api/v1/reports/form06?agency=000.00.07.H25&from=2026-03-01&to=2026-03-31"
    resolver = client.get(url + "&by=resolver", headers=auth).get_json()
    assert resolver["by"] == "resolver" and resolver["totals"]["received_total"] == 1
    assert [r["field"] for r in resolver["rows"]] == ["Giáo dục"]
    desk = client.get(url + "&by=desk", headers=auth).get_json()
    assert desk["totals"]["received_total"] == 0
    assert client.get(url, headers=auth).get_json()["by"] == "desk"  # an admin's default
    # The moment measured: March is over on 01/04 09:00 → its end; April is not → now.
    assert resolver["as_of"] == "2026-04-01T00:00:00+07:00"
    april = client.get("/api/v1/reports/form06?agency=000.00.07.H25&from=2026-04-01&to=2026-04-30",
                       headers=auth).get_json()
    assert april["as_of"] == "2026-04-01T09:00:00+07:00"
    bad = client.get(url + "&by=holder", headers=auth)
    assert bad.status_code == 422 and "by" in bad.get_json()["error"]["fields"]
    from onestop.web import openapi

    assert openapi.validate(resolver, openapi.resolve(openapi.ref("Form06"))) == {}


def test_a_department_heads_default_view_is_their_agency_as_resolver(auth, client, session):
    from onestop.services.dossiers.actions import apply_action
    from tests.factories import receive

    d = receive(session, now=hanoi(2026, 3, 10, 9), procedure_code="2.001610", clerk="t_pclerk").dossier
    apply_action(session, d, "transfer", actor=None, now=hanoi(2026, 3, 10, 9, 10))
    assert d.current_agency.identifier == "000.00.02.H25"  # Sở Tài chính
    session.commit()
    auth.login("t_dept_head")
    html = client.get("/reports/form06?kind=month&value=2026-03").get_data(as_text=True)
    assert "theo cơ quan giải quyết" in html and "Số liệu tính đến 01/04/2026 00:00" in html
    footer = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert "<td>1</td>" in footer  # received total 1, not an empty form
    desk = client.get("/reports/form06?kind=month&value=2026-03&by=desk").get_data(as_text=True)
    assert "Không có hồ sơ trong kỳ." in desk
    x = client.get("/reports/form06?kind=month&value=2026-03&format=xlsx")
    ws = load_workbook(io.BytesIO(x.data)).active
    assert ws["C9"].value == 1 and isinstance(ws["C9"].value, int)
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any(t.startswith("Số liệu tính đến 01/04/2026 00:00") and "theo cơ quan giải quyết" in t
               for t in texts)


def test_cli_by_resolver(app, session):
    _education_dossier(session, hanoi(2026, 3, 10, 9))
    session.commit()
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=["onestop", "report", "form06", "--agency", "000.00.07.H25", "--from", "2026-03-01",
                            "--to", "2026-03-31", "--by", "resolver"])
    assert r.exit_code == 0, r.output
    assert "theo cơ quan giải quyết" in r.output and "Giáo dục" in r.output
    assert "Số liệu tính đến 01/04/2026 00:00" in r.output
    r = runner.invoke(
        args=["onestop", "report", "form06", "--agency", "000.00.07.H25", "--from", "2026-03-01",
                            "--to", "2026-03-31", "--by", "holder"])
    assert r.exit_code == 2


def test_dashboard_counts_by_scope_equal_form06_in_progress(auth, client, session):
    _march(session)
    auth.login("t_head")
    april = reports.form06(session, agency(session, "000.00.31.H25"), date(2026, 4, 1), date(2026, 4, 30),
                           now=NOW, by="resolver").totals
    html = client.get("/reports/dashboard?by=resolver").get_data(as_text=True)

    def count(name: str) -> int:
        return int(html.split(f'id="count-{name}">', 1)[1].split("<", 1)[0])

    assert count("within") + count("due-soon") + count("paused") == april.in_progress_within
    assert count("overdue") == april.in_progress_overdue
    assert client.get("/reports/dashboard?by=holder").status_code == 303
