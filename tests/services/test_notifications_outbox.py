"""The outbox: real SMTP delivery to a local aiosmtpd server, retry with backoff after a refused
connection, giving up after N attempts, and citizens' status-change e-mails queued once."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select

from jobs import run_job
from onestop.models import OutboxMessage
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import AssignInput, SupplementRequestInput
from onestop.services.notify.notifications import (
    LoggingSender,
    SmtpSender,
    backoff,
    deliver_outbox,
    enqueue_status_emails,
    queue_message,
)
from tests.factories import receive, user
from tests.times import MONDAY

NOW = MONDAY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox, Any]]:
    """A real SMTP server on a free local port, not started yet (tests start it)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    yield port, inbox, controller
    try:
        controller.stop()
    except Exception:  # noqa: BLE001 - never started
        pass


def subject(msg: Any) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def test_refused_connection_is_retried_later_then_delivered_over_real_smtp(session, smtp_server):
    port, inbox, controller = smtp_server
    queue_message(session, channel="email", recipient="an@example.vn", subject="Hồ sơ 000.01: đã tiếp nhận",
                  body="Kính gửi ông/bà Nguyễn Văn An", dedupe_key="t:1", now=NOW)
    senders = {"email": SmtpSender(host="127.0.0.1", port=port, timeout=5)}
    # The server is down: connection refused → attempt 1, next attempt one minute later.
    r1 = deliver_outbox(session, senders, now=NOW)
    assert (r1.sent, r1.retried, r1.failed) == (0, 1, 0)
    msg = session.scalar(select(OutboxMessage))
    assert msg.attempts == 1 and msg.sent_at is None and msg.failed_at is None
    assert msg.next_attempt_at == NOW + timedelta(minutes=1)
    assert "Refused" in msg.last_error or "refused" in msg.last_error
    # Before the backoff has elapsed nothing is tried.
    assert deliver_outbox(session, senders, now=NOW + timedelta(seconds=30)).retried == 0
    controller.start()
    r2 = deliver_outbox(session, senders, now=NOW + timedelta(minutes=1))
    assert (r2.sent, r2.retried) == (1, 0)
    assert msg.sent_at == NOW + timedelta(minutes=1) and msg.attempts == 2 and msg.last_error == ""
    assert len(inbox.messages) == 1
    got = inbox.messages[0]
    assert got["To"] == "an@example.vn" and subject(got) == "Hồ sơ 000.01: đã tiếp nhận"
    assert "Nguyễn Văn An" in got.get_payload(decode=True).decode()
    # Sent once: a further delivery run sends nothing.
    assert deliver_outbox(session, senders, now=NOW + timedelta(hours=1)).sent == 0
    assert len(inbox.messages) == 1


def test_gives_up_after_max_attempts_with_growing_backoff(session):
    class Down:
        def send(self, message: OutboxMessage) -> None:
            raise ConnectionRefusedError("down")

    queue_message(session, channel="email", recipient="b@example.vn", subject="s", body="b",
                  dedupe_key="t:2", now=NOW)
    now = NOW
    for attempt in (1, 2):
        r = deliver_outbox(session, {"email": Down()}, now=now, max_attempts=3)
        assert r.retried == 1
        now = now + backoff(attempt)
    assert backoff(1) == timedelta(minutes=1) and backoff(2) == timedelta(minutes=2)
    assert backoff(30) == timedelta(hours=6)
    r = deliver_outbox(session, {"email": Down()}, now=now, max_attempts=3)
    assert r.failed == 1
    msg = session.scalar(select(OutboxMessage))
    assert msg.attempts == 3 and msg.failed_at == now
    assert deliver_outbox(session, {"email": Down()}, now=now + timedelta(days=1), max_attempts=3).failed == 0


def test_sms_and_zalo_go_through_pluggable_senders(session):
    sms = LoggingSender("sms")
    queue_message(session, channel="sms", recipient="0912345678", subject="", body="Ho so X",
                  dedupe_key="t:3",
                  now=NOW)
    assert deliver_outbox(session, {"sms": sms}, now=NOW).sent == 1
    assert sms.sent == [("0912345678", "Ho so X")]


def test_queue_message_is_idempotent_by_key(session):
    assert queue_message(session, channel="email", recipient="a@x.vn", subject="s", body="b", dedupe_key="k",
                         now=NOW)
    assert not queue_message(session, channel="email", recipient="a@x.vn", subject="s", body="b",
                             dedupe_key="k", now=NOW)


def test_citizen_gets_one_email_per_public_event_and_none_for_internal_ones(session):
    d = receive(session, now=NOW, email="an@example.vn").dossier
    receive(session, now=NOW)  # no e-mail given: nothing queued
    later = NOW + timedelta(hours=1)
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=later)
    apply_action(session, d, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=later)
    n = enqueue_status_emails(session, since=NOW - timedelta(days=1), now=later)
    assert n == 2  # receive + transfer; the assignment is internal
    assert enqueue_status_emails(session, since=NOW - timedelta(days=1), now=later) == 0
    subjects = [m.subject for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert subjects == [f"Hồ sơ {d.code}: Tiếp nhận", f"Hồ sơ {d.code}: Chuyển xử lý"]


def test_notify_job_delivers_through_configured_smtp(app, session, smtp_server, monkeypatch):
    port, inbox, controller = smtp_server
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    # The citizen agreed at reception to be told by e-mail; the receipt itself sends nothing, the
    # supplement request (queued by the action) is delivered by the job.
    d = receive(session, now=NOW, email="an@example.vn", notify_consent=True, notify_channel="email").dossier
    receive(session, now=NOW, email="other@example.vn")  # no consent: never written to
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=NOW)
    apply_action(session, d, "request_supplement",
                 SupplementRequestInput(reason="Thiếu giấy tờ", missing_items=("Bản sao CCCD",)),
                 actor=user(session, "t_head"), now=NOW)
    session.commit()
    r = run_job(app, "notify", NOW + timedelta(minutes=1))
    assert r == {"queued": 0, "sent": 1, "retried": 0, "failed": 0}
    assert run_job(app, "notify", NOW + timedelta(minutes=2)) == {"queued": 0, "sent": 0, "retried": 0,
                                                                   "failed": 0}
    assert [subject(m) for m in inbox.messages] == [f"Hồ sơ {d.code}: yêu cầu bổ sung"]
    assert [m["To"] for m in inbox.messages] == ["an@example.vn"]
