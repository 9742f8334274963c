"""The menu's search box (code, name with or without accents, citizen ID, phone; only what the
user may see), phone numbers stored normalised, and the desk's "waiting to return" queue."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.applicant import normalize_phone
from onestop.services.dossiers.inputs import CompleteInput, ReturnInput
from onestop.services.dossiers.queries import _successor, parse_search
from tests.factories import receive, user
from tests.times import MONDAY


def test_phone_numbers_are_normalised_the_domestic_way():
    assert normalize_phone("+84 912 345 678") == "0912345678"
    assert normalize_phone("0084912345678") == "0912345678"
    assert normalize_phone("84912345678") == "0912345678"
    assert normalize_phone("091.234.5678") == "0912345678"
    assert normalize_phone("(091) 234-5678") == "0912345678"
    assert normalize_phone("12345") == "12345"


def test_the_stored_phone_is_the_normalised_one(session):
    d = receive(session, now=MONDAY, phone="+84 987 654 321", id_number="001 090 012 345").dossier
    assert d.applicant_phone == "0987654321"
    assert d.applicant_id_number == "001090012345"


def test_the_box_understands_what_was_typed():
    assert parse_search("+84 912 345 678") == parse_search("0912345678")
    assert parse_search("0912345678").kind == "digits"  # type: ignore[union-attr]
    assert parse_search("000.01.31.H25-260302").kind == "code"  # type: ignore[union-attr]
    assert parse_search("Nguyễn Văn").term == "nguyen van"  # type: ignore[union-attr]
    assert parse_search("   ") is None
    assert _successor("091234") == "091235" and _successor("nguyez") == "nguyf"
    assert _successor("H25-") == "H26" and _successor("999") is None


def test_search_finds_by_code_name_id_and_phone_only_what_the_user_may_see(auth, client, session):
    mine = receive(session, now=MONDAY, name="Quách Thị Hồng Nhung", id_number="001190099999",
                   phone="+84 356 111 222").dossier
    other = receive(session, now=MONDAY, clerk="t_clerk_other", name="Quách Thị Hồng Nhàn",
                    id_number="001190088888", phone="0356111333").dossier
    session.flush()
    auth.login("t_clerk")

    def found(q: str) -> str:
        r = client.get("/search", query_string={"q": q})
        assert r.status_code == 200, q
        return r.get_data(as_text=True)

    for q in ("quach thi hong", "Quách Thị Hồng", unicodedata.normalize("NFD", "Quách thị hồng nh"),
              "001190099999", "001 190 099 999", "0356111222", "+84356111222", "+84 356 111 222",
              "0356111", mine.code[:-3]):
        page = found(q)
        assert mine.code in page, q
        assert other.code not in page, q  # the other commune's dossier is not visible to this desk
    assert mine.code not in found("nhung quach")  # names are matched from their start
    # The other desk's clerk finds its own by the same words.
    client.post("/logout", data={})
    auth.login("t_clerk_other")
    page = client.get("/search", query_string={"q": "quach thi hong"}).get_data(as_text=True)
    assert other.code in page and mine.code not in page


def test_a_whole_code_goes_straight_to_the_dossier(auth, client, session):
    d = receive(session, now=MONDAY).dossier
    session.flush()
    auth.login("t_clerk")
    r = client.get("/search", query_string={"q": d.code.lower()})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/dossiers/{d.code}")


def test_the_search_box_is_in_the_menu(auth, client, session):
    auth.login("t_clerk")
    page = client.get("/").get_data(as_text=True)
    assert 'id="nav-search-q"' in page and 'action="/search"' in page


def _ready(session: Any, at: datetime) -> Any:
    d = receive(session, now=at).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=at + timedelta(minutes=5))
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"),
                 actor=user(session, "t_officer"), now=at + timedelta(minutes=30))
    return d


def test_waiting_to_return_queue_and_its_counts_on_the_home_page(auth, client, session):
    old = _ready(session, MONDAY)
    new = _ready(session, MONDAY + timedelta(days=9))
    returned = _ready(session, MONDAY + timedelta(days=9, hours=1))
    apply_action(session, returned, "return_result",
                 ReturnInput(method="direct", receiver="Nguyễn Văn An"), actor=user(session, "t_clerk"),
                 now=MONDAY + timedelta(days=9, hours=2))
    session.flush()
    auth.login("t_clerk")
    now = MONDAY + timedelta(days=10)
    with patch("onestop.web.reception.utcnow", return_value=now), \
            patch("onestop.web.auth.utcnow", return_value=now), \
            patch("onestop.web.main.utcnow", return_value=now):  # the home page's own reference
        page = client.get("/reception/waiting-return").get_data(as_text=True)
        home = client.get("/").get_data(as_text=True)
    assert old.code in page and new.code in page and returned.code not in page
    assert page.index(old.code) < page.index(new.code)  # the longest wait first
    assert "2 hồ sơ đã có kết quả" in page and "1 hồ sơ chờ quá 7 ngày" in page
    assert 'id="home-waiting"' in home and "2 hồ sơ" in home and "1 hồ sơ chờ quá 7 ngày" in home
    # Another commune's desk sees none of them.
    client.post("/logout", data={})
    auth.login("t_clerk_other")
    other = client.get("/reception/waiting-return").get_data(as_text=True)
    assert old.code not in other and "0 hồ sơ đã có kết quả" in other
