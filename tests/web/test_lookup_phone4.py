"""The phone-last-4 lock-out cannot be sidestepped (docs/security.md, "Citizens' look-up and limits").

The phone's last four digits are 10,000 values and dossier codes are sequential, so each code
accepts only LOOKUP_PHONE4_FAILURES wrong phone-4 guesses a day. Every wrong guess counts,
whatever else the request carries (a wrong or right secret, page or API, the fast path or the
Flask route, rating and feedback posts too); once the phone route is closed for a code, the
right digits are refused as well, and the receipt's secret keeps working."""
from __future__ import annotations

import pytest
from flask import Flask

from onestop.domain.status import DossierStatus
from onestop.models import Feedback, Rating
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import CompleteInput
from tests.factories import receive, user
from tests.times import MONDAY, TUESDAY_10

LATER = TUESDAY_10
PHONE = "0912340057"
RIGHT = "0057"
NOT_FOUND = "Không tìm thấy hồ sơ khớp"


@pytest.fixture
def limits(app: Flask):  # type: ignore[no-untyped-def]
    """Phone route: 10 wrong guesses a day per code; the per-address limit out of the way, so
    that what stops the loop below is the per-code lock and nothing else."""
    old = {k: app.config.get(k) for k in ("LOOKUP_PHONE4_FAILURES", "LOOKUP_RATE_LIMIT")}
    app.config.update(LOOKUP_PHONE4_FAILURES="10 per day", LOOKUP_RATE_LIMIT="100000 per minute")
    yield app
    app.config.update(old)


def _wrong_values(n: int) -> list[str]:
    return [f"{v:04d}" for v in range(n) if f"{v:04d}" != RIGHT]


def test_api_brute_force_with_a_wrong_secret_attached_is_stopped_and_the_right_digits_refused(
        session, client, clock, limits):
    res = receive(session, now=MONDAY, phone=PHONE)
    session.commit()
    code = res.dossier.code
    # The attack: every value 0000…0099 with some wrong secret attached; the right
    # digits (0057) come after the tenth wrong one.
    answers = {v: client.get(f"/api/v1/lookup/{code}?secret=WRONG123&phone4={v}").status_code
               for v in [f"{v:04d}" for v in range(100)]}
    assert set(answers.values()) == {404}, [v for v, s in answers.items() if s != 404]
    # Closed: the right digits alone, or with any secret attached, no longer open the dossier …
    assert client.get(f"/api/v1/lookup/{code}?phone4={RIGHT}").status_code == 404
    assert client.get(f"/api/v1/lookup/{code}?secret=WRONG123&phone4={RIGHT}").status_code == 404
    # … while the receipt's secret still does (with or without digits beside it).
    assert client.get(f"/api/v1/lookup/{code}?secret={res.secret}").status_code == 200
    assert client.get(f"/api/v1/lookup/{code}?secret={res.secret}&phone4={RIGHT}").status_code == 200


def test_page_brute_force_with_a_wrong_secret_attached_is_stopped_and_the_right_digits_refused(
        session, client, clock, limits):
    res = receive(session, now=MONDAY, phone=PHONE)
    session.commit()
    code = res.dossier.code
    found = [v for v in [f"{v:04d}" for v in range(100)]
             if NOT_FOUND not in client.post(
                 "/lookup", data={"code": code, "secret": "WRONG123", "phone4": v}).get_data(as_text=True)]
    assert found == []
    assert NOT_FOUND in client.post("/lookup", data={"code": code, "phone4": RIGHT}).get_data(as_text=True)
    ok = client.post("/lookup", data={"code": code, "secret": res.secret}).get_data(as_text=True)
    assert "Thủ tục đăng ký lại khai sinh" in ok


def test_wrong_guesses_count_across_page_api_rating_and_feedback(session, client, clock, limits):
    """Ten wrong guesses spread over every way in close the route for all of them."""
    res = receive(session, now=MONDAY, phone=PHONE)
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=user(session, "t_head"), now=LATER)
    apply_action(session, d, "return_result", actor=user(session, "t_clerk"), now=LATER)
    session.commit()
    assert d.status == DossierStatus.RETURNED
    code = d.code
    wrong = iter(_wrong_values(10))
    rating = {"score_access": "5", "score_procedure": "5", "score_officer": "5", "score_result": "5",
              "score_feedback": "5", "satisfied": "yes"}
    for _ in range(3):
        client.post("/lookup", data={"code": code, "secret": "WRONG123", "phone4": next(wrong)})
    for _ in range(3):
        client.get(f"/api/v1/lookup/{code}?phone4={next(wrong)}")
    for _ in range(2):
        client.post("/lookup/rating",
                    data={"code": code, "secret": "WRONG123", "phone4": next(wrong), **rating})
    for _ in range(2):
        client.post("/lookup/feedback", data={"code": code, "phone4": next(wrong), "kind": "complaint",
                                              "content": "Chậm"})
    # The route is closed everywhere, for the right digits too.
    assert client.get(f"/api/v1/lookup/{code}?phone4={RIGHT}").status_code == 404
    assert NOT_FOUND in client.post("/lookup", data={"code": code, "phone4": RIGHT}).get_data(as_text=True)
    r = client.post("/lookup/rating", data={"code": code, "phone4": RIGHT, **rating})
    assert r.status_code == 200 and NOT_FOUND in r.get_data(as_text=True)
    r = client.post("/lookup/feedback", data={"code": code, "phone4": RIGHT, "kind": "complaint",
                                              "content": "Chậm"})
    assert r.status_code == 200 and NOT_FOUND in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0 and session.query(Feedback).count() == 0
    # The receipt's secret still rates.
    r = client.post("/lookup/rating", data={"code": code, "secret": res.secret, **rating})
    assert r.status_code == 303 and session.query(Rating).count() == 1


def test_a_wrong_phone4_beside_the_right_secret_counts_too(session, client, clock, limits):
    res = receive(session, now=MONDAY, phone=PHONE)
    session.commit()
    code = res.dossier.code
    for v in _wrong_values(10):
        assert client.get(f"/api/v1/lookup/{code}?secret={res.secret}&phone4={v}").status_code == 200
    assert client.get(f"/api/v1/lookup/{code}?phone4={RIGHT}").status_code == 404


def test_right_digits_do_not_count_and_other_codes_keep_their_own_budget(session, client, clock, limits):
    res = receive(session, now=MONDAY, phone=PHONE)
    other = receive(session, now=MONDAY, phone=PHONE)
    session.commit()
    for _ in range(15):  # a citizen checking often with the right digits is never locked out
        assert client.get(f"/api/v1/lookup/{res.dossier.code}?phone4={RIGHT}").status_code == 200
    for v in _wrong_values(10):
        client.get(f"/api/v1/lookup/{res.dossier.code}?phone4={v}")
    assert client.get(f"/api/v1/lookup/{res.dossier.code}?phone4={RIGHT}").status_code == 404
    assert client.get(f"/api/v1/lookup/{other.dossier.code}?phone4={RIGHT}").status_code == 200


def test_guesses_sent_in_parallel_are_compared_at_most_the_limit(committed, monkeypatch):
    """40 wrong guesses at once (threads, each its own request and session, real commits): each
    guess is counted in the store before its digits are compared, so at most
    LOOKUP_PHONE4_FAILURES of them reach the comparison, however they interleave."""
    import threading

    from onestop.extensions import db, limiter
    from onestop.services.public import lookup as lookup_svc

    app = committed
    with app.app_context():
        res = receive(db.session, now=MONDAY, phone=PHONE)
        db.session.commit()
        code = res.dossier.code
        db.session.remove()
    compared: list[str] = []
    real = lookup_svc._verified_row

    def spy(conn, statement, code_, secret, phone4, key, check=None):  # type: ignore[no-untyped-def]
        if phone4:
            compared.append(phone4)
        return real(conn, statement, code_, secret, phone4, key, check)

    monkeypatch.setattr(lookup_svc, "_verified_row", spy)
    old = {k: app.config.get(k) for k in ("LOOKUP_PHONE4_FAILURES", "LOOKUP_RATE_LIMIT")}
    app.config.update(LOOKUP_PHONE4_FAILURES="5 per day", LOOKUP_RATE_LIMIT="100000 per minute")
    limiter.reset()
    barrier = threading.Barrier(40)
    statuses: list[int] = []

    def guess(v: str) -> None:
        c = app.test_client()
        barrier.wait(timeout=30)
        statuses.append(c.get(f"/api/v1/lookup/{code}?secret=WRONG123&phone4={v}").status_code)

    try:
        threads = [threading.Thread(target=guess, args=(v,)) for v in _wrong_values(41)[:40]]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(statuses) == 40 and set(statuses) == {404}
        assert len(compared) <= 5, compared
        assert app.test_client().get(f"/api/v1/lookup/{code}?phone4={RIGHT}").status_code == 404
    finally:
        app.config.update(old)
        limiter.reset()
