"""The 766 index predicted: indicators 1.4, 3.6, 4.2–4.5 measured set-based from the dossiers' files
and facts, the same period and as-of rule as Form 06, points from the scoring-rule table, the dossiers
pulling each indicator down, the published score compared, and the page and API."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from onestop.integrations.storage import LocalStorage
from onestop.models import ScoringRuleRow
from onestop.services.dossiers import files as files_svc
from onestop.services.errors import ValidationFailed
from onestop.services.reporting.index766 import compare, index766, parse_index_period
from tests.factories import agency, receive, user
from tests.times import MONDAY, TUESDAY_10

TUE = TUESDAY_10
AS_OF = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n%%EOF\n"


def _scan(session, store, d, no, now=MONDAY):  # type: ignore[no-untyped-def]
    up = files_svc.check_upload(PDF + str(d.id * 10 + no).encode(), "s.pdf", max_bytes=10**6)
    key = files_svc.store_upload(store, up, now)
    return files_svc.attach(session, d, actor=user(session, "t_clerk"), kind="component", component_no=no,
                            key=key, upload=up, meta=files_svc.DocMeta(), now=now)


def _ind(result, criterion):  # type: ignore[no-untyped-def]
    return next(i for i in result.indicators if i.criterion.criterion == criterion)


def test_periods_month_quarter_year_and_bad_ones():
    assert parse_index_period("2026-11") == (datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
    assert parse_index_period("2026-q3")[0].month == 7
    assert parse_index_period("2026")[1].month == 12
    for bad in ("2026-13", "26-1", "2026-Q5", "", "2026-11-01"):
        with pytest.raises(ValidationFailed):
            parse_index_period(bad)


def test_digitisation_reuse_identity_move_with_the_files_and_the_laggards_are_listed(session, tmp_path):
    store = LocalStorage(tmp_path)
    commune = agency(session, "000.00.31.H25")
    a = receive(session, now=MONDAY).dossier
    b = receive(session, now=MONDAY, id_number="001090054321").dossier
    c = receive(session, now=TUE).dossier
    before = index766(session, commune, "2026-03", now=AS_OF, trend=False)
    assert _ind(before, "766.4.2").criterion.measured == Decimal(0)
    assert set(_ind(before, "766.4.2").dossiers) == {a.code, b.code, c.code}

    src = _scan(session, store, a, 1)
    files_svc.set_approval(session, src, actor=user(session, "t_clerk"), state=2, now=MONDAY)
    _scan(session, store, b, 1)
    files_svc.reuse(session, c, actor=user(session, "t_clerk"), source_id=src.id, component_no=2, now=TUE)
    c.vneid_verified = True
    b.csdl_codes = ["CSDLQGDC"]
    session.flush()
    after = index766(session, commune, "2026-03", now=AS_OF, trend=False)
    d42, d43, d45 = (_ind(after, k).criterion for k in ("766.4.2", "766.4.3", "766.4.5"))
    assert (d42.numerator, d42.denominator) == (3, 3) and d42.points == d42.max_points
    # 4.3: one of three reused → 33.33 %; full at 80 % → 0.3333 × 4 / 0.8 = 1.67 points.
    assert (d43.numerator, d43.denominator) == (1, 3) and d43.points == Decimal("1.67")
    assert _ind(after, "766.4.3").dossiers == [a.code, b.code]
    assert (d45.numerator, d45.denominator) == (2, 3)
    assert "thành phần tái sử dụng" in _ind(after, "766.4.3").formula


def test_as_of_the_period_end_later_uploads_do_not_count(session, tmp_path):
    store = LocalStorage(tmp_path)
    commune = agency(session, "000.00.31.H25")
    d = receive(session, now=MONDAY).dossier
    _scan(session, store, d, 1, now=datetime(2026, 4, 2, 3, 0, tzinfo=UTC))  # scanned in April
    march = index766(session, commune, "2026-03", now=datetime(2026, 4, 10, tzinfo=UTC), trend=False)
    assert _ind(march, "766.4.2").criterion.numerator == 0
    # Another commune sees none of it.
    other = index766(session, agency(session, "000.00.32.H25"), "2026-03", now=AS_OF, trend=False)
    assert _ind(other, "766.4.2").criterion.denominator == 0


def test_points_follow_the_editable_rule(session):
    commune = agency(session, "000.00.31.H25")
    receive(session, now=MONDAY)
    index766(session, commune, "2026-03", now=AS_OF, trend=False)  # seeds the rules
    row = session.scalar(select(ScoringRuleRow).where(ScoringRuleRow.criterion == "766.5.2"))
    row.max_points = Decimal(5)
    session.flush()
    res = index766(session, commune, "2026-03", now=AS_OF, trend=False)
    assert _ind(res, "766.5.2").criterion.points == Decimal("5.00")  # no complaint due: full marks


def test_published_score_compared_and_the_gap_explained(session):
    commune = agency(session, "000.00.31.H25")
    receive(session, now=MONDAY)
    res = index766(session, commune, "2026-03", now=AS_OF, trend=False,
                   published={"CKMB": "1.5", "TDGQ": "20", "TTTT": "3", "MDSH": "0", "MDHL": "6",
                              "TONG_SCORE": "30.5"})
    rows = {r["group"]: r for r in res.comparison}
    assert rows["CKMB"]["predicted"] == "0.00" and rows["CKMB"]["published"] == "1.5"
    assert "chưa lên Cổng" in rows["CKMB"]["explanation"]  # nothing synced
    assert rows["TONG_SCORE"]["published"] == "30.5"
    assert compare(res.indicators, None, None) == []


def test_monthly_trend_covers_the_year_to_the_period(session):
    commune = agency(session, "000.00.31.H25")
    receive(session, now=MONDAY)
    res = index766(session, commune, "2026-03", now=AS_OF)
    assert [m["month"] for m in res.trend] == ["2026-01", "2026-02", "2026-03"]


def test_page_and_api(auth, session, client):
    receive(session, now=MONDAY)
    session.commit()
    auth.login("t_head")
    r = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-03&by=desk")
    assert r.status_code == 200
    body = r.get_json()
    crit = {i["criterion"]: i for i in body["indicators"]}
    assert {"766.1.4", "766.2.1", "766.3.6", "766.4.2", "766.4.3", "766.4.4", "766.4.5", "766.5.2",
            "766.5.4"} <= set(crit)
    assert crit["766.4.2"]["pulling_down"] and crit["766.4.2"]["formula"]
    assert client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-99").status_code == 400
    assert client.get("/api/v1/index766?agency=000.00.32.H25&period=2026-03").status_code == 404
    page = client.get("/index766?agency=000.00.31.H25&period=2026-03&by=desk")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-criterion="766.4.3"' in html and "chart-766" in html
    auth.logout()
    auth.login("t_clerk")
    assert client.get("/api/v1/index766?period=2026-03").status_code == 403


def test_trend_counts_the_first_hours_of_a_local_day(session):
    # 06:30 on 01/04/2026 in Hà Nội is still 31/03 in UTC: the April point must include the dossier.
    commune = agency(session, "000.00.31.H25")
    early = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    receive(session, now=datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
    res = index766(session, commune, "2026-04", now=early)
    april = next(m for m in res.trend if m["month"] == "2026-04")
    assert Decimal(april["points"]) == sum((c.points for c in res.report.criteria if c.rule_set == "766"),
                                           Decimal(0))


def test_trend_shows_a_month_without_dossiers_as_no_data_not_full_marks(auth, session, client):
    # Only March has a dossier: January and February have nothing to measure, so the chart must not
    # draw them as full marks (the "no dossiers → full marks" rule is for scoring, not for a trend).
    commune = agency(session, "000.00.31.H25")
    receive(session, now=MONDAY)
    res = index766(session, commune, "2026-03", now=AS_OF)
    by_month = {m["month"]: m for m in res.trend}
    for empty in ("2026-01", "2026-02"):
        assert by_month[empty]["points"] is None and by_month[empty]["no_data"] is True
    assert by_month["2026-03"]["no_data"] is False and by_month["2026-03"]["points"] is not None
    session.commit()
    auth.login("t_head")
    body = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-03&by=desk").get_json()
    assert [m["points"] is None for m in body["trend"]][-1] is False
    html = client.get("/index766?agency=000.00.31.H25&period=2026-03&by=desk&trend=1").get_data(as_text=True)
    assert html.count('data-no-data="1"') == 2  # January and February, rendered without scripts


def test_the_page_shows_the_index_at_once_and_asks_for_the_trend_after(auth, session, client):
    receive(session, now=MONDAY)
    session.commit()
    auth.login("t_head")
    html = client.get("/index766?agency=000.00.31.H25&period=2026-03&by=desk").get_data(as_text=True)
    assert 'data-criterion="766.4.2"' in html
    # No month scored in the page itself: the script asks the trend's own endpoint.
    assert "data-trend=" not in html and 'data-no-data="1"' not in html
    assert 'data-url="/api/v1/index766/trend?agency=000.00.31.H25&amp;period=2026-03&amp;by=desk"' in html
    trend = client.get("/api/v1/index766/trend?agency=000.00.31.H25&period=2026-03&by=desk").get_json()
    full = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-03&by=desk").get_json()
    assert trend["trend"] == full["trend"] and [m["month"] for m in trend["trend"]] == \
        ["2026-01", "2026-02", "2026-03"]
    without = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-03&trend=0").get_json()
    assert without["trend"] == []
    bad = client.get("/api/v1/index766?agency=000.00.31.H25&period=2026-03&trend=yes")
    assert bad.status_code == 400 and "trend" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/index766/trend?agency=000.00.31.H25&period=2026-13").status_code == 400
    assert client.get("/api/v1/index766/trend?agency=000.00.32.H25&period=2026-03").status_code == 404
    auth.logout()
    assert client.get("/api/v1/index766/trend?period=2026-03").status_code == 401
    auth.login("t_clerk")
    assert client.get("/api/v1/index766/trend?period=2026-03").status_code == 403


def test_one_pass_facts_equal_the_sums_and_the_per_measure_lists_on_random_histories(session, tmp_path):
    # index766.file_facts computes the measures and the six "pulling down" lists in one statement
    # (window sums and a ROW_NUMBER per measure); it must give exactly the conditional sums of
    # file_measures and, per measure, the oldest dossiers in the denominator but not the numerator.
    import random

    from sqlalchemy import not_

    from onestop.models.dvcqg import DvcqgOutbox
    from onestop.services.reporting import index766 as ix
    from onestop.services.reporting.reports import measured_at

    rng = random.Random(766)
    store = LocalStorage(tmp_path)
    commune = agency(session, "000.00.31.H25")
    clerk = user(session, "t_clerk")
    made = []
    for i in range(24):
        at = datetime(2026, 3, 2 + i % 15, 2 + i % 7, 0, tzinfo=UTC)
        d = receive(session, now=at, id_number=f"0010900{i:05d}").dossier
        made.append(d)
        d.vneid_verified = rng.random() < 0.3
        d.payment_channel = rng.choice((None, None, 1, 2))
        d.csdl_codes = ["CSDLQGDC"] if rng.random() < 0.2 else []
        if rng.random() < 0.5:
            row = _scan(session, store, d, rng.choice((1, 2)), now=at)
            files_svc.set_approval(session, row, actor=clerk, state=rng.choice((2, 2, 3)), now=at)
            if rng.random() < 0.3:
                row.digitisation_state = rng.choice((2, 3))
                row.from_national_store = rng.random() < 0.5
            if rng.random() < 0.2:  # uploaded after the as-of moment: must not count
                row.uploaded_at = datetime(2026, 4, 2, tzinfo=UTC)
        if rng.random() < 0.6:
            sent = rng.random() < 0.7
            session.add(DvcqgOutbox(dossier_id=d.id, kind="event", version=99,
                                    state="sent" if sent else "pending", attempts=1, created_at=at,
                                    next_attempt_at=at, sent_at=at if sent else None, last_error=""))
    session.flush()
    start_m, as_of = measured_at(commune, datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date(), AS_OF)
    for limit in (3, 20):
        measures, lists = ix.file_facts(session, commune, start_m, as_of, limit=limit)
        assert measures == ix.file_measures(session, commune, start_m, as_of)
        for name in ix.FILE_MEASURES:
            source, population, conds, row = ix._joined(session, commune, start_m, as_of, "desk")
            den, num = conds[name]
            expected = list(session.scalars(select(row.code).select_from(source)
                                            .where(population, den, not_(num))
                                            .order_by(row.received_at, row.id).limit(limit)))
            assert lists[name] == expected, name
    assert any(lists[name] for name in ix.FILE_MEASURES) and len(made) == 24


def test_trend_months_in_one_statement_equal_each_month_measured_alone(session, tmp_path):
    # The trend measures every month in one grouped statement, each dossier as of ITS month's end
    # (or now for the running month); each month must equal file_measures of that month alone, and
    # the trend's points the month scored on its own.
    import random

    from onestop.services.reporting import index766 as ix
    from onestop.services.reporting.reports import measured_at
    from onestop.services.reporting.scores import score_agency

    rng = random.Random(2026)
    store = LocalStorage(tmp_path)
    commune = agency(session, "000.00.31.H25")
    clerk = user(session, "t_clerk")
    now = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    for i in range(18):
        at = datetime(2026, 1 + i % 3, 2 + (i * 7) % 25, 2 + i % 6, 0, tzinfo=UTC)
        if at >= now:
            continue
        d = receive(session, now=at, id_number=f"0010911{i:05d}").dossier
        d.vneid_verified = rng.random() < 0.4
        d.payment_channel = rng.choice((None, 1))
        if rng.random() < 0.7:
            row = _scan(session, store, d, 1, now=at)
            files_svc.set_approval(session, row, actor=clerk, state=rng.choice((2, 3)), now=at)
            row.digitisation_state = rng.choice((1, 2, 3))
            # Some scans arrive in a later month: they count for their dossier's month only if
            # uploaded before that month's end.
            row.uploaded_at = rng.choice((at, datetime(2026, 3, 5, tzinfo=UTC),
                                          datetime(2026, 2, 27, tzinfo=UTC)))
    session.flush()
    spans = [(datetime(2026, m, 1).date(), datetime(2026, m, last).date())
             for m, last in ((1, 31), (2, 28), (3, 31))]
    moments = [measured_at(commune, a, b, now) for a, b in spans]
    grouped = ix.file_measures_by_month(session, commune, moments)
    alone = [ix.file_measures(session, commune, s_m, a_m) for s_m, a_m in moments]
    assert grouped == alone
    assert sum(m["digitisation_rate"].denominator for m in alone) > 3
    res = ix.index766(session, commune, "2026-03", now=now)
    for (a, b), point in zip(spans, res.trend, strict=True):
        r = score_agency(session, commune, a, b, now=now)
        assert point == ix.trend_point(f"{a:%Y-%m}", r)


def test_period_and_trend_months_in_one_statement_equal_the_two_statements(session, tmp_path):
    # On PostgreSQL, when the trend's months tile the period (a quarter from January, a year), the
    # period's facts and lists and every month's measures come from ONE statement, each file and sync
    # row flagged before the period's moment and before its dossier's month's; it must equal
    # file_facts of the period and file_measures_by_month, on random histories. On SQLite the two
    # statements run (the function answers None).
    import random

    from onestop.models.dvcqg import DvcqgOutbox
    from onestop.services.reporting import index766 as ix
    from onestop.services.reporting.reports import measured_at

    store = LocalStorage(tmp_path)
    commune = agency(session, "000.00.31.H25")
    clerk = user(session, "t_clerk")
    now = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    later = (datetime(2026, 1, 30, 20, tzinfo=UTC), datetime(2026, 2, 27, tzinfo=UTC),
             datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC))
    # A January dossier synced only in February: synced for the quarter, not for January.
    jan = receive(session, now=datetime(2026, 1, 12, 3, tzinfo=UTC), id_number="001090000001").dossier
    session.add(DvcqgOutbox(dossier_id=jan.id, kind="event", version=999, state="sent", attempts=1,
                            created_at=later[1], next_attempt_at=later[1], sent_at=later[1], last_error=""))
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        for i in range(14):
            at = datetime(2026, 1 + rng.randrange(3), 1 + rng.randrange(27), rng.randrange(24), 0, tzinfo=UTC)
            if at >= now:
                continue
            d = receive(session, now=at, id_number=f"00109{seed}{i:06d}").dossier
            d.vneid_verified = rng.random() < 0.4
            d.payment_channel = rng.choice((None, 1, 2))
            if rng.random() < 0.7:
                row = _scan(session, store, d, rng.choice((1, 2)), now=at)
                files_svc.set_approval(session, row, actor=clerk, state=rng.choice((2, 2, 3)), now=at)
                row.digitisation_state = rng.choice((1, 2, 3))
                row.from_national_store = rng.random() < 0.3
                row.uploaded_at = rng.choice((at, *later))
            for _ in range(rng.randrange(3)):
                sent = rng.random() < 0.7
                sent_at = rng.choice((at, *later))
                session.add(DvcqgOutbox(dossier_id=d.id, kind="event", version=rng.randrange(1000),
                                        state="sent" if sent else "pending", attempts=1, created_at=at,
                                        next_attempt_at=at, sent_at=sent_at if sent else None,
                                        last_error=""))
        session.flush()
        spans = [(datetime(2026, m, 1).date(), datetime(2026, m, last).date())
                 for m, last in ((1, 31), (2, 28), (3, 31))]
        moments = [measured_at(commune, a, b, now) for a, b in spans]
        start_m, as_of = measured_at(commune, datetime(2026, 1, 1).date(), datetime(2026, 3, 31).date(), now)
        together = ix.file_facts_with_months(session, commune, start_m, as_of, moments, limit=5)
        if session.get_bind().dialect.name != "postgresql":
            assert together is None
            return
        assert together is not None
        measures, lists = ix.file_facts(session, commune, start_m, as_of, limit=5)
        assert together[0] == measures
        assert together[1] == lists
        assert together[2] == ix.file_measures_by_month(session, commune, moments)
        # Months that do not tile the period (the trend reaches before it): the two statements.
        assert ix.file_facts_with_months(session, commune, moments[1][0], as_of, moments) is None
    assert sum(m["sync_rate"].numerator for m in together[2]) > 0
