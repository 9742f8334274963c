"""Fuzz the whole JSON API from its own OpenAPI document (docs/security.md): schemathesis
generates valid and invalid requests for every operation the document lists (paths,
query strings, bodies) and sends them to the Flask app through WSGI, with a clerk's,
a head's or no bearer token. No answer may be a 5xx.

The number of examples per operation is bounded (FUZZ_EXAMPLES, default 25) so the
run stays well under a minute per database; set ONESTOP_FUZZ_EXAMPLES higher for a
deeper local run.
"""
from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.services.admin.accounts import issue_token
from tests.factories import receive, user
from tests.times import MONDAY

NOW = MONDAY
FUZZ_EXAMPLES = int(os.environ.get("ONESTOP_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def bearers(session) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """No token, a clerk's and a head's (a head also reaches the report and score endpoints)."""
    out: list[dict[str, str]] = [{}]
    for name in ("t_clerk", "t_head"):
        raw = issue_token(session, user(session, name), now=NOW, name="fuzz")
        out.append({"Authorization": f"Bearer {raw}"})
    receive(session, now=NOW)  # something for the generated codes to hit now and then
    session.commit()
    return out


@pytest.fixture
def no_rate_limit() -> Any:
    from onestop.extensions import limiter

    limiter.reset()
    limiter.enabled = False  # the lookup limit would answer 429 to most examples
    yield
    limiter.enabled = True


def test_no_api_operation_answers_5xx(app, session, bearers, no_rate_limit) -> None:  # type: ignore[no-untyped-def]
    # schemathesis' pytest plugin (from_fixture) does not run under pytest 9, so the
    # operations are driven directly: one hypothesis run per operation of the document.
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    from onestop.web import openapi

    documented = {(m.upper(), p) for p, ops in openapi.document()["paths"].items() for m in ops
                  if m in ("get", "post", "put", "patch", "delete")}
    # schemathesis leaves out the path that serves the document itself.
    fuzzed = {(op.method.upper(), op.path) for op in operations}
    assert fuzzed == documented - {("GET", "/api/v1/openapi.json")}
    failures: list[tuple[Any, ...]] = []
    known_nul: list[tuple[Any, ...]] = []  # see test_nul_bytes_in_api_input_are_a_clean_4xx

    for operation in operations:
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            for headers in bearers:
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # noqa: BLE001 - TESTING propagates what would be a 500
                    session.rollback()
                    status, text = 500, f"{type(exc).__name__}: {str(exc)[:200]}"
                else:
                    status, text = response.status_code, response.text[:300]
                if status >= 500:
                    where = known_nul if _has_nul((case.path_parameters, case.query, case.body)) else failures
                    where.append((case.method, case.formatted_path, case.query, case.body, bool(headers),
                                  status, text))

        run()
    assert failures == []


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


@pytest.mark.parametrize("body", [
    {"procedure_code": "\x00", "applicant": {"name": "An"}},
    {"procedure_code": "1.004884", "applicant": {"name": "Nguyễn Văn An", "address": "Xóm\x00Mới"}},
])
def test_nul_bytes_in_api_input_are_a_clean_4xx(app, session, client, body) -> None:  # type: ignore[no-untyped-def]
    """Found by the fuzzer: PostgreSQL refuses NUL in text (psycopg DataError), which escaped
    as a 500. JSON allows \u0000, so the API must refuse it itself."""
    raw = issue_token(session, user(session, "t_clerk"), now=NOW)
    session.commit()
    r = client.post("/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {raw}"})
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize("path", [
    "/reception/register?name=An%00",
    "/lookup?code=000.01.31.H25-260302-0001%00",
    "/api/v1/lookup/000.01.31.H25-260302-0001?secret=AB%00CD",
])
def test_nul_in_a_query_string_is_a_clean_400(app, session, client, path) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 400


def test_nul_in_a_web_form_is_a_clean_400(app, session, client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": "t_clerk\x00", "password": "x"})
    assert r.status_code == 400


# ---------------------------------------------------------------- hostile classes the schema-driven
# fuzzer does not generate (docs/security.md, "Staff sessions and API"): deep nesting, lone
# surrogates and NUL anywhere (values and keys), datetimes at the ends of the range with extreme
# offsets. Each is sent to the reception and to an action; the answer is a 4xx JSON error.

_BAD_CHARS = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\x00"])
_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)
_HOSTILE_TEXT = st.builds(lambda a, bad, b: a + bad + b, _TEXT, _BAD_CHARS, _TEXT)
_EXTREME_DT = st.builds(
    lambda y, sign, hh, mm: f"{y:04d}-12-31T23:59:59{sign}{hh:02d}:{mm:02d}",
    st.sampled_from([1, 2, 1899, 2200, 9998, 9999]), st.sampled_from(["+", "-"]),
    st.integers(0, 23), st.integers(0, 59),
) | st.sampled_from(["9999-12-31", "0001-01-01", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00"])
_FIELDS = ["procedure_code", "note", "reason", "applicant.name", "applicant.address", "missing_items[0]",
           "documents[0].name", "result", "receiver", "officer", "to_agency"]


def _base_body() -> dict[str, Any]:
    return {"procedure_code": "1.004884", "applicant": {"name": "Nguyễn Văn An", "address": "Xóm Mới"},
            "documents": [{"name": "Tờ khai", "provided": True}], "missing_items": ["Tờ khai"],
            "note": "n", "reason": "r"}


def _put(body: dict[str, Any], field: str, value: Any) -> None:
    node: Any = body
    parts = field.replace("[0]", ".0").split(".")
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


@st.composite
def _hostile_body(draw: Any) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["text", "key", "deep", "deep_in_field", "datetime"]))
    body = _base_body()
    if kind == "text":
        _put(body, draw(st.sampled_from(_FIELDS)), draw(_HOSTILE_TEXT))
    elif kind == "key":
        body[draw(_HOSTILE_TEXT)] = 1
    elif kind == "datetime":
        body = {"reason": "Trễ", "new_due_at": draw(_EXTREME_DT)}
    depth = draw(st.sampled_from([40, 1_000, 5_000, 50_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * depth + ("1" if opener != "[" else "") + closer * depth
    if kind == "deep":
        return kind, inner.encode()
    raw = json.dumps(body, ensure_ascii=True)
    if kind == "deep_in_field":
        raw = raw[:-1] + ', "note": ' + inner + "}"
    return kind, raw.encode()


def test_hostile_json_classes_are_a_4xx_json_error(app, session, client, no_rate_limit) -> None:  # type: ignore[no-untyped-def]
    from onestop.models import Dossier

    d = receive(session, now=NOW).dossier
    raw = issue_token(session, user(session, "t_clerk"), now=NOW, name="fuzz")
    session.commit()
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    before = session.query(Dossier).count()
    failures: list[tuple[str, str, int, str]] = []

    @settings(max_examples=FUZZ_EXAMPLES * 4, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=_hostile_body(),
           url=st.sampled_from(["/api/v1/dossiers", "/api/v1/dossiers/{code}/actions/apologise",
                                                      "/api/v1/dossiers/{code}/actions/request_supplement"]))
    def run(case: tuple[str, bytes], url: str) -> None:
        kind, data = case
        try:
            r = client.post(url.format(code=d.code), data=data, headers=headers)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates what would be a 500
            session.rollback()
            failures.append((kind, url, 500, f"{type(exc).__name__}: {str(exc)[:120]}"))
            return
        err = (r.get_json(silent=True) or {}).get("error") or {}
        if not (400 <= r.status_code < 500 and err.get("code") and err.get("message")):
            failures.append((kind, url, r.status_code, r.get_data(as_text=True)[:120]))

    run()
    assert failures == []
    assert session.query(Dossier).count() == before
