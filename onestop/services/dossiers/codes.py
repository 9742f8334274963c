"""Dossier code allocation (docs/domain.md §4): unique per agency and day, never reused.

One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: the row lock it takes
serialises concurrent receptions at the same agency on PostgreSQL, and SQLite
serialises writers anyway, so numbers are distinct and consecutive on both.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from ...domain.codes import format_code
from ...domain.errors import DomainError
from ...models import Agency

_UPSERT = text(
    "INSERT INTO code_sequences (agency_id, on_date, last_seq) VALUES (:agency_id, :on_date, 1) "
    "ON CONFLICT (agency_id, on_date) DO UPDATE SET last_seq = code_sequences.last_seq + 1 "
    "RETURNING last_seq"
)


def allocate_code(session: Session, agency: Agency, on: date) -> str:
    seq: int = session.execute(_UPSERT, {"agency_id": agency.id, "on_date": on}).scalar_one()
    if seq > 9999:
        raise DomainError("Đã hết số thứ tự hồ sơ trong ngày (tối đa 9999).")
    return format_code(agency.identifier, on, int(seq))
