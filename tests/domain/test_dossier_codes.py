"""Dossier codes (Circular 01/2018/TT-VPCP → 03/2025/TT-VPCP) and agency identifiers
(Circular 10/2016/TT-BTTTT)."""

from __future__ import annotations

import hmac
from datetime import date

import pytest

from onestop.domain import codes
from onestop.domain.codes import (
    AGENCY_ID_RE,
    SECRET_ALPHABET,
    ParsedCode,
    format_code,
    generate_secret,
    hash_secret,
    normalize_code,
    normalize_secret,
    parse_code,
    phone_last4,
    verify_secret,
)
from onestop.domain.errors import DomainError, InvalidCode

KEY = b"test-key"


def test_format_code_matches_domain_example() -> None:
    assert format_code("000.00.31.H38", date(2025, 7, 15), 1) == "000.00.31.H38-250715-0001"


def test_code_round_trip() -> None:
    code = format_code("000.25.13.H23", date(2026, 2, 23), 9999)
    assert parse_code(code) == ParsedCode("000.25.13.H23", date(2026, 2, 23), 9999)


def test_parse_code_strips_and_uppercases() -> None:
    assert parse_code("  000.00.31.h38-250715-0042 \n").seq == 42
    assert normalize_code(" 000.00.31.h38-250715-0042 ") == "000.00.31.H38-250715-0042"


def test_agency_identifier_pattern() -> None:
    assert AGENCY_ID_RE.match("000.00.31.H38")
    assert not AGENCY_ID_RE.match("00.00.31.H38")
    assert not AGENCY_ID_RE.match("000.00.31.38H")


@pytest.mark.parametrize("seq", [0, 10000, -1])
def test_format_code_rejects_sequence_out_of_range(seq: int) -> None:
    with pytest.raises(InvalidCode):
        format_code("000.00.31.H38", date(2025, 7, 15), seq)


def test_format_code_rejects_bad_agency() -> None:
    with pytest.raises(InvalidCode):
        format_code("H38", date(2025, 7, 15), 1)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "000.00.31.H38-250715",
        "000.00.31.H38-251315-0001",  # month 13
        "000.00.31.H38-250230-0001",  # 30 February
        "000.00.31.H38-250715-0000",
        "000.00.31.H38-250715-00001",
        "000.00.31.H38_250715_0001",
        "x" * 10_000,
        "'; DROP TABLE dossiers; --",
    ],
)
def test_parse_code_rejects_malformed_input(bad: str) -> None:
    with pytest.raises(InvalidCode) as err:
        parse_code(bad)
    assert err.value.message


def test_overlong_input_is_rejected_before_the_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    class Boom:
        def match(self, _: str) -> None:
            raise AssertionError("regex reached")

    monkeypatch.setattr(codes, "CODE_RE", Boom())
    with pytest.raises(InvalidCode):
        parse_code("0" * 100)


def test_generated_secret_uses_unambiguous_alphabet() -> None:
    for _ in range(50):
        secret = generate_secret()
        assert len(secret) == 8
        assert set(secret) <= set(SECRET_ALPHABET)
    assert not set("0O1IL") & set(SECRET_ALPHABET)
    assert len({generate_secret() for _ in range(100)}) == 100


def test_normalize_secret_tolerates_spaces_and_case() -> None:
    assert normalize_secret(" abcd-efgh ") == "ABCDEFGH"


def test_hash_and_verify_secret() -> None:
    stored = hash_secret("ABCD EFGH", KEY)
    assert len(stored) == 64
    assert verify_secret("abcd-efgh", stored, KEY)
    assert not verify_secret("ABCDEFGX", stored, KEY)
    assert not verify_secret("ABCDEFGH", stored, b"other-key")
    assert not verify_secret("", stored, KEY)


def test_verify_secret_uses_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert verify_secret("ABCDEFGH", hash_secret("ABCDEFGH", KEY), KEY)
    assert len(calls) == 1


def test_hash_secret_requires_a_key() -> None:
    with pytest.raises(DomainError):
        hash_secret("ABCDEFGH", b"")


def test_phone_last4() -> None:
    assert phone_last4("+84 912 345 678") == "5678"
    assert phone_last4("0912.345.678") == "5678"
    with pytest.raises(DomainError):
        phone_last4("12")
