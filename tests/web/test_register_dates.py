"""Dates typed the Vietnamese way on the register (form 07): dd/mm/yyyy parsed by the server,
rendered back dd/mm/yyyy with the vendored picker, reversed ranges refused with a message next
to the field, and paging with the total."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.factories import receive, user
from tests.times import MONDAY


def test_dd_mm_yyyy_filters_and_renders_back_the_same_way(auth, client, session):
    a = receive(session, now=MONDAY).dossier
    b = receive(session, now=MONDAY + timedelta(days=2)).dossier
    session.flush()
    auth.login("t_clerk")
    r = client.get("/reception/register", query_string={"date_from": "04/03/2026", "date_to": "04/03/2026"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert b.code in page and a.code not in page
    assert 'value="04/03/2026"' in page and 'data-datepicker="1"' in page and 'type="date"' not in page
    assert "vendor/flatpickr/flatpickr.min.js" in page and "vendor/flatpickr/vn.js" in page
    # yyyy-mm-dd from links made before still works, shown back as dd/mm/yyyy.
    page = client.get("/reception/register", query_string={"date_from": "2026-03-02"}).get_data(as_text=True)
    assert a.code in page and 'value="02/03/2026"' in page


def test_a_reversed_range_is_refused_with_a_message_next_to_the_field(auth, client, session):
    receive(session, now=MONDAY)
    session.flush()
    auth.login("t_clerk")
    r = client.get("/reception/register", query_string={"date_from": "10/03/2026", "date_to": "01/03/2026"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200  # a read; the refusal is the message and no list
    assert 'id="date_to-error"' in page and "Khoảng ngày ngược" in page and 'id="filter-refused"' in page
    r = client.get("/reception/register", query_string={"date_from": "31/02/2026"})
    assert 'id="date_from-error"' in r.get_data(as_text=True) and "dd/mm/yyyy" in r.get_data(as_text=True)
    assert 'id="filter-refused"' in r.get_data(as_text=True)


def test_paging_shows_the_total_and_the_page_number(auth, client, session):
    for i in range(55):
        receive(session, now=MONDAY + timedelta(minutes=i))
    session.flush()
    auth.login("t_clerk")
    page = client.get("/reception/register").get_data(as_text=True)
    assert "Tổng: 55 hồ sơ · trang 1/2" in page
    nxt = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    page2 = client.get(nxt).get_data(as_text=True)
    assert "Tổng: 55 hồ sơ · trang 2/2" in page2 and 'rel="next"' not in page2


def test_past_the_cap_the_register_says_more_than_and_still_pages(auth, client, session, monkeypatch):
    # An unfiltered register holds a desk's whole history: it counts exactly up to a cap, then says
    # "more than" (a count of millions on every page took seconds at 10M; docs/benchmarks.md).
    from onestop.services.dossiers import queries
    from onestop.web import reception

    for i in range(25):
        receive(session, now=MONDAY + timedelta(minutes=i))
    session.flush()
    clerk = user(session, "t_clerk")
    everything = queries.RegisterFilter(date_from=None, date_to=None, procedure_code="", status="",
                                        channel="", name="", code="")
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert queries.register_total(session, clerk, everything, tz=tz) == 25
    assert queries.register_total(session, clerk, everything, tz=tz, cap=20) == 21
    assert queries.register_total(session, clerk, everything, tz=tz, cap=30) == 25
    monkeypatch.setattr(reception, "REGISTER_COUNT_CAP", 20)
    monkeypatch.setattr(reception, "REGISTER_PER_PAGE", 10)
    auth.login("t_clerk")
    page = client.get("/reception/register").get_data(as_text=True)
    assert "Hơn 20 hồ sơ · trang 1 (lọc theo ngày để biết tổng số)" in page
    nxt = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "Hơn 20 hồ sơ · trang 2" in client.get(nxt).get_data(as_text=True)
    # Under the cap the count is exact, as before.
    monkeypatch.setattr(reception, "REGISTER_COUNT_CAP", 30)
    assert "Tổng: 25 hồ sơ · trang 1/3" in client.get("/reception/register").get_data(as_text=True)
