"""Event notifications: staff in-app notifications produced by the actions themselves, the
citizen's message only with consent and on the chosen channel, Zalo ZNS and SMS senders speaking
the providers' shapes over real HTTP to a local fake, delivery status per message, and the head's
bulk assignment (all or nothing) with each officer's load."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from onestop.integrations.messaging.fake import FakeMessagingServer
from onestop.integrations.messaging.senders import HttpSmsSender, ZaloZnsSender, international_phone
from onestop.models import Notification, OutboxMessage
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.applicant import Applicant
from onestop.services.dossiers.assignment import bulk_assign, officer_loads
from onestop.services.dossiers.inputs import (
    ActionInput,
    AssignInput,
    CompleteInput,
    HandBackInput,
    HandOffInput,
    SupplementRequestInput,
)
from onestop.services.dossiers.reception import ReceptionInput, reception_errors
from onestop.services.errors import ValidationFailed
from onestop.services.notify.notifications import deliver_outbox, senders_from_config
from tests.factories import receive, user
from tests.notes import said
from tests.times import MONDAY

NOW = MONDAY
CHAIN = "3.000722"  # UBND xã → Công an xã (liên thông)


def _notes(session, username: str) -> list[tuple[str, str]]:
    """(kind, what it says in Vietnamese) of the user's notifications."""
    u = user(session, username)
    return [(n.kind, said(n)) for n in session.scalars(
        select(Notification).where(Notification.user_id == u.id).order_by(Notification.id))]


def test_staff_are_notified_along_the_chain_and_never_of_their_own_action(session):
    d = receive(session, now=NOW, procedure_code=CHAIN).dossier
    t = NOW
    steps: list[tuple[str, str, ActionInput | None]] = [
        ("transfer", "t_clerk", None),
        ("assign", "t_head", AssignInput(officer_id=user(session, "t_officer").id)),
        ("hand_off", "t_officer", HandOffInput(note="Đề nghị đăng ký thường trú")),
        ("acknowledge", "t_police", None), ("hand_back", "t_police", HandBackInput(note="Đã đăng ký")),
        ("acknowledge", "t_officer", None),
        ("complete", "t_officer", CompleteInput(result="Giấy khai sinh", reason="Không cần bước BHXH"))]
    for action, who, data in steps:
        t += timedelta(minutes=10)
        apply_action(session, d, action, data, actor=user(session, who), now=t)
    head = _notes(session, "t_head")
    assert [k for k, _ in head] == ["handed_to_agency", "handed_back"]
    assert f"Hồ sơ {d.code} được chuyển đến cơ quan của bạn" in head[0][1]
    officer = _notes(session, "t_officer")
    # assigned, the police acknowledged the officer's leg, the dossier came back; the officer's own
    # acknowledgement and completion tell the officer nothing.
    assert [k for k, _ in officer] == ["assigned", "acknowledged", "handed_back"]
    assert officer[0][1].startswith(f"Hồ sơ {d.code} được giao cho bạn")
    # The police post has no head: its officer is told of the hand-off instead, and, having handed
    # the dossier back, is told when the officer acknowledges it.
    assert [k for k, _ in _notes(session, "t_police")] == ["handed_to_agency", "acknowledged"]
    # The desk's clerks: the result is ready to return.
    assert [k for k, _ in _notes(session, "t_clerk")] == ["result_ready"]
    assert [k for k, _ in _notes(session, "t_officer2")] == []


def test_citizen_is_written_to_only_with_consent_on_the_chosen_channel(session):
    clerk, head, officer = user(session, "t_clerk"), user(session, "t_head"), user(session, "t_officer")
    silent = receive(session, now=NOW, email="an@example.vn").dossier
    sms = receive(session, now=NOW, notify_consent=True, notify_channel="sms").dossier
    zalo = receive(session, now=NOW, notify_consent=True, notify_channel="zalo").dossier
    assert (sms.notify_consent, sms.notify_channel, silent.notify_consent) == (True, "sms", False)
    t = NOW + timedelta(hours=1)
    for d in (silent, sms, zalo):
        apply_action(session, d, "transfer", actor=clerk, now=t)
        apply_action(session, d, "assign", AssignInput(officer_id=officer.id), actor=head, now=t)
        apply_action(session, d, "request_supplement",
                     SupplementRequestInput(reason="Thiếu giấy tờ",
                                            missing_items=("Bản sao giấy chứng sinh",)), actor=officer, now=t)
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    # Receipt, transfer and assignment write to no one; the supplement request to the two who agreed.
    assert [(m.dossier_id, m.channel, m.recipient) for m in rows] == [
        (sms.id, "sms", "0912345678"), (zalo.id, "zalo", "0912345678")]
    assert "Bản sao giấy chứng sinh" in rows[0].body and rows[0].status == "queued"
    assert rows[1].template_id == "supplement"
    assert rows[1].template_data == {"ma_ho_so": zalo.code, "ten": zalo.applicant_name,
                                     "giay_to": "Bản sao giấy chứng sinh"}


def test_consent_needs_a_channel_and_an_email_for_the_email_channel(session):
    base = {"procedure_code": "1.004884", "outcome": "receive"}
    app = Applicant(name="Nguyễn Văn An", id_number="001090012345", phone="0912345678")
    assert reception_errors(session, ReceptionInput(applicant=app, notify_consent=True, notify_channel="fax",
                                                    **base))["notify_channel"].startswith("Chọn kênh")
    assert "applicant_email" in reception_errors(session, ReceptionInput(
        applicant=app, notify_consent=True, notify_channel="email", **base))
    assert reception_errors(session, ReceptionInput(applicant=app, notify_consent=True, notify_channel="sms",
                                                    **base)) == {}


@pytest.fixture
def provider():
    with FakeMessagingServer() as fake:
        yield fake


def test_zalo_zns_and_sms_are_sent_in_the_providers_shapes_with_retry_and_provider_ids(session, provider):
    clerk, head, officer = user(session, "t_clerk"), user(session, "t_head"), user(session, "t_officer")
    ds = [receive(session, now=NOW, notify_consent=True, notify_channel=ch, phone="+84 987 654 321").dossier
          for ch in ("zalo", "sms")]
    t = NOW + timedelta(hours=1)
    for d in ds:
        apply_action(session, d, "transfer", actor=clerk, now=t)
        apply_action(session, d, "assign", AssignInput(officer_id=officer.id), actor=head, now=t)
        apply_action(session, d, "complete", CompleteInput(result="Giấy xác nhận"), actor=officer, now=t)
    senders = senders_from_config({
        "ZALO_ZNS_URL": provider.root_url + "/zalo", "ZALO_ZNS_ACCESS_TOKEN": "zalo-test-token",
        "SMS_GATEWAY_URL": provider.root_url + "/sms/send", "SMS_GATEWAY_TOKEN": "sms-test-token"})
    assert isinstance(senders["zalo"], ZaloZnsSender) and isinstance(senders["sms"], HttpSmsSender)
    assert [m.channel for m in session.scalars(select(OutboxMessage))] == ["zalo", "sms"]
    provider.fail_next = 1  # the first call meets a 503: retried later
    r1 = deliver_outbox(session, senders, now=t)
    assert (r1.sent, r1.retried) == (1, 1)
    r2 = deliver_outbox(session, senders, now=t + timedelta(minutes=1))
    assert r2.sent == 1
    msgs = {m.channel: m for m in session.scalars(select(OutboxMessage))}
    assert msgs["zalo"].status == "sent" and msgs["sms"].status == "sent"
    assert msgs["zalo"].attempts + msgs["sms"].attempts == 3
    assert msgs["zalo"].provider_message_id.startswith("zns-")
    assert msgs["sms"].provider_message_id.startswith("sms-")
    zns = next(r for r in provider.received if r["channel"] == "zalo")
    assert zns["headers"]["Access-Token"] == "zalo-test-token"
    assert zns["body"] == {"phone": "84987654321", "template_id": "result_ready",
                           "template_data": {"ma_ho_so": ds[0].code, "ten": ds[0].applicant_name},
                           "tracking_id": f"outbox-{msgs['zalo'].id}"}
    sms = next(r for r in provider.received if r["channel"] == "sms")
    assert sms["headers"]["Authorization"] == "Bearer sms-test-token"
    assert sms["body"]["phone"] == "0987654321" and ds[1].code in sms["body"]["message"]


def test_a_provider_refusal_is_a_failed_attempt_and_an_unconfigured_channel_stays_queued(session, provider):
    from onestop.services.notify.notifications import queue_message

    queue_message(session, channel="zalo", recipient="0912345678", subject="", body="x", dedupe_key="z:1",
                  now=NOW, template_id="result_ready", template_data={"ma_ho_so": "X"})
    queue_message(session, channel="sms", recipient="0912345678", subject="", body="x", dedupe_key="s:1",
                  now=NOW)
    wrong = {"zalo": ZaloZnsSender(base_url=provider.root_url + "/zalo", access_token="wrong")}
    r = deliver_outbox(session, wrong, now=NOW)
    assert (r.sent, r.retried) == (0, 1)
    z = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "zalo"))
    assert "-124" in z.last_error and z.status == "queued" and z.attempts == 1
    s = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
    assert s.attempts == 0 and s.last_error == ""  # no SMS gateway configured: untried
    assert "sms" not in senders_from_config({}) and "zalo" not in senders_from_config({})
    assert international_phone("0912345678") == "84912345678"


def test_bulk_assignment_is_all_or_nothing_and_loads_are_counted(session):
    clerk, head = user(session, "t_clerk"), user(session, "t_head")
    officer, other = user(session, "t_officer"), user(session, "t_officer_other")
    ds = [receive(session, now=NOW).dossier for _ in range(3)]
    t = NOW + timedelta(minutes=5)
    for d in ds:
        apply_action(session, d, "transfer", actor=clerk, now=t)
    assert bulk_assign(session, ds[:2], officer, actor=head, now=t) == 2
    assert [d.assignee_id for d in ds] == [officer.id, officer.id, None]
    loads = officer_loads(session, [officer.id, other.id], now=t)
    assert loads[officer.id].open == 2 and loads[other.id].open == 0
    # Later the two are overdue; one is due soon? no: counted as overdue.
    late = officer_loads(session, [officer.id], now=t + timedelta(days=30))[officer.id]
    assert (late.open, late.overdue, late.due_soon) == (2, 2, 0)
    # An officer of another commune cannot take them: the whole batch fails, the error names the dossier.
    sp = session.begin_nested()
    with pytest.raises(ValidationFailed) as exc:
        bulk_assign(session, [ds[2]], other, actor=head, now=t)
    assert exc.value.failed_code == ds[2].code
    sp.rollback()
    with pytest.raises(ValidationFailed):
        bulk_assign(session, [], officer, actor=head, now=t)
    notified = session.scalars(select(Notification.dossier_id).where(Notification.user_id == officer.id,
                                                                     Notification.kind == "assigned")).all()
    assert sorted(notified) == sorted(d.id for d in ds[:2])
