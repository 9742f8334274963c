"""``Idempotency-Key`` on ``POST /api/v1/dossiers`` (docs/security.md, "Staff sessions and API"):
a worker killed after its commit leaves the client with an error; the client's retry must not
receive the citizen's dossier a second time."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from flask import Flask
from sqlalchemy import func, select

from onestop.extensions import db
from onestop.models import Dossier
from onestop.models.user import IdempotencyKey
from tests.times import MONDAY
from tests.web.test_api import APPLICANT, token

BODY = {"procedure_code": "1.004884", "applicant": APPLICANT, "channel": "direct", "outcome": "receive",
        "documents": [{"name": "Tờ khai", "provided": True}]}


@pytest.fixture
def at_monday():  # type: ignore[no-untyped-def]
    with patch("onestop.web.api.utcnow", return_value=MONDAY):
        yield


def _count(session) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count(Dossier.id))) or 0)


def test_a_retry_with_the_same_key_and_body_gets_the_original_answer_and_creates_nothing(
    client, session, at_monday,  # type: ignore[no-untyped-def]
) -> None:
    h = {**token(session, "t_clerk"), "Idempotency-Key": "desk-7f3a9c2e-0001"}
    before = _count(session)
    first = client.post("/api/v1/dossiers", headers=h, json=BODY)
    assert first.status_code == 201, first.get_json()
    # The same body, serialised differently (key order, spacing), is the same request.
    import json

    again = client.post("/api/v1/dossiers", headers={**h, "Content-Type": "application/json"},
                        data=json.dumps(dict(reversed(list(BODY.items()))), indent=2))
    assert again.status_code == 201
    assert again.get_json() == first.get_json()  # the same code and the same look-up secret
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["Cache-Control"] == "no-store"
    assert _count(session) == before + 1


def test_without_a_key_each_post_is_a_new_dossier(client, session, at_monday) -> None:  # type: ignore[no-untyped-def]
    h = token(session, "t_clerk")
    before = _count(session)
    codes = {client.post("/api/v1/dossiers", headers=h, json=BODY).get_json()["code"] for _ in range(2)}
    assert len(codes) == 2 and _count(session) == before + 2


def test_the_same_key_with_another_body_is_refused(client, session, at_monday) -> None:  # type: ignore[no-untyped-def]
    h = {**token(session, "t_clerk"), "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/dossiers", headers=h, json=BODY).status_code == 201
    before = _count(session)
    other = {**BODY, "applicant": {**APPLICANT, "name": "Trần Thị Bình"}}
    r = client.post("/api/v1/dossiers", headers=h, json=other)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "idempotency_key_reused" and "Idempotency-Key" in err["message"]
    assert _count(session) == before


def test_keys_belong_to_one_user(client, session, at_monday) -> None:  # type: ignore[no-untyped-def]
    a = client.post("/api/v1/dossiers",
                    headers={**token(session, "t_clerk"), "Idempotency-Key": "same"}, json=BODY)
    b = client.post("/api/v1/dossiers",
                    headers={**token(session, "t_clerk_other"), "Idempotency-Key": "same"},
                    json=BODY)
    assert a.status_code == b.status_code == 201, b.get_json()
    assert a.get_json()["code"] != b.get_json()["code"]


def test_a_refused_request_is_not_remembered(client, session, at_monday) -> None:  # type: ignore[no-untyped-def]
    h = {**token(session, "t_clerk"), "Idempotency-Key": "fix-and-retry"}
    bad = client.post("/api/v1/dossiers", headers=h, json={**BODY, "procedure_code": "9.999999"})
    assert bad.status_code == 422
    good = client.post("/api/v1/dossiers", headers=h, json=BODY)
    assert good.status_code == 201, good.get_json()


@pytest.mark.parametrize("key", ["", "x" * 256, "khóa-tiếng-việt", "a b", "a\tb"])
def test_a_malformed_key_is_a_400(client, session, at_monday, key: str) -> None:  # type: ignore[no-untyped-def]
    before = _count(session)
    headers = {**token(session, "t_clerk"), "Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    r = client.post("/api/v1/dossiers", headers=headers, json=BODY)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert _count(session) == before


def test_the_stored_answer_keeps_neither_the_key_nor_the_secret_in_clear(client, session, at_monday) -> None:  # type: ignore[no-untyped-def]
    key = "secret-bearing-key-42"
    r = client.post("/api/v1/dossiers",
                    headers={**token(session, "t_clerk"), "Idempotency-Key": key}, json=BODY)
    secret = r.get_json()["secret"]
    row = session.scalar(select(IdempotencyKey))
    assert row is not None and row.status_code == 201
    stored = " ".join(str(v) for v in (row.key_hash, row.fingerprint, row.response, row.sealed_secret))
    assert key not in stored and secret not in stored
    assert row.response["code"] == r.get_json()["code"]


def test_keys_expire_after_24_hours_and_the_job_purges_them(app, client, session) -> None:  # type: ignore[no-untyped-def]
    from jobs import JOBS, run_job

    h = {**token(session, "t_clerk"), "Idempotency-Key": "daily-batch-1"}
    with patch("onestop.web.api.utcnow", return_value=MONDAY):
        first = client.post("/api/v1/dossiers", headers=h, json=BODY).get_json()["code"]
    with patch("onestop.web.api.utcnow", return_value=MONDAY + timedelta(hours=23)):
        assert client.post("/api/v1/dossiers", headers=h, json=BODY).get_json()["code"] == first
    with patch("onestop.web.api.utcnow", return_value=MONDAY + timedelta(hours=25)):
        later = client.post("/api/v1/dossiers", headers=h, json=BODY)
    assert later.status_code == 201 and later.get_json()["code"] != first
    assert "idempotency" in {j.name for j in JOBS}
    session.add(IdempotencyKey(user_id=session.scalar(select(IdempotencyKey.user_id)), key_hash="0" * 64,
                               fingerprint="0" * 64, status_code=201, response={}, sealed_secret="",
                               created_at=MONDAY - timedelta(days=2)))
    session.commit()
    result = run_job(app, "idempotency", MONDAY + timedelta(hours=25))
    assert result == {"expired_keys_deleted": 1}
    assert session.scalar(select(func.count(IdempotencyKey.id))) == 1  # the fresh one stays


def test_the_openapi_document_describes_the_header(client) -> None:  # type: ignore[no-untyped-def]
    op = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/dossiers"]["post"]
    header = next(p for p in op["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header["required"]
    assert "400" in op["responses"] and "idempotency_key_reused" in op["responses"]["422"]["description"]


@pytest.mark.parametrize("n", [2, 6])
def test_concurrent_retries_with_one_key_create_one_dossier(committed: Flask, n: int) -> None:
    """Real commits, ``n`` threads posting the same key and body at once (each request its own
    app context and session): one dossier; every caller gets its 201 answer."""
    from onestop.services.admin.accounts import issue_token
    from tests.factories import user

    with committed.app_context():
        # One token per caller (the same user): a shared token's row would serialise the
        # requests on its last_used_at update, and the race would never reach the unique key.
        raws = [issue_token(db.session, user(db.session, "t_clerk"), now=MONDAY,
                            name=f"race{i}") for i in range(n)]
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def post(i: int) -> None:
        c = committed.test_client()
        headers = {"Authorization": f"Bearer {raws[i]}", "Idempotency-Key": "race-1"}
        try:
            barrier.wait(timeout=30)
            r = c.post("/api/v1/dossiers", headers=headers, json=BODY)
            results[i] = (r.status_code, r.get_json())
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[i] = exc

    with patch("onestop.web.api.utcnow", return_value=MONDAY):
        threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert [r[0] if isinstance(r, tuple) else repr(r) for r in results] == [201] * n, results
    assert len({r[1]["code"] for r in results}) == 1
    assert len({r[1]["secret"] for r in results}) == 1
    with committed.app_context():
        assert db.session.scalar(select(func.count(Dossier.id))) == 1
        assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 1
        db.session.remove()
