"""The honest estimate: median and 90th percentile of working days from reception to result per
procedure and resolving agency over 90 days, hidden under 10 cases; SQL on both engines equals a
Python reference (percentile_cont's linear interpolation on the calendar's working-day count)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app
from flask_babel import force_locale

from onestop.models import ProcedureEstimate
from onestop.services.admin.calendars import national_calendar
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.estimates import compute_estimates, estimate_for_dossier, refresh_estimates
from onestop.services.dossiers.inputs import CompleteInput
from onestop.web import sentences
from tests.factories import receive, user
from tests.times import MONDAY


def percentile_cont(values: list[int], p: float) -> Decimal:
    v = sorted(values)
    h = (len(v) - 1) * p
    lo = int(h)
    hi = min(lo + 1, len(v) - 1)
    return (Decimal(v[lo]) + (Decimal(str(h)) - lo) * (v[hi] - v[lo])).quantize(Decimal("0.01"))


def _results(session, spans: list[int]) -> list[int]:
    """One dossier per span (calendar days from receipt to result); returns the working days."""
    cal = national_calendar(session)
    out = []
    for k, span in enumerate(spans):
        got = MONDAY + timedelta(days=k % 5, hours=k % 3)
        d = receive(session, now=got).dossier
        apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=got + timedelta(minutes=5))
        done = got + timedelta(days=span, minutes=30)
        apply_action(session, d, "complete",
                     CompleteInput(result="Đã cấp"), actor=user(session, "t_officer"), now=done)
        out.append(cal.working_days_between(cal.local_date(got), cal.local_date(done)))
    session.flush()
    return out


SPANS = [0, 1, 1, 2, 3, 3, 4, 6, 7, 9, 13, 2]


def test_median_and_p90_match_the_reference_on_both_methods(session):
    days = _results(session, SPANS)
    now = MONDAY + timedelta(days=30)
    rows = compute_estimates(session, now)
    assert len(rows) == 1
    _, _, cases, med, p90 = rows[0]
    assert cases == len(SPANS)
    assert med == percentile_cont(days, 0.5) and p90 == percentile_cont(days, 0.9)
    if session.get_bind().dialect.name == "postgresql":
        # percentile_cont and the window-function path (what SQLite runs) give the same answer.
        assert compute_estimates(session, now, method="window") == compute_estimates(session, now,
                                                                                     method="pg")


def test_fewer_than_ten_cases_show_nothing_and_old_results_leave_the_window(session):
    _results(session, SPANS[:9])
    assert compute_estimates(session, MONDAY + timedelta(days=30)) == []
    _results(session, SPANS[9:])
    assert compute_estimates(session, MONDAY + timedelta(days=30)) != []
    assert compute_estimates(session, MONDAY + timedelta(days=130)) == []  # older than 90 days


def test_refresh_stores_and_the_dossier_reads_it_labelled_as_an_estimate(session):
    _results(session, SPANS)
    d = receive(session, now=MONDAY + timedelta(days=29)).dossier
    res = refresh_estimates(session, MONDAY + timedelta(days=30))
    assert res["groups"] == 1 and session.query(ProcedureEstimate).count() == 1
    est = estimate_for_dossier(session, d)
    assert est is not None and est.cases == len(SPANS)
    with current_app.test_request_context(), force_locale("vi"):
        text = sentences.estimate_text(est)
    assert text.startswith("Ước tính: thường xong") and "ngày làm việc" in text and "tham khảo" in text
    with current_app.test_request_context(), force_locale("en"):
        assert sentences.estimate_text(est).startswith("Estimate: usually done in")
    refresh_estimates(session, MONDAY + timedelta(days=200))  # nothing in the window any more
    assert estimate_for_dossier(session, d) is None


@pytest.mark.parametrize("n", [1])
def test_the_job_is_listed(app, n):
    r = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert r.exit_code == 0 and "estimates" in r.output


def test_panel_receipt_and_lookup_show_the_estimate_beside_the_legal_date(client, session):
    from unittest.mock import patch

    from tests.factories import PASSWORD

    _results(session, SPANS)
    now = MONDAY + timedelta(days=29)
    refresh_estimates(session, MONDAY + timedelta(days=28))
    session.flush()
    r = client.post("/login", data={"username": "t_clerk", "password": PASSWORD})
    assert r.status_code == 303
    with patch("onestop.web.reception.utcnow", return_value=now):
        panel = client.get("/reception/preview", query_string={"procedure": "1.004884"}).get_json()
        r = client.post("/reception/new", data={
            "procedure": "1.004884", "applicant_name": "Lò Văn Páo", "applicant_id_number": "001090012345",
            "applicant_phone": "0912345678"})
    assert panel["estimate"].startswith("Ước tính") and panel["due_text"]  # beside, not instead of
    receipt = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="receipt-estimate"' in receipt and "Thời gian trả kết quả" in receipt
    secret = receipt.split('class="secret">')[1].split("<")[0]
    code = r.headers["Location"].split("/dossiers/")[1].split("/")[0]
    page = client.post("/lookup", data={"code": code, "secret": secret}).get_data(as_text=True)
    assert 'id="lookup-estimate"' in page and "Ngày hẹn trả kết quả" in page
