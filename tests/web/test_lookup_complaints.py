"""One receipt cannot flood complaints (docs/security.md, "Citizens' look-up and limits"): at most
FEEDBACK_PER_DOSSIER_PER_DAY PAKN per dossier and local day, then a clear Vietnamese message."""
from __future__ import annotations

import pytest
from flask import Flask

from onestop.models import Feedback
from tests.factories import receive
from tests.times import MONDAY


@pytest.fixture
def roomy(app: Flask):  # type: ignore[no-untyped-def]
    """The per-address limit out of the way: what stops the flood is the per-dossier cap."""
    old = app.config["LOOKUP_RATE_LIMIT"]
    app.config["LOOKUP_RATE_LIMIT"] = "100000 per minute"
    yield app
    app.config["LOOKUP_RATE_LIMIT"] = old


def test_forty_complaints_in_a_row_on_one_receipt_accept_only_the_daily_cap(session, client, clock, roomy):
    res = receive(session, now=MONDAY)
    other = receive(session, now=MONDAY)
    session.commit()
    code = res.dossier.code
    flashes = []
    for i in range(40):
        r = client.post("/lookup/feedback", data={"code": code, "secret": res.secret, "kind": "complaint",
                                                   "content": f"Phản ánh số {i}"}, follow_redirects=True)
        assert r.status_code == 200
        flashes.append(r.get_data(as_text=True))
    rows = session.query(Feedback).filter_by(dossier_id=res.dossier.id).order_by(Feedback.id).all()
    assert [f.code for f in rows] == ["PAKN-260303-0001", "PAKN-260303-0002", "PAKN-260303-0003"]
    assert all("Đã tiếp nhận phản ánh" in html for html in flashes[:3])
    refused = flashes[3]
    assert "Đã tiếp nhận phản ánh" not in refused
    assert "tối đa 3 phản ánh, kiến nghị" in refused and "ngày mai" in refused
    # Every other citizen can still complain: numbering is not used up, the cap is per dossier.
    r = client.post("/lookup/feedback", data={"code": other.dossier.code, "secret": other.secret,
                                               "kind": "complaint", "content": "Chậm"}, follow_redirects=True)
    assert "Đã tiếp nhận phản ánh, kiến nghị số PAKN-260303-0004" in r.get_data(as_text=True)


def test_the_daily_cap_is_a_setting(session, client, clock, roomy):
    old = roomy.config["FEEDBACK_PER_DOSSIER_PER_DAY"]
    roomy.config["FEEDBACK_PER_DOSSIER_PER_DAY"] = 1
    try:
        res = receive(session, now=MONDAY)
        session.commit()
        data = {"code": res.dossier.code, "secret": res.secret, "kind": "suggestion", "content": "Gợi ý"}
        client.post("/lookup/feedback", data=data)
        html = client.post("/lookup/feedback", data=data, follow_redirects=True).get_data(as_text=True)
        assert "tối đa 1 phản ánh, kiến nghị" in html
        assert session.query(Feedback).filter_by(dossier_id=res.dossier.id).count() == 1
    finally:
        roomy.config["FEEDBACK_PER_DOSSIER_PER_DAY"] = old


def test_the_cap_message_is_in_english_with_lang_en(session, client, clock, roomy):
    from flask_babel import refresh

    res = receive(session, now=MONDAY)
    session.commit()
    data = {"code": res.dossier.code, "secret": res.secret, "kind": "complaint", "content": "Chậm"}
    for _ in range(3):
        client.post("/lookup/feedback", data=data)
    client.get("/lang/en")
    refresh()  # the test's one app context caches the locale (a real request has its own)
    html = client.post("/lookup/feedback", data=data, follow_redirects=True).get_data(as_text=True)
    assert "at most 3 a day per dossier" in html and "Please send more tomorrow" in html
