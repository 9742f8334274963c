"""Notifications: the in-app inbox of officers and heads, and the outbox of e-mail/SMS/Zalo
messages delivered by pluggable senders with retries (transactional outbox).

Idempotence: every row carries a ``dedupe_key`` (UNIQUE in the schema). Enqueueing is one
``INSERT … SELECT … WHERE NOT EXISTS (same key)`` statement, with ``ON CONFLICT DO NOTHING`` as a
second guard, so a job run twice notifies no one twice and a scan over many dossiers is one
statement, not a loop.

Senders never see the session: ``deliver_outbox`` reads due messages, calls ``sender.send`` and
records the outcome (sent, or attempts + 1 and the next attempt with exponential backoff, or given up
after ``max_attempts``).
"""
from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...domain.status import ACTION_LABELS_VI, STATUS_LABELS_VI
from ...integrations.messaging.senders import HttpSmsSender, ZaloZnsSender
from ...models import Dossier, DossierEvent, Notification, OutboxMessage
from ..sql import rows_affected

log = logging.getLogger(__name__)

_N = Notification.__table__
_O = OutboxMessage.__table__


def key_expr(*parts: Any) -> ColumnElement[str]:
    """A dedupe key built in SQL: literal strings and integer columns joined by ':'."""
    expr: ColumnElement[str] | None = None
    for i, part in enumerate(parts):
        piece: ColumnElement[str]
        if isinstance(part, str):
            piece = literal(part, String)
        else:
            piece = cast(part, String)
        if i:
            piece = literal(":", String) + piece
        expr = piece if expr is None else expr + piece
    assert expr is not None
    return expr


def _insert_ignore(session: Session, table: Any, columns: Sequence[str], query: Select[Any] | Any) -> int:
    """``INSERT INTO table (columns) <query> ON CONFLICT DO NOTHING``; returns the rows inserted.

    ``query`` must already exclude existing keys (NOT EXISTS); the ON CONFLICT clause only covers a
    concurrent writer (an operator's ``jobs tick`` while the scheduler runs)."""
    dialect = session.get_bind().dialect.name
    ins: Any
    if dialect == "postgresql":
        ins = postgresql.insert(table).from_select(list(columns), query).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        # SQLite needs the SELECT to carry a WHERE clause (it does: NOT EXISTS) to parse ON CONFLICT.
        ins = sqlite.insert(table).from_select(list(columns), query).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
    else:  # pragma: no cover - other engines rely on NOT EXISTS alone
        ins = table.insert().from_select(list(columns), query)
    result = session.execute(ins, execution_options={"preserve_rowcount": True})
    return rows_affected(result)


def not_notified(key: ColumnElement[str]) -> ColumnElement[bool]:
    return ~exists().where(_N.c.dedupe_key == key)


def not_queued(key: ColumnElement[str]) -> ColumnElement[bool]:
    return ~exists().where(_O.c.dedupe_key == key)


def json_object(session: Session, values: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
    """A JSON object built in SQL from named expressions: ``json_build_object`` on PostgreSQL,
    ``json_object`` on SQLite (same arguments: name, value, name, value …)."""
    args: list[Any] = []
    for name, value in values.items():
        args += [literal(name, String), value]
    build = func.json_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    return build(*args, type_=JSON)


def _json_value(session: Session, value: Mapping[str, Any]) -> ColumnElement[Any]:
    """A JSON value from Python, as a SQL expression that an INSERT … SELECT can carry."""
    text = literal(json.dumps(value, ensure_ascii=False, default=str), String)
    if session.get_bind().dialect.name == "postgresql":
        return cast(text, JSON)
    return func.json(text, type_=JSON)


_NOTIFICATION_COLUMNS = ("user_id", "dossier_id", "kind", "message", "params", "dedupe_key", "created_at")


def enqueue_notifications(
    session: Session, *, user_id: Any, dossier_id: Any, kind: str, key: ColumnElement[str],
    from_: Any, where: Sequence[ColumnElement[bool]], now: datetime,
    params: Mapping[str, ColumnElement[Any]] | None = None,
) -> int:
    """One INSERT … SELECT of in-app notifications: ``user_id``, ``dossier_id``, ``key`` and the
    values of ``params`` are SQL expressions over ``from_``; rows already notified (same key) are
    skipped. The sentence is said when the inbox is read (onestop/web/sentences.py)."""
    q = select(
        user_id.label("user_id"), dossier_id.label("dossier_id"), literal(kind, String).label("kind"),
        literal("", String).label("message"), json_object(session, params or {}).label("params"),
        key.label("dedupe_key"), literal(now, Notification.__table__.c.created_at.type).label("created_at"),
    ).select_from(from_).where(and_(*where, not_notified(key)))
    return _insert_ignore(session, _N, _NOTIFICATION_COLUMNS, q)


def enqueue_messages(
    session: Session, *, channel: str, recipient: Any, subject: Any, body: Any, dossier_id: Any,
    key: ColumnElement[str], from_: Any, where: Sequence[ColumnElement[bool]], now: datetime,
) -> int:
    """One INSERT … SELECT into the outbox (same shape as :func:`enqueue_notifications`)."""
    ts = _O.c.created_at.type
    q = select(
        literal(channel, String).label("channel"), recipient.label("recipient"), subject.label("subject"),
        body.label("body"), key.label("dedupe_key"), dossier_id.label("dossier_id"),
        literal(now, ts).label("created_at"), literal(0).label("attempts"),
        literal(now, ts).label("next_attempt_at"), literal("", String).label("last_error"),
    ).select_from(from_).where(and_(*where, not_queued(key)))
    return _insert_ignore(session, _O, ("channel", "recipient", "subject", "body", "dedupe_key",
                                        "dossier_id", "created_at", "attempts", "next_attempt_at",
                                        "last_error"), q)


def notify(session: Session, *, user_id: int, kind: str, params: Mapping[str, Any], dedupe_key: str,
           now: datetime, dossier_id: int | None = None) -> bool:
    """One in-app notification (for the few per-user messages: digests, warnings): its ``kind`` and
    the values its sentence says (JSON). False if the same key was already notified."""
    q = select(literal(user_id).label("user_id"), cast(literal(dossier_id), Integer).label("dossier_id"),
               literal(kind, String).label("kind"), literal("", String).label("message"),
               _json_value(session, params).label("params"),
               literal(dedupe_key, String).label("dedupe_key"),
               literal(now, _N.c.created_at.type).label("created_at")).where(
        not_notified(literal(dedupe_key, String)))
    return _insert_ignore(session, _N, _NOTIFICATION_COLUMNS, q) > 0


def queue_message(session: Session, *, channel: str, recipient: str, subject: str, body: str,
                  dedupe_key: str, now: datetime, dossier_id: int | None = None, template_id: str = "",
                  template_data: Mapping[str, Any] | None = None) -> bool:
    """One outbox message; False if the same key is already queued (or sent). ``template_id`` and
    ``template_data`` carry a Zalo ZNS template call."""
    ts = _O.c.created_at.type
    q = select(literal(channel, String).label("channel"), literal(recipient, String).label("recipient"),
               literal(subject, String).label("subject"), literal(body, String).label("body"),
               literal(dedupe_key, String).label("dedupe_key"),
               cast(literal(dossier_id), Integer).label("dossier_id"),
               literal(now, ts).label("created_at"), literal(0).label("attempts"),
               literal(now, ts).label("next_attempt_at"), literal("", String).label("last_error")).where(
        not_queued(literal(dedupe_key, String)))
    inserted = _insert_ignore(session, _O, ("channel", "recipient", "subject", "body", "dedupe_key",
                                        "dossier_id", "created_at", "attempts", "next_attempt_at",
                                        "last_error"), q)
    if inserted and template_id:
        session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
                        .values(template_id=template_id, template_data=dict(template_data or {})))
    return inserted > 0


# ---------------------------------------------------------------- citizens: status changes


def _label_case(column: Any, labels: Mapping[Any, str]) -> ColumnElement[str]:
    return case(*[(column == str(k), literal(v, String)) for k, v in labels.items()],
                else_=literal("", String))


def enqueue_status_emails(session: Session, *, since: datetime, now: datetime) -> int:
    """E-mail the citizen (when an address was given) for every public event in ``(since, now]``:
    receipt, supplement request, refusal, apology and new date, result ready, return, stop …
    One INSERT … SELECT over the event log (indexed by time); the key is the event id, so an
    overlapping window never sends twice."""

    d = Dossier.__table__
    e = DossierEvent.__table__
    action = _label_case(e.c.action, ACTION_LABELS_VI)
    status = _label_case(e.c.to_status, STATUS_LABELS_VI)
    body = (literal("Kính gửi ông/bà,\n\nHồ sơ ", String) + d.c.code + literal(": ", String) + action
            + literal(".\nTrạng thái hiện tại: ", String) + status + literal(".\n", String) + e.c.note
            + literal("\n\nTra cứu tiến độ bằng mã hồ sơ và mã tra cứu in trên giấy tiếp nhận."
                      "\n\nBộ phận Một cửa", String))
    return enqueue_messages(
        session, channel="email", recipient=d.c.applicant_email,
        subject=literal("Hồ sơ ", String) + d.c.code + literal(": ", String) + action,
        body=body, dossier_id=d.c.id, key=key_expr("email", "event", e.c.id),
        from_=e.join(d, d.c.id == e.c.dossier_id),
        where=[e.c.at > since, e.c.at <= now, e.c.public.is_(True), d.c.applicant_email != ""], now=now)


# ---------------------------------------------------------------- senders


class Sender(Protocol):
    """Delivers one message or raises (any exception = a failed attempt, retried later)."""

    def send(self, message: OutboxMessage) -> str | None: ...


@dataclass
class SmtpSender:
    """E-mail through SMTP (``ONESTOP_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS``)."""

    host: str = "127.0.0.1"
    port: int = 25
    user: str = ""
    password: str = ""
    from_addr: str = "onestop@localhost"
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSender:
        return cls(host=str(config.get("SMTP_HOST", "127.0.0.1")), port=int(config.get("SMTP_PORT", 25)),
                   user=str(config.get("SMTP_USER", "")), password=str(config.get("SMTP_PASSWORD", "")),
                   from_addr=str(config.get("SMTP_FROM", "onestop@localhost")),
                   starttls=bool(config.get("SMTP_STARTTLS", False)),
                   timeout=float(config.get("SMTP_TIMEOUT", 10)))

    def send(self, message: OutboxMessage) -> str:
        em = EmailMessage()
        em["From"] = self.from_addr
        em["To"] = message.recipient
        em["Subject"] = message.subject
        em["Date"] = formatdate(localtime=False)
        # Stable per outbox row: a re-send after a crash carries the same Message-ID.
        em["Message-ID"] = f"<outbox-{message.id}@{self.from_addr.rpartition('@')[2] or 'onestop'}>"
        em.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(em)
        return str(em["Message-ID"])


@dataclass
class LoggingSender:
    """SMS/Zalo placeholder: logs the message. A provider's gateway implements the same
    ``send(message)`` (e.g. a Zalo OA ZNS template call) and is plugged in by channel."""

    channel: str = "sms"
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, message: OutboxMessage) -> str | None:
        log.info("%s to %s: %s", self.channel, message.recipient, message.body)
        self.sent.append((message.recipient, message.body))
        return None


def senders_from_config(config: Mapping[str, Any]) -> dict[str, Sender]:
    """E-mail through SMTP; SMS and Zalo only when their provider is configured (off unless set,
    docs/operations.md): a channel without a sender keeps its messages queued, untried."""

    senders: dict[str, Sender] = {"email": SmtpSender.from_config(config)}
    if config.get("SMS_GATEWAY_URL"):
        senders["sms"] = HttpSmsSender(url=str(config["SMS_GATEWAY_URL"]),
                                       token=str(config.get("SMS_GATEWAY_TOKEN", "")),
                                       brandname=str(config.get("SMS_BRANDNAME", "MOTCUA")))
    if config.get("ZALO_ZNS_URL"):
        senders["zalo"] = ZaloZnsSender(base_url=str(config["ZALO_ZNS_URL"]),
                                        access_token=str(config.get("ZALO_ZNS_ACCESS_TOKEN", "")))
    return senders


# ---------------------------------------------------------------- delivery


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int, base_seconds: int = 60, cap_seconds: int = 6 * 3600) -> timedelta:
    """1 min, 2 min, 4 min, … capped at 6 h: a mail server down for the night is retried until
    the morning without hammering it."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def deliver_outbox(
    session: Session, senders: Mapping[str, Sender], *, now: datetime, max_attempts: int = 8,
    batch: int = 200, base_backoff_seconds: int = 60, checkpoint: Callable[[], None] | None = None,
) -> DeliveryResult:
    """Deliver due messages (not sent, not given up, ``next_attempt_at <= now``), oldest first,
    one message per unit of work.

    ``checkpoint`` (the job passes ``session.commit``) makes each outcome durable right after
    its send, so a crash (kill -9) mid-batch re-sends at most the one message whose send had
    no recorded outcome yet — never the ones already delivered (at-least-once; SMTP offers no
    more, and every message carries a stable Message-ID for the receiving side to de-duplicate).
    On PostgreSQL the message is locked ``FOR UPDATE SKIP LOCKED`` while it is sent, so an
    operator's ``jobs tick`` beside the scheduler never sends it twice; SQLite serialises
    writers anyway. Without ``checkpoint`` the caller commits once at the end (tests)."""
    due = (select(OutboxMessage)
           .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                  OutboxMessage.next_attempt_at <= now, OutboxMessage.channel.in_(sorted(senders)))
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    result = DeliveryResult()
    done: set[int] = set()
    for _ in range(batch):
        q = due.where(OutboxMessage.id.not_in(done)) if done else due
        msg = session.scalars(q.limit(1)).first()
        if msg is None:
            break
        done.add(msg.id)
        sender = senders.get(msg.channel)
        try:
            if sender is None:
                raise RuntimeError(f"no sender for channel {msg.channel!r}")
            provider_id = sender.send(msg)
        except Exception as exc:  # noqa: BLE001 - any failure is a failed attempt
            msg.attempts += 1
            msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if msg.attempts >= max_attempts:
                msg.failed_at = now
                result.failed += 1
            else:
                msg.next_attempt_at = now + backoff(msg.attempts, base_backoff_seconds)
                result.retried += 1
        else:
            msg.attempts += 1
            msg.sent_at = now
            msg.last_error = ""
            msg.provider_message_id = (provider_id or "")[:100]
            result.sent += 1
        session.flush()
        if checkpoint is not None:
            checkpoint()
    return result


__all__ = [
    "DeliveryResult", "LoggingSender", "Sender", "SmtpSender", "backoff", "deliver_outbox",
    "enqueue_messages", "enqueue_notifications", "enqueue_status_emails", "json_object", "key_expr", "notify",
    "queue_message",
    "senders_from_config",
]
