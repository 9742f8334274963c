"""Idempotent API receptions (docs/security.md, "Staff sessions and API").

A client that sent ``POST /api/v1/dossiers`` with an ``Idempotency-Key`` and saw an error (a
worker killed after its commit, a dropped connection) retries with the same key: it gets the
answer the first request got — the same dossier code and look-up secret — and nothing is
received twice. The key's row is written in the same transaction as the dossier, with a
unique (user, key) constraint, so two requests racing with one key leave one dossier.

What is stored: a SHA-256 of the key (not the key), a SHA-256 fingerprint of the request, the
answer without its look-up secret, and the secret sealed under the raw key — which only the
client knows, so the table or a backup of it does not reveal the secret (the dossier itself
keeps only its HMAC, domain/codes.py).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...models import User
from ...models.user import IdempotencyKey
from ..errors import ServiceError
from ..sql import rows_affected

# How long a key is remembered: a client retries within minutes; a day covers an overnight
# batch re-run, after which the same key may be used again.
KEY_TTL = timedelta(hours=24)
# Printable ASCII without spaces (UUIDs, ULIDs, "desk-7-000123"), as common practice for the header.
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
_SEAL_LABEL = b"onestop idempotency seal v1"


class KeyReused(ServiceError):
    status_code = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


def valid_key(raw: str) -> bool:
    return bool(KEY_RE.match(raw))


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def fingerprint(method: str, path: str, body: Any) -> str:
    """The request's identity: the same JSON value (any key order or spacing) is the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _pad(raw_key: str, nonce: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        msg = _SEAL_LABEL + nonce + counter.to_bytes(4, "big")
        out += hmac.new(raw_key.encode("ascii"), msg, hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(secret: str, raw_key: str) -> str:
    """A keystream (HMAC-SHA256 of the raw key over a random nonce) XOR the secret: each seal
    has its own nonce, so a key reused after it expired never repeats a keystream."""
    nonce = secrets.token_bytes(16)
    data = secret.encode("utf-8")
    body = bytes(a ^ b for a, b in zip(data, _pad(raw_key, nonce, len(data)), strict=True))
    return f"{nonce.hex()}:{body.hex()}"


def unseal(sealed: str, raw_key: str) -> str:
    nonce_hex, _sep, body_hex = sealed.partition(":")
    data = bytes.fromhex(body_hex)
    pad = _pad(raw_key, bytes.fromhex(nonce_hex), len(data))
    return bytes(a ^ b for a, b in zip(data, pad, strict=True)).decode("utf-8")


def find_answer(session: Session, user: User, raw_key: str, fp: str, *, now: datetime) -> Replay | None:
    """The remembered answer for ``raw_key`` of ``user``; None when the key is new (or expired,
    then forgotten now). Another request under the same key is refused (KeyReused)."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user.id,
                                                      IdempotencyKey.key_hash == key_hash(raw_key)))
    if row is None:
        return None
    if row.created_at <= now - KEY_TTL:
        session.delete(row)
        session.flush()
        return None
    if not hmac.compare_digest(row.fingerprint, fp):
        raise KeyReused("Idempotency-Key này đã được dùng cho một yêu cầu khác (nội dung khác); "
                        "dùng khóa mới cho yêu cầu mới.")
    body = dict(row.response)
    if row.sealed_secret:
        body["secret"] = unseal(row.sealed_secret, raw_key)
    return Replay(row.status_code, body)


def remember_answer(
    session: Session, user: User, raw_key: str, fp: str, *, status_code: int, body: dict[str, Any],
    now: datetime,
) -> None:
    """Store the answer in the caller's transaction (flushed: a concurrent twin fails here on
    the unique constraint, or waits for this transaction and then fails)."""
    stored = dict(body)
    secret = stored.pop("secret", None)
    session.add(IdempotencyKey(user_id=user.id, key_hash=key_hash(raw_key), fingerprint=fp,
                               status_code=status_code, response=stored,
                               sealed_secret=seal(secret, raw_key) if secret else "", created_at=now))
    session.flush()


def purge_expired_keys(session: Session, now: datetime) -> int:
    """One DELETE of every key older than KEY_TTL (the scheduler's ``idempotency`` job)."""
    return rows_affected(
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - KEY_TTL)))
