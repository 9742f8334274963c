"""The applicant as typed at the desk or in a form, and the normal forms every field is stored and
searched in (NFC text, domestic phone numbers, accent-folded names)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import N_

# Stored normalised: 10 digits, mobile prefixes 03/05/07/08/09 (Decision 798/QĐ-BTTTT numbering).
PHONE_RE = re.compile(r"^0[35789]\d{8}$")
CITIZEN_ID_RE = re.compile(r"^\d{12}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


@dataclass
class Applicant:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    def cleaned(self) -> Applicant:
        return Applicant(
            name=normalize_text(self.name),
            id_number=normalize_id_number(self.id_number),
            phone=normalize_phone(self.phone),
            email=strip_controls(self.email).strip().lower(),
            address=normalize_text(self.address),
        )

    def errors(self) -> dict[str, str]:
        e: dict[str, str] = {}
        if not self.name:
            e["applicant_name"] = N_("Nhập họ và tên người nộp hồ sơ.")
        elif len(self.name) > 120:
            e["applicant_name"] = N_("Họ và tên tối đa 120 ký tự.")
        elif any(ch.isdigit() for ch in self.name) or re.search(r"[<>{}\[\]$%^*=|\\]", self.name):
            e["applicant_name"] = N_("Họ và tên chỉ gồm chữ cái và dấu cách.")
        if self.id_number and not CITIZEN_ID_RE.match(self.id_number):
            e["applicant_id_number"] = N_("Số định danh cá nhân (CCCD) gồm đúng 12 chữ số.")
        if self.phone and not PHONE_RE.match(self.phone):
            e["applicant_phone"] = N_("Số điện thoại Việt Nam 10 chữ số, bắt đầu bằng 03, 05, 07, 08 "
                                      "hoặc 09.")
        if self.email and (len(self.email) > 254 or not EMAIL_RE.match(self.email)):
            e["applicant_email"] = N_("Địa chỉ e-mail không hợp lệ.")
        if len(self.address) > 255:
            e["applicant_address"] = N_("Địa chỉ tối đa 255 ký tự.")
        return e


def normalize_phone(value: str | None) -> str:
    """The stored (and searched) form of a Vietnamese phone number: separators dropped and the
    country code written the domestic way ("+84 912 345 678" → "0912345678"). Anything that is not
    a phone number is returned without separators, for ``Applicant.errors`` to refuse."""
    raw = re.sub(r"[\s.\-()]", "", strip_controls(value))
    if raw.startswith("+84"):
        return "0" + raw[3:]
    if raw.startswith("0084"):
        return "0" + raw[4:]
    if raw.startswith("84") and len(raw) == 11 and raw[2:].isdigit():
        return "0" + raw[2:]
    return raw


def normalize_id_number(value: str | None) -> str:
    """Citizen ID (số định danh cá nhân) as stored and searched: spaces and dots dropped."""
    return re.sub(r"[\s.]", "", strip_controls(value))


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: str | None) -> str:
    """Drop control characters (NUL and friends): no field needs them and PostgreSQL
    text refuses NUL. The web and API layers refuse them with a message first."""
    return _CONTROL_CHARS.sub("", value or "")


def normalize_text(value: str | None) -> str:
    """NFC, single spaces: Vietnamese typed in NFD (macOS, some IMEs) is stored as NFC."""
    return " ".join(unicodedata.normalize("NFC", strip_controls(value)).split())


def fold(value: str) -> str:
    """Accent-folded lower case for search ("Nguyễn" ~ "nguyen"), NFC/NFD alike."""
    nfd = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in nfd if unicodedata.category(c) != "Mn").lower().split())
