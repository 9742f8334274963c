"""The citizen after a look-up (docs/guide-citizen.md, docs/security.md "The citizen's look-up
session"): rating and complaint without retyping the secret — a short-lived session bound to the one
dossier verified, never holding the secret; errors beside each question; complaints routed to the
agency that handled the dossier; the timeline in plain words; the headline once rated."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from onestop.models import Feedback, Rating
from onestop.services.dossiers.actions import apply_action
from tests.factories import agency, key, receive, returned, user
from tests.times import MONDAY, TUESDAY_10

LATER = TUESDAY_10
NOT_FOUND = "Không tìm thấy hồ sơ khớp"
EXPIRED = "Phiên tra cứu đã hết hạn"
SCORES = {"score_access": "5", "score_procedure": "4", "score_officer": "5", "score_result": "5",
          "score_feedback": "3", "satisfied": "yes"}


def _session_cookie(app: Flask, client) -> dict:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie.value))


def test_rating_after_a_look_up_needs_no_secret_and_the_page_never_holds_it(session, client, clock):
    res = returned(session)
    code = res.dossier.code
    page = client.post("/lookup", data={"code": code, "secret": res.secret}).get_data(as_text=True)
    # The result page does not carry the secret in hidden fields, nor ask for it again.
    assert res.secret not in page
    assert 'id="r-secret"' not in page and 'id="f-secret"' not in page
    r = client.post("/lookup/rating", data={"code": code, **SCORES})
    assert r.status_code == 303
    assert session.query(Rating).filter_by(dossier_id=res.dossier.id).count() == 1
    # The complaint too, from the same page.
    r = client.post("/lookup/feedback", data={"code": code, "kind": "complaint", "content": "Chậm trả"})
    assert r.status_code == 303 and session.query(Feedback).count() == 1


def test_the_session_holds_only_the_dossier_id_and_expiry(app, session, client, clock):
    res = returned(session)
    client.post("/lookup", data={"code": res.dossier.code, "secret": res.secret})
    mark = _session_cookie(app, client)["lookup_verified"]
    assert set(mark) == {"id", "until"} and mark["id"] == res.dossier.id
    assert mark["until"] == (LATER + timedelta(minutes=15)).timestamp()
    assert res.secret not in repr(_session_cookie(app, client))


def test_the_session_cannot_be_moved_to_another_dossier(session, client, clock):
    mine = returned(session)
    other = returned(session, phone="0987654321")
    client.post("/lookup", data={"code": mine.dossier.code, "secret": mine.secret})
    # Another dossier's code with my session: nothing opens, nothing is written.
    r = client.post("/lookup/rating", data={"code": other.dossier.code, **SCORES})
    assert r.status_code == 200 and EXPIRED in r.get_data(as_text=True)
    r = client.post("/lookup/feedback",
                    data={"code": other.dossier.code, "kind": "complaint", "content": "x"})
    assert r.status_code == 200 and EXPIRED in r.get_data(as_text=True)
    page = client.get(f"/lookup?code={other.dossier.code}").get_data(as_text=True)
    assert "Gửi đánh giá" not in page and other.dossier.code not in re.sub(r'value="[^"]*"', "", page)
    assert session.query(Rating).count() == 0 and session.query(Feedback).count() == 0
    # One dossier at a time: verifying the other one ends the first one's session.
    client.post("/lookup", data={"code": other.dossier.code, "secret": other.secret})
    r = client.post("/lookup/rating", data={"code": mine.dossier.code, **SCORES})
    assert r.status_code == 200 and EXPIRED in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0


def test_the_session_expires_after_15_minutes(session, client, clock):
    res = returned(session)
    code = res.dossier.code
    client.post("/lookup", data={"code": code, "secret": res.secret})
    clock.now = LATER + timedelta(minutes=15, seconds=1)
    r = client.post("/lookup/rating", data={"code": code, **SCORES})
    assert r.status_code == 200 and EXPIRED in r.get_data(as_text=True)
    assert "Gửi đánh giá" not in client.get(f"/lookup?code={code}").get_data(as_text=True)
    assert session.query(Rating).count() == 0
    # The secret still works, and opens a new session.
    client.post("/lookup", data={"code": code, "secret": res.secret})
    assert client.post("/lookup/rating", data={"code": code, **SCORES}).status_code == 303


def test_a_wrong_factor_sent_with_a_valid_session_is_still_verified_and_counted(session, client, clock):
    """The session does not bypass the phone-4 guard: factors sent are always checked."""
    res = returned(session, phone="0912340057")
    code = res.dossier.code
    client.post("/lookup", data={"code": code, "secret": res.secret})
    r = client.post("/lookup/rating", data={"code": code, "phone4": "1111", **SCORES})
    assert r.status_code == 200 and NOT_FOUND in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0


def test_rating_errors_are_beside_each_question_not_banners(session, client, clock):
    res = returned(session)
    code = res.dossier.code
    client.post("/lookup", data={"code": code, "secret": res.secret})
    r = client.post("/lookup/rating", data={"code": code, "score_access": "5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "alert-danger" not in html
    for name in ("score_procedure", "score_officer", "score_result", "score_feedback"):
        assert re.search(rf'id="{name}-error"[^>]*>[^<]*Chọn một mức', html), name
    assert 'id="score_access-error"' not in html
    assert re.search(r'id="satisfied-error"[^>]*>[^<]*Chọn hài lòng', html)
    assert 'value="5" checked' in html  # the answer given is kept
    assert session.query(Rating).count() == 0


def test_an_empty_complaint_asks_for_its_text_beside_the_box(session, client, clock):
    res = receive(session, now=MONDAY)
    session.commit()
    code = res.dossier.code
    client.post("/lookup", data={"code": code, "secret": res.secret})
    r = client.post("/lookup/feedback", data={"code": code, "kind": "complaint", "content": "   "})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "alert-danger" not in html
    assert re.search(r'id="f-content-error"[^>]*>[^<]*Vui lòng nhập nội dung phản ánh', html)
    assert session.query(Feedback).count() == 0


def test_a_complaint_goes_to_the_agency_that_handled_the_dossier(auth, session, client, clock):
    res = returned(session)  # received at the commune's centre, resolved by the commune's UBND
    code = res.dossier.code
    assert res.dossier.current_agency.identifier == "000.01.31.H25"  # back at the desk
    client.post("/lookup", data={"code": code, "secret": res.secret})
    client.post("/lookup/feedback", data={"code": code, "kind": "complaint", "content": "Kết quả sai tên"})
    fb = session.query(Feedback).one()
    assert fb.agency_id == agency(session, "000.00.31.H25").id
    auth.login("t_officer")
    assert fb.code in client.get("/feedback").get_data(as_text=True)


def test_a_complaint_while_a_leg_is_elsewhere_goes_to_the_holder(session, client, clock):
    res = receive(session, now=MONDAY)
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    session.commit()
    holder = d.current_agency_id
    client.post("/lookup", data={"code": d.code, "secret": res.secret})
    client.post("/lookup/feedback", data={"code": d.code, "kind": "complaint", "content": "Chậm"})
    assert session.query(Feedback).one().agency_id == holder


def test_the_timeline_speaks_the_citizens_words(session, client, clock):
    res = returned(session)
    html = client.post("/lookup", data={"code": res.dossier.code, "secret": res.secret}).get_data(
        as_text=True)
    timeline = html[html.index('id="tl-title"'):]
    timeline = timeline[: timeline.index("</ol>")]
    for jargon in ("Chuyển xử lý", "Phân công", "liên thông", "Trả kết quả<"):
        assert jargon not in timeline, jargon
    assert "Bộ phận một cửa đã nhận hồ sơ của ông/bà" in timeline
    assert "Ông/bà đã nhận kết quả" in timeline


def test_the_headline_thanks_the_citizen_once_rated(session, client, clock):
    res = returned(session)
    code = res.dossier.code
    page = client.post("/lookup", data={"code": code, "secret": res.secret}).get_data(as_text=True)
    assert "Cảm ơn ông/bà đã đánh giá" not in page
    client.post("/lookup/rating", data={"code": code, **SCORES})
    page = client.get(f"/lookup?code={code}").get_data(as_text=True)
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.DOTALL)
    assert h1 is not None and "Cảm ơn ông/bà đã đánh giá" in h1.group(1)


def test_public_page_dates_are_dd_mm_yyyy_and_names_full(session, client, clock):
    html = client.get("/public").get_data(as_text=True)
    assert not re.search(r"\(\d{4}-\d{2}-\d{2} →", html)
    assert re.search(r"\(\d{2}/\d{2}/\d{4} → \d{2}/\d{2}/\d{4}\)", html)
    # "STC", "SNV" … mean nothing to a citizen: the full names are shown.
    assert "Sở Tài chính" in html and ">STC<" not in html


def test_a_reissued_secret_ends_the_sessions_opened_with_the_old_one(session, client, clock):
    """The desk reissues the secret when a receipt is lost (the old one may be in other hands):
    sessions opened before the reissue end with it."""
    from onestop.services.dossiers.reception import reissue_secret

    res = returned(session)
    code = res.dossier.code
    client.post("/lookup", data={"code": code, "secret": res.secret})
    new_secret = reissue_secret(session, res.dossier, actor=user(session, "t_clerk"),
                                now=LATER + timedelta(minutes=1), lookup_key=key())
    session.commit()
    clock.now = LATER + timedelta(minutes=2)
    r = client.post("/lookup/rating", data={"code": code, **SCORES})
    assert r.status_code == 200 and EXPIRED in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0
    # The new secret opens a new session, which works.
    client.post("/lookup", data={"code": code, "secret": new_secret})
    assert client.post("/lookup/rating", data={"code": code, **SCORES}).status_code == 303
