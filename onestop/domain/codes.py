"""Dossier codes and the citizen look-up secret (docs/domain.md §4).

* Code: ``<agency identifier>-<YYMMDD of receipt>-<4-digit sequence>``, e.g.
  ``000.00.31.H38-250715-0001`` (Circular 01/2018/TT-VPCP, replaced by Circular 03/2025/TT-VPCP:
  the dossier code printed on the receipt). Codes are unique, never reused and never change.
* Agency identifier: the national electronic-document code of the receiving unit, Circular
  10/2016/TT-BTTTT art. 4–5, form ``V1V2V3.Z1Z2.Y1Y2.MX1X2`` — three digits (level-4 unit), two digits
  (level 3), two digits (level 2), then a letter for the level-1 group (A ministries, G government
  agencies, H provinces, …) and two digits.
* Look-up secret: codes are guessable, so a citizen look-up pairs the code with a short random secret
  printed on the receipt (or the phone number's last digits). Only an HMAC of the secret is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from onestop.domain.errors import DomainError, InvalidCode

__all__ = [
    "AGENCY_ID_RE",
    "CODE_RE",
    "SECRET_ALPHABET",
    "ParsedCode",
    "format_code",
    "generate_secret",
    "hash_secret",
    "normalize_code",
    "normalize_secret",
    "parse_code",
    "phone_last4",
    "verify_secret",
]

_AGENCY_PATTERN = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}"
# Circular 10/2016/TT-BTTTT: V1V2V3.Z1Z2.Y1Y2.MX1X2
AGENCY_ID_RE = re.compile(rf"^{_AGENCY_PATTERN}$")
CODE_RE = re.compile(rf"^(?P<agency>{_AGENCY_PATTERN})-(?P<ymd>\d{{6}})-(?P<seq>\d{{4}})$")
MAX_CODE_LENGTH = 32  # 13 + 1 + 6 + 1 + 4 = 25; anything much longer is rejected before the regex
MAX_SEQ = 9999

# No 0/O, 1/I/L: read aloud over the phone and typed from a printed receipt.
SECRET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_SECRET_SEPARATORS = re.compile(r"[\s\-_.]+")


@dataclass(frozen=True, slots=True)
class ParsedCode:
    agency_identifier: str
    received_on: date
    seq: int


def format_code(agency_identifier: str, received_on: date, seq: int) -> str:
    """``format_code("000.00.31.H38", date(2025, 7, 15), 1) == "000.00.31.H38-250715-0001"``."""
    agency = agency_identifier.strip().upper()
    if not AGENCY_ID_RE.match(agency):
        raise InvalidCode(
            f"Mã định danh cơ quan không hợp lệ: {agency_identifier!r}; dạng đúng 000.00.31.H38 "
            "(Thông tư 10/2016/TT-BTTTT). (Invalid agency identifier.)"
        )
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise InvalidCode(
            f"Số thứ tự hồ sơ trong ngày phải từ 1 đến {MAX_SEQ} (nhận {seq!r}). "
            f"(Daily sequence must be 1..{MAX_SEQ}.)"
        )
    if not 2000 <= received_on.year <= 2099:
        raise InvalidCode(
            f"Năm tiếp nhận ngoài phạm vi mã (2000–2099): {received_on.year}. (Year out of range.)"
        )
    return f"{agency}-{received_on:%y%m%d}-{seq:04d}"


def normalize_code(code: str) -> str:
    """Strip and uppercase (citizens type codes by hand); no other change."""
    return code.strip().upper()


def parse_code(code: str) -> ParsedCode:
    """Parse a dossier code; :class:`InvalidCode` with a clear message when malformed."""
    if not isinstance(code, str):
        raise InvalidCode("Mã hồ sơ phải là chuỗi ký tự. (A code must be a string.)")
    if len(code) > MAX_CODE_LENGTH * 4:
        raise InvalidCode("Mã hồ sơ quá dài. (Code too long.)")
    text = normalize_code(code)
    if not text:
        raise InvalidCode("Chưa nhập mã hồ sơ. (Empty code.)")
    if len(text) > MAX_CODE_LENGTH:
        raise InvalidCode("Mã hồ sơ quá dài. (Code too long.)")
    m = CODE_RE.match(text)
    if m is None:
        raise InvalidCode(
            f"Mã hồ sơ không đúng định dạng: {text!r}; ví dụ 000.00.31.H38-250715-0001. "
            "(Malformed dossier code.)"
        )
    ymd = m.group("ymd")
    try:
        received_on = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6]))
    except ValueError:
        raise InvalidCode(
            f"Ngày tiếp nhận trong mã không hợp lệ: {ymd}. (Invalid date in code.)"
        ) from None
    seq = int(m.group("seq"))
    if seq < 1:
        raise InvalidCode("Số thứ tự hồ sơ phải từ 0001. (Sequence must start at 0001.)")
    return ParsedCode(agency_identifier=m.group("agency"), received_on=received_on, seq=seq)


def generate_secret(length: int = 8) -> str:
    """A random look-up secret from an unambiguous alphabet (``secrets``: CSPRNG).

    8 characters from 31 symbols ≈ 39.6 bits; with rate limiting on the look-up endpoint that is far
    beyond online guessing.
    """
    if length < 6 or length > 64:
        raise DomainError("Độ dài mã bí mật phải từ 6 đến 64. (Secret length must be 6..64.)")
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(length))


def normalize_secret(secret: str) -> str:
    """Uppercase, drop spaces/dashes a citizen may type (the receipt prints it grouped)."""
    return _SECRET_SEPARATORS.sub("", secret.strip()).upper()


def lookup_key(settings: Mapping[str, object]) -> bytes:
    """The HMAC key of the receipts' look-up secrets: the app's ``SECRET_KEY`` (only the HMAC of a
    secret is stored, docs/security.md). The callers read their settings; this says which one."""
    return str(settings["SECRET_KEY"]).encode()


def hash_secret(secret: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of the normalised secret with the application key; only this is stored."""
    if not key:
        raise DomainError("Thiếu khóa bí mật của hệ thống. (An HMAC key is required.)")
    return hmac.new(key, normalize_secret(secret).encode("utf-8"), hashlib.sha256).hexdigest()


def verify_secret(secret: str, stored_hash: str, key: bytes) -> bool:
    """Constant-time comparison of the secret's HMAC with the stored one."""
    if not secret or not stored_hash or len(secret) > 256:
        return False
    candidate = hash_secret(secret, key)
    stored = stored_hash.strip().lower().encode("ascii", "replace")
    return hmac.compare_digest(candidate.encode("ascii"), stored)


def phone_last4(phone: str) -> str:
    """The last four digits of a phone number (the alternative look-up factor)."""
    digits = "".join(ch for ch in phone if ch.isdigit() and ch.isascii())
    if len(digits) < 4:
        raise DomainError("Số điện thoại phải có ít nhất 4 chữ số. (A phone number needs at least 4 digits.)")
    return digits[-4:]
