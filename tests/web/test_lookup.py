"""Citizen look-up page and API: right answers, indistinguishable failures, masking,
rate limit, QR, rating once, XSS inert."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest

from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import ApologyInput, SupplementRequestInput
from tests.factories import receive, returned, user
from tests.times import MONDAY, TUESDAY_10

LATER = TUESDAY_10


def _normalise(body: str, code: str) -> str:
    body = body.replace(code, "<CODE>")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', body)


def test_correct_secret_shows_plain_words_result(session, client, clock):
    res = receive(session, now=MONDAY)
    session.commit()
    r = client.post("/lookup", data={"code": res.dossier.code.lower(), "secret": res.secret})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Thủ tục đăng ký lại khai sinh" in html
    assert "Được tiếp nhận" in html and "mã trạng thái quốc gia" in html
    assert "Trung tâm Phục vụ hành chính công xã Tân Lạc" in html
    assert "17:00 09/03/2026" in html  # 5 working days from Monday 02/03/2026
    assert "Còn " in html  # working time left
    assert "Vì sao là ngày này?" in html
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in html  # what to bring
    assert r.headers["Cache-Control"] == "no-store"


def test_wrong_secret_unknown_and_malformed_codes_are_indistinguishable(session, client, clock):
    res = receive(session, now=MONDAY)
    session.commit()
    code = res.dossier.code
    unknown = code[:-4] + "9999"
    malformed = "000.01.31.H25-26XX02-0001"
    attempts = [(code, "WRONGSEC"), (unknown, res.secret), (malformed, res.secret), (unknown, "WRONGSEC")]
    answers = []
    for c, s in attempts:
        r = client.post("/lookup", data={"code": c, "secret": s})
        answers.append((r.status_code, _normalise(r.get_data(as_text=True), c)))
    assert {a[0] for a in answers} == {200}
    assert len({a[1] for a in answers}) == 1
    assert "Không tìm thấy hồ sơ khớp" in answers[0][1]
    assert "Thủ tục đăng ký lại khai sinh" not in answers[0][1]


def test_phone_last_four_unlocks_and_wrong_four_does_not(session, client, clock):
    res = receive(session, now=MONDAY, phone="0912345678")
    session.commit()
    ok = client.post("/lookup", data={"code": res.dossier.code, "phone4": "5678"})
    bad = client.post("/lookup", data={"code": res.dossier.code, "phone4": "5679"})
    assert "Thủ tục đăng ký lại khai sinh" in ok.get_data(as_text=True)
    assert "Không tìm thấy hồ sơ khớp" in bad.get_data(as_text=True)


def test_personal_data_is_masked(session, client, clock):
    res = receive(session, now=MONDAY, name="Nguyễn Văn An", phone="0912345678", id_number="001090012345")
    session.commit()
    html = client.post("/lookup", data={"code": res.dossier.code, "secret": res.secret}).get_data(
        as_text=True)
    assert "Nguyễn Văn An" not in html and "Nguyễn" not in html
    assert "0912345678" not in html and "001090012345" not in html
    assert "N***** V** A*" in html and "09******78" in html
    assert "T Clerk" not in html  # no staff names in the public timeline


def test_over_long_input_is_rejected_before_any_lookup(session, client, clock):
    r = client.post("/lookup", data={"code": "A" * 5000, "secret": "B" * 5000})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Mã hồ sơ tối đa 32 ký tự" in html
    assert "A" * 100 not in html


def test_query_string_prefills_the_code_as_the_receipt_qr_does(session, client):
    r = client.get("/lookup?code=000.01.31.h25-260302-0001")
    assert 'value="000.01.31.H25-260302-0001"' in r.get_data(as_text=True)


def test_rate_limit_returns_429_with_retry_after(app, session, client, clock):
    old = app.config["LOOKUP_RATE_LIMIT"]
    app.config["LOOKUP_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(2):
            assert client.post("/lookup", data={"code": "X", "secret": "Y"}).status_code == 200
        r = client.post("/lookup", data={"code": "X", "secret": "Y"})
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert "Vui lòng thử lại sau" in r.get_data(as_text=True)
        # The API shares the bucket: no extra guesses there.
        api = client.get("/api/v1/lookup/X?secret=Y")
        assert api.status_code == 429 and api.headers["Retry-After"]
        assert api.get_json()["error"]["code"] == "too_many_requests"
    finally:
        app.config["LOOKUP_RATE_LIMIT"] = old


def test_api_returns_open311_fields(session, client, clock):
    res = receive(session, now=MONDAY)
    session.commit()
    r = client.get(f"/api/v1/lookup/{res.dossier.code}?secret={res.secret}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["service_request_id"] == res.dossier.code
    assert body["status"] == "open"
    assert body["national_status_code"] == 2 and body["status_code"] == "received"
    assert body["service_name"] == "Thủ tục đăng ký lại khai sinh"
    assert body["agency_responsible"] == "Trung tâm Phục vụ hành chính công xã Tân Lạc"
    assert body["requested_datetime"] == "2026-03-02T09:00:00+07:00"
    assert body["expected_datetime"] == "2026-03-09T17:00:00+07:00"
    # Tuesday 10:00 → Monday 17:00: 4 working days and 7 hours left (7.5 h days + the rest).
    assert body["working_time_left_minutes"] > 0 and body["time_left_label"].startswith("Còn ")
    assert body["promised_datetime"] is None and body["apology_reason"] is None
    assert "Đang" in body["status_notes"] or "xử lý" in body["status_notes"]


def test_api_wrong_and_unknown_are_the_same_404(session, client, clock):
    res = receive(session, now=MONDAY)
    session.commit()
    code = res.dossier.code
    a = client.get(f"/api/v1/lookup/{code}?secret=WRONGSEC")
    b = client.get(f"/api/v1/lookup/{code[:-4]}9999?secret={res.secret}")
    c = client.get("/api/v1/lookup/not-a-code?secret=x")
    d = client.get(f"/api/v1/lookup/{code}?phone4=0000")
    assert a.status_code == b.status_code == c.status_code == d.status_code == 404
    assert a.get_data() == b.get_data() == c.get_data() == d.get_data()
    assert a.get_json()["error"]["code"] == "not_found"


def test_api_phone_last_four(session, client, clock):
    res = receive(session, now=MONDAY, phone="0987654321")
    session.commit()
    assert client.get(f"/api/v1/lookup/{res.dossier.code}?phone4=4321").status_code == 200


def test_apology_promised_date_and_reason_are_shown(session, client, clock):
    res = receive(session, now=MONDAY)
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    apply_action(session, d, "apologise",
                 ApologyInput(reason="Chờ xác minh thông tin hộ tịch",
                              new_due_at=datetime(2026, 3, 12, 10, 0, tzinfo=UTC)),
                 actor=user(session, "t_head"), now=MONDAY)
    session.commit()
    html = client.post("/lookup", data={"code": d.code, "secret": res.secret}).get_data(as_text=True)
    assert "17:00 12/03/2026" in html and "Chờ xác minh thông tin hộ tịch" in html
    assert "Ủy ban nhân dân xã Tân Lạc" in html  # the agency holding it now
    api = client.get(f"/api/v1/lookup/{d.code}?secret={res.secret}").get_json()
    assert api["promised_datetime"] == "2026-03-12T17:00:00+07:00"
    assert api["apology_reason"] == "Chờ xác minh thông tin hộ tịch"


def test_supplement_pause_and_items_are_shown(session, client, clock):
    res = receive(session, now=MONDAY)
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu bản sao", missing_items=("Bản sao Giấy khai sinh",)),
                 actor=user(session, "t_head"), now=MONDAY)
    session.commit()
    html = client.post("/lookup", data={"code": d.code, "secret": res.secret}).get_data(as_text=True)
    assert "Chờ công dân bổ sung giấy tờ" in html and "Bản sao Giấy khai sinh" in html
    assert "Tạm dừng tính thời gian" in html


def _rating_data(code: str, secret: str, **over: str) -> dict[str, str]:
    data = {"code": code, "secret": secret, "score_access": "5", "score_procedure": "4",
            "score_officer": "5", "score_result": "5", "score_feedback": "3", "satisfied": "yes",
            "comment": "Rất nhanh"}
    data.update(over)
    return data


def test_rating_once_only_and_comment_rendered_inert(session, client, clock):
    from onestop.models import Rating

    res = returned(session)
    code = res.dossier.code
    page = client.post("/lookup", data={"code": code, "secret": res.secret}).get_data(as_text=True)
    assert "Tiếp cận dịch vụ" in page and "Gửi đánh giá" in page
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = client.post("/lookup/rating", data=_rating_data(code, res.secret, comment=payload, satisfied="no"))
    assert r.status_code == 303
    rows = session.query(Rating).filter_by(dossier_id=res.dossier.id).all()
    assert len(rows) == 1 and rows[0].comment == payload and rows[0].satisfied is False
    assert rows[0].score_feedback == 3
    again = client.post("/lookup/rating", data=_rating_data(code, res.secret), follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "đã được đánh giá" in html
    assert session.query(Rating).filter_by(dossier_id=res.dossier.id).count() == 1
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html


def test_rating_needs_the_secret_again(session, client, clock):
    from onestop.models import Rating

    res = returned(session)
    r = client.post("/lookup/rating", data=_rating_data(res.dossier.code, "WRONGSEC"))
    assert r.status_code == 200 and "Không tìm thấy hồ sơ khớp" in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0


def test_rating_refused_before_the_result_is_returned(session, client, clock):
    from onestop.models import Rating

    res = receive(session, now=MONDAY)
    session.commit()
    r = client.post("/lookup/rating", data=_rating_data(res.dossier.code, res.secret), follow_redirects=True)
    assert "Chỉ đánh giá được sau khi hồ sơ đã trả kết quả" in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0


def test_rating_comment_over_1000_characters_is_rejected(session, client, clock):
    from onestop.models import Rating

    res = returned(session)
    r = client.post("/lookup/rating", data=_rating_data(res.dossier.code, res.secret, comment="x" * 1001),
                    follow_redirects=True)
    assert "tối đa 1000 ký tự" in r.get_data(as_text=True)
    assert session.query(Rating).count() == 0


def test_applicant_name_with_markup_characters_is_escaped(session, client, clock):
    res = receive(session, now=MONDAY, name='"Onmouse &Amp An')
    session.commit()
    html = client.post("/lookup", data={"code": res.dossier.code, "secret": res.secret}).get_data(
        as_text=True)
    assert "&#34;*******" in html and "&amp;***" in html
    assert '"Onmouse' not in html


def test_feedback_registered_answered_and_shown_escaped(auth, session, client, clock):
    from onestop.models import Feedback

    res = receive(session, now=MONDAY)
    session.commit()
    code = res.dossier.code
    r = client.post("/lookup/feedback", data={"code": code, "secret": res.secret, "kind": "complaint",
                                               "content": "<b>Chậm</b><script>x()</script>"})
    assert r.status_code == 303
    fb = session.query(Feedback).one()
    assert re.fullmatch(r"PAKN-260303-0001", fb.code)
    # Staff answer it on the inbox (login as the commune's head).
    auth.login("t_head")
    inbox = client.get("/feedback").get_data(as_text=True)
    assert fb.code in inbox and "<script>x()</script>" not in inbox and "&lt;script&gt;" in inbox
    r = client.post("/feedback",
                    data={"feedback_id": str(fb.id), "answer": "Đã <i>xử lý</i>", "upheld": "no"})
    assert r.status_code == 303
    session.refresh(fb)
    assert fb.status == "answered" and fb.answered_at == LATER
    auth.logout()
    html = client.post("/lookup", data={"code": code, "secret": res.secret}).get_data(as_text=True)
    assert "Đã &lt;i&gt;xử lý&lt;/i&gt;" in html and "<script>x()</script>" not in html


def test_feedback_inbox_requires_login_and_agency_subtree(auth, session, client, clock):
    from onestop.models import Feedback

    res = receive(session, now=MONDAY)
    session.commit()
    client.post("/lookup/feedback", data={"code": res.dossier.code, "secret": res.secret,
                                          "kind": "complaint", "content": "Chậm"}, follow_redirects=True)
    fb = session.query(Feedback).one()
    assert client.get("/feedback").status_code in (302, 401)
    auth.login("t_officer_other")
    assert fb.code not in client.get("/feedback").get_data(as_text=True)
    assert client.post("/feedback", data={"feedback_id": str(fb.id), "answer": "x"}).status_code == 403
    session.refresh(fb)
    assert fb.status == "open"


def _qr_modules_match(png: bytes, text: str) -> bool:
    """Read a QR PNG back without a decoder: for each plausible quiet-zone width, sample every
    module's centre and compare with the matrix ``qrcode`` builds for ``text``."""
    import qrcode
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    for level in (qrcode.constants.ERROR_CORRECT_M, qrcode.constants.ERROR_CORRECT_L,
                  qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H):
        for border in range(5):
            qr = qrcode.QRCode(error_correction=level, border=border)
            qr.add_data(text)
            qr.make(fit=True)
            matrix = qr.get_matrix()
            n = len(matrix)
            if img.size[0] != img.size[1] or img.size[0] % n:
                continue
            box = img.size[0] // n
            read = [[img.getpixel((x * box + box // 2, y * box + box // 2)) < 128 for x in range(n)]
                    for y in range(n)]
            if read == matrix:
                return True
    return False


def test_printed_receipt_qr_decodes_to_the_lookup_url(auth, session, client):
    """The receipt (form 01, the print view) embeds the QR as a data: URI."""
    import base64

    res = receive(session, now=MONDAY)
    session.commit()
    auth.login("t_clerk")
    r = client.get(f"/dossiers/{res.dossier.code}/print/01")
    if r.status_code == 404:
        pytest.skip("receipt print view not available")
    m = re.search(r'src="data:image/png;base64,([^"]+)"', r.get_data(as_text=True))
    assert m, "the receipt carries an inline QR"
    expected = f"http://localhost/lookup?code={res.dossier.code}"
    assert _qr_modules_match(base64.b64decode(m.group(1)), expected)
    assert not _qr_modules_match(base64.b64decode(m.group(1)), expected + "X")


def test_receipt_qr_decodes_to_the_lookup_url(app, session, client):
    """No QR decoder is installed (no pyzbar/zxing): we read the PNG's modules back with Pillow by
    sampling each module's centre, and compare with the matrix qrcode builds for the expected URL."""
    import qrcode
    from PIL import Image

    code = "000.01.31.H25-260302-0001"
    r = client.get(f"/lookup/qr/{code}.png")
    assert r.status_code == 200 and r.mimetype == "image/png"
    img = Image.open(io.BytesIO(r.get_data())).convert("L")
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    expected.add_data(f"http://localhost/lookup?code={code}")
    expected.make(fit=True)
    matrix = expected.get_matrix()  # includes the border
    box = img.size[0] // len(matrix)
    assert img.size == (box * len(matrix),) * 2
    read = [[img.getpixel((x * box + box // 2, y * box + box // 2)) < 128 for x in range(len(matrix))]
            for y in range(len(matrix))]
    assert read == matrix
    # The printed QR opens the pre-filled look-up page.
    from onestop.services.public.lookup import lookup_url

    assert lookup_url(app.config["PUBLIC_BASE_URL"], code) == f"http://localhost/lookup?code={code}"
    assert client.get("/lookup/qr/not-a-code.png").status_code == 404


def test_api_answer_conforms_to_the_openapi_schema(session, client, clock):
    from onestop.web import openapi

    res = receive(session, now=MONDAY)
    session.commit()
    body = client.get(f"/api/v1/lookup/{res.dossier.code}?secret={res.secret}").get_json()
    assert openapi.validate(body, openapi.ref("Lookup")) == {}
    err = client.get(f"/api/v1/lookup/{res.dossier.code}?secret=NOPE1234").get_json()
    assert openapi.validate(err, openapi.ref("Error")) == {}


def test_citizen_posts_carry_no_csrf_token_even_when_staff_forms_do(app, session, client, clock):
    """The citizen app has no CSRF: a post proves its dossier by the receipt's factors or by the
    look-up session, whose cookie is SameSite=Lax (web/public/page.py)."""
    res = receive(session, now=MONDAY)
    session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/lookup?code={res.dossier.code}").get_data(as_text=True)
        assert 'name="csrf_token"' not in page
        ok = client.post("/lookup", data={"code": res.dossier.code, "secret": res.secret})
        assert ok.status_code == 200 and "Thủ tục đăng ký lại khai sinh" in ok.get_data(as_text=True)
        assert client.get(f"/api/v1/lookup/{res.dossier.code}?secret={res.secret}").status_code == 200
        assert client.post("/login", data={"username": "t_clerk", "password": "x"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_session_mark_reopens_the_result_after_a_rating_without_the_secret_in_the_url(session, client, clock):
    res = returned(session)
    r = client.post("/lookup/rating", data=_rating_data(res.dossier.code, res.secret), follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Cảm ơn ông/bà đã đánh giá" in html and "Đã trả kết quả" in html
    assert res.secret not in html  # re-opened from the session mark: the secret is typed again if needed
    # Another browser gets only the empty form for the same URL.
    from flask import current_app

    other = current_app.test_client()
    page = other.get(f"/lookup?code={res.dossier.code}").get_data(as_text=True)
    assert "Thủ tục đăng ký lại khai sinh" not in page


def test_wrong_phone_digits_close_the_phone_route_for_that_code_but_not_the_secret(
        app, session, client, clock):
    """Phone last-4 is a weak factor (10,000 values): after LOOKUP_PHONE4_FAILURES wrong tries on
    one code, that code's phone route is closed; the receipt's secret still works, and other
    codes are unaffected."""
    old = app.config.get("LOOKUP_PHONE4_FAILURES")
    app.config["LOOKUP_PHONE4_FAILURES"] = "3 per day"
    try:
        res = receive(session, now=MONDAY, phone="0912344321")
        other = receive(session, now=MONDAY, phone="0912344321")
        code = res.dossier.code
        for wrong in ("0000", "1111", "2222"):
            assert client.get(f"/api/v1/lookup/{code}?phone4={wrong}").status_code == 404
        # The right digits no longer open this code — with the same generic answer …
        assert client.get(f"/api/v1/lookup/{code}?phone4=4321").status_code == 404
        page = client.post("/lookup", data={"code": code, "phone4": "4321"}).get_data(as_text=True)
        assert "Không tìm thấy" in page
        # … while the secret still does, and another dossier's phone route is untouched.
        assert client.get(f"/api/v1/lookup/{code}?secret={res.secret}").status_code == 200
        assert client.get(f"/api/v1/lookup/{other.dossier.code}?phone4=4321").status_code == 200
    finally:
        app.config["LOOKUP_PHONE4_FAILURES"] = old
