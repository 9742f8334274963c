"""The head's desk, second pass (docs/guide-head.md): Form 06's period picked from lists (year with
month or quarter, no "2026-Q4" to type), the typed value still accepted, bad picks refused with a
message; the charts' data carries the citizens' satisfaction."""
from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import patch

import pytest

from onestop.models import Rating
from tests.services.test_reports_data import build_march
from tests.times import hanoi

NOW = hanoi(2026, 4, 1, 9)


@pytest.fixture(autouse=True)
def fixed_clock():
    with patch("onestop.web.reports.utcnow", return_value=NOW):
        yield


@pytest.mark.parametrize("args,expected", [
    ({"kind": "quarter", "year": "2026", "quarter": "4"}, "từ ngày 01/10/2026 đến ngày 31/12/2026"),
    ({"kind": "month", "year": "2026", "month": "2"}, "từ ngày 01/02/2026 đến ngày 28/02/2026"),
    ({"kind": "year", "year": "2025", "month": "7"}, "từ ngày 01/01/2025 đến ngày 31/12/2025"),
    # A typed value still wins over the lists (bookmarks, the API's style).
    ({"kind": "month", "year": "2026", "month": "2", "value": "2026-03"},
     "từ ngày 01/03/2026 đến ngày 31/03/2026"),
])
def test_form06_period_from_the_lists(auth, client, session, args, expected):
    session.commit()
    auth.login("t_head")
    html = client.get("/reports/form06", query_string=args).get_data(as_text=True)
    assert expected in html
    for name in ("year", "month", "quarter"):
        assert f'id="f-{name}" name="{name}"' in html


def test_form06_lists_show_the_period_shown(auth, client, session):
    session.commit()
    auth.login("t_head")
    html = client.get("/reports/form06", query_string={"kind": "quarter", "year": "2026", "quarter": "3"}) \
        .get_data(as_text=True)
    assert '<option value="2026" selected>' in html and '<option value="3" selected>III</option>' in html


def test_a_bad_pick_is_refused_with_a_message(auth, client, session):
    session.commit()
    auth.login("t_head")
    r = client.get("/reports/form06", query_string={"kind": "quarter", "year": "2026", "quarter": "9"},
                   follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "Kỳ báo cáo không hợp lệ" in text or "Kỳ báo cáo phải" in text


def test_chart_data_has_the_satisfaction_counts(auth, client, session):
    from onestop.models import Dossier

    build_march(session)

    rows = session.query(Dossier).limit(3).all()
    for d, happy in zip(rows, (True, False, True), strict=False):
        session.add(Rating(dossier_id=d.id, agency_id=d.receiving_agency_id, satisfied=happy, comment="",
                           created_at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC), score_access=5,
                           score_procedure=5,
                           score_officer=5, score_result=5, score_feedback=5))
    session.commit()
    auth.login("t_head")
    sat = client.get("/reports/charts/data.json").get_json()["satisfaction"]
    assert sat["satisfied"] == 2 and sat["dissatisfied"] == 1 and sat["ratings"] == 3
    html = client.get("/reports/charts").get_data(as_text=True)
    assert 'id="chart-satisfaction"' in html and 'class="chart-box' in html


def test_scores_show_names_not_rule_ids(auth, client, session):
    import re

    build_march(session)
    session.commit()
    with patch("onestop.web.scores.utcnow", return_value=NOW):
        auth.login("t_head")
        html = client.get("/scores?period=2026-03").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.index("<main"):]))
    assert "par.tthc" not in text and "766.2.1" not in text, text[:400]
    assert "Chỉ số 2.1 Tỷ lệ hồ sơ xử lý đúng hạn" in text
    # The what-if names the criteria it scores.
    assert re.search(r"Tỷ lệ hồ sơ TTHC giải quyết đúng hạn: \d", text)


def test_delays_are_in_working_days_and_hours(auth, client, session):
    """3.000722 at the commune: 3 working days = 1,350 office minutes, 450 a working day; the police
    leg used 1,290 minutes and overran its share by 885 (tests/services/test_reports_delays.py)."""
    from onestop.services.dossiers.actions import apply_action
    from onestop.services.dossiers.inputs import CompleteInput
    from tests.factories import user
    from tests.services.test_reports_data import open_

    d = open_(session, hanoi(2026, 3, 2, 9), code="3.000722")
    apply_action(session, d, "hand_off", actor=user(session, "t_officer"), now=hanoi(2026, 3, 3, 10))
    apply_action(session, d, "acknowledge", actor=user(session, "t_police"), now=hanoi(2026, 3, 3, 10))
    apply_action(session, d, "hand_off", actor=user(session, "t_police"), now=hanoi(2026, 3, 6, 9))
    apply_action(session, d, "acknowledge", actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 6, 9))
    apply_action(session, d, "complete",
                 CompleteInput(result="Xong"), actor=user(session, "t_bhxh"), now=hanoi(2026, 3, 6, 14))
    session.commit()
    auth.login("t_head")
    html = client.get("/reports/delays?kind=month&value=2026-03").get_data(as_text=True)
    assert "2 ngày làm việc 6 giờ 30 phút" in html  # used
    assert "1 ngày làm việc 7 giờ 15 phút" in html  # over its share
    assert "21 giờ" not in html  # 1,290 minutes are no longer "21 giờ 30 phút"


def test_chart_bars_are_per_resolving_agency(auth, client, session):
    """The commune's dossiers are received at its service centre and resolved by the UBND: the bars
    count them for the UBND (the resolver), as many as Form 06 by resolver says were resolved."""
    from datetime import date

    from onestop.services.reporting import reports
    from tests.factories import agency

    build_march(session)
    session.commit()
    auth.login("t_head")
    data = client.get("/reports/charts/data.json").get_json()
    bars = {b["agency"]: b["on_time"] + b["late"] for b in data["agencies"]}
    assert bars.get("UBND xã Tân Lạc", 0) > 0, bars
    f06 = reports.form06(session, agency(session, "000.00.31.H25"), date.fromisoformat(data["from"]),
                         date.fromisoformat(data["to"]), now=NOW, by="resolver")
    assert sum(bars.values()) == f06.totals.resolved_total
