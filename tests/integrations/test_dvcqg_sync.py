"""Push and intake against the fake portal over REAL HTTP (a server on 127.0.0.1 in a thread)."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from onestop.domain.deadlines import compute_due
from onestop.integrations.dvcqg import mapping
from onestop.integrations.dvcqg.client import PortalClient
from onestop.integrations.dvcqg.fake import FakePortalServer, create_fake_app
from onestop.integrations.dvcqg.outbox import (
    current_record,
    enqueue_since,
    resend,
    send_pending,
    status_counts,
)
from onestop.integrations.dvcqg.sync import sync_now
from onestop.models import Dossier, DossierEvent
from onestop.models.dvcqg import DvcqgAttempt, DvcqgIntake, DvcqgOutbox
from onestop.services.admin.calendars import calendar_for
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import (
    ApologyInput,
    CompleteInput,
    PaymentRequestInput,
    ReturnInput,
    StopInput,
    SupplementRequestInput,
    WithdrawInput,
)
from tests.factories import receive, user
from tests.times import hanoi

UNIT = "000.00.00.H25"


@pytest.fixture
def portal() -> Iterator[FakePortalServer]:
    with FakePortalServer(create_fake_app(UNIT, "u", "p")) as server:
        yield server


@pytest.fixture
def sync_on(app, portal, monkeypatch):
    for key, value in {"DVCQG_URL": portal.base_url, "DVCQG_USERNAME": "u", "DVCQG_PASSWORD": "p",
                       "DVCQG_UNIT_CODE": UNIT, "DVCQG_TIMEOUT_SECONDS": 2}.items():
        monkeypatch.setitem(app.config, key, value)
    return portal


def client_for(portal: FakePortalServer, timeout: float = 2.0) -> PortalClient:
    return PortalClient(portal.base_url, "u", "p", UNIT, timeout=timeout)


def control(portal: FakePortalServer, what: str, body: object) -> None:
    requests.post(f"{portal.root_url}/_control/{what}", json=body, timeout=5).raise_for_status()


def dump(portal: FakePortalServer) -> dict:
    return requests.get(f"{portal.root_url}/_control/dump", timeout=5).json()


def full_journey(session, day: int = 2):
    d = receive(session, now=hanoi(2026, 3, day, 9)).dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=hanoi(2026, 3, day, 9, 5))
    apply_action(session, d, "complete",
                 CompleteInput(result="Xác nhận"), actor=user(session, "t_officer"),
                 now=hanoi(2026, 3, day, 14))
    apply_action(session, d, "return_result",
                 ReturnInput(method="direct"), actor=user(session, "t_clerk"), now=hanoi(2026, 3, day, 15))
    return d


# ------------------------------------------------------------------ push


def test_nothing_is_queued_when_sync_is_off(app, session):
    receive(session, now=hanoi(2026, 3, 2, 9))
    session.flush()
    assert session.scalar(select(func.count()).select_from(DvcqgOutbox)) == 0


def test_each_event_is_queued_in_the_transaction_of_the_change(app, session, sync_on):
    d = full_journey(session)
    rows = session.execute(select(DvcqgOutbox.kind, DvcqgOutbox.version, DvcqgOutbox.state)
                           .where(DvcqgOutbox.dossier_id == d.id).order_by(DvcqgOutbox.version)).all()
    assert rows == [("event", 1, "pending"), ("event", 2, "pending"), ("event", 3, "pending"),
                    ("event", 4, "pending")]
    # A failed action leaves no queue row behind (rolled back with it).
    nested = session.begin_nested()
    with pytest.raises(Exception):  # noqa: B017
        apply_action(session, d, "stop",
                     StopInput(reason="x"), actor=user(session, "t_officer"), now=hanoi(2026, 3, 2, 16))
    nested.rollback()
    assert session.scalar(
        select(func.count()).select_from(DvcqgOutbox).where(DvcqgOutbox.dossier_id == d.id)) == 4


def test_push_sends_record_then_progress_and_the_portal_view_equals_ours(app, session, sync_on):
    d = full_journey(session)
    res = send_pending(session, client_for(sync_on), hanoi(2026, 3, 2, 16))
    assert (res.sent, res.retried, res.dead) == (4, 0, 0)
    seen = dump(sync_on)
    assert seen["dossiers"][d.code] == current_record(session, d)
    assert seen["dossiers"][d.code]["TrangThaiHoSo"] == 10
    assert [r["TrangThai"] for r in seen["progress"][d.code]] == [2, 4, 9, 10]
    assert status_counts(session) == {"synced": 4, "pending": 0, "failed": 0}
    assert session.scalar(select(func.count()).select_from(DvcqgAttempt).where(DvcqgAttempt.ok)) == 4


def test_rating_goes_up_after_the_dossier(app, session, sync_on):
    d = full_journey(session)
    from onestop.models import Rating

    rating = Rating(dossier_id=d.id, agency_id=d.receiving_agency_id, score_access=5, score_procedure=4,
                    score_officer=5, score_result=5, score_feedback=4, satisfied=True, comment="Tốt",
                    created_at=hanoi(2026, 3, 2, 16))
    session.add(rating)
    session.flush()
    from onestop.integrations.dvcqg.outbox import enqueue_rating

    enqueue_rating(session, rating)
    session.flush()
    send_pending(session, client_for(sync_on), hanoi(2026, 3, 2, 17))
    assert dump(sync_on)["ratings"][d.code]["DiemThuTuc"] == 4
    assert status_counts(session)["synced"] == 5


def test_an_already_known_dossier_is_updated_and_resending_is_harmless(app, session, sync_on):
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    send_pending(session, client_for(sync_on), hanoi(2026, 3, 2, 10))
    # The portal keeps it; our row is put back as if the outcome had been lost (crash after send).
    resend(session, d.code, hanoi(2026, 3, 2, 11))
    session.flush()
    res = send_pending(session, client_for(sync_on), hanoi(2026, 3, 2, 12))
    assert res.sent == 1 and res.dead == 0
    seen = dump(sync_on)
    assert len(seen["progress"][d.code]) == 1  # the same progress row twice is stored once
    assert seen["requests"]["DongBoHoSoMC"] == 3  # add, add → "đã tồn tại", update


def test_refused_record_backs_off_then_is_dead_with_the_portal_message(app, session, sync_on, monkeypatch):
    good = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    bad = receive(session, now=hanoi(2026, 3, 2, 9, 1), name="Trần Thị Bé").dossier
    # A dossier whose code is not of the unit's province: the portal refuses it.
    session.execute(
        Dossier.__table__.update().where(Dossier.id == bad.id).values(code="000.00.01.H99-260302-0001"))
    session.expire_all()
    now = hanoi(2026, 3, 2, 10)
    res = send_pending(session, client_for(sync_on), now, max_attempts=3, base_backoff_seconds=60)
    assert (res.sent, res.retried, res.dead) == (1, 1, 0)  # the good one is not held back
    row = session.scalars(select(DvcqgOutbox).where(DvcqgOutbox.dossier_id == bad.id)).one()
    assert row.state == "pending" and row.attempts == 1 and "không thuộc đơn vị" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=60)
    # not yet due
    assert send_pending(session, client_for(sync_on), now + timedelta(seconds=30)).dossiers == 0
    send_pending(session, client_for(sync_on), now + timedelta(minutes=2), max_attempts=3)
    send_pending(session, client_for(sync_on), now + timedelta(minutes=10), max_attempts=3)
    session.refresh(row)
    assert row.state == "dead" and row.attempts == 3
    assert status_counts(session) == {"synced": 1, "pending": 0, "failed": 1}
    assert good.code in dump(sync_on)["dossiers"]
    # Resend puts it back in the queue.
    assert resend(session, bad.code, now + timedelta(hours=1)) == 1
    session.refresh(row)
    assert row.state == "pending" and row.attempts == 0


@pytest.mark.parametrize("mode", ["5xx", "malformed", "timeout"])
def test_portal_failures_are_retried_never_dead_lettered(app, session, sync_on, mode):
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    control(sync_on, "fail", {"mode": mode, "count": -1, "delay": 1.5})
    now = hanoi(2026, 3, 2, 10)
    for i in range(12):  # far more than max_attempts
        res = send_pending(session, client_for(sync_on, timeout=0.5), now + timedelta(hours=i),
                           max_attempts=3)
        assert res.unavailable
    row = session.scalars(select(DvcqgOutbox).where(DvcqgOutbox.dossier_id == d.id)).one()
    assert row.state == "pending" and row.attempts == 12
    control(sync_on, "fail", {"mode": "none"})
    res = send_pending(session, client_for(sync_on), now + timedelta(days=1))
    assert res.sent == 1 and d.code in dump(sync_on)["dossiers"]


def test_expired_session_logs_in_again(app, session, sync_on):
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    client = client_for(sync_on)
    client.login()
    control(sync_on, "fail", {"mode": "expire", "count": 1})
    assert send_pending(session, client, hanoi(2026, 3, 2, 10)).sent == 1
    assert d.code in dump(sync_on)["dossiers"]


def test_portal_down_for_a_day_is_caught_up_in_order(app, session, sync_on):
    control(sync_on, "fail", {"mode": "5xx", "count": -1})
    start = hanoi(2026, 3, 2, 8)
    dossiers = []
    for i in range(6):
        d = receive(session, now=start + timedelta(minutes=10 * i), name=f"Nguyễn Văn {chr(65 + i)}").dossier
        apply_action(session, d, "transfer", actor=user(session, "t_clerk"),
                     now=start + timedelta(minutes=10 * i + 1))
        dossiers.append(d)
        # The job runs every few minutes through the day; every run fails.
        send_pending(session, client_for(sync_on), start + timedelta(minutes=10 * i + 2))
    for hour in range(1, 24):
        send_pending(session, client_for(sync_on), start + timedelta(hours=hour))
    assert status_counts(session) == {"synced": 0, "pending": 12, "failed": 0}
    control(sync_on, "fail", {"mode": "none"})
    res = send_pending(session, client_for(sync_on), start + timedelta(days=1, hours=1))
    assert res.sent == 12 and status_counts(session)["pending"] == 0
    seen = dump(sync_on)
    assert list(seen["dossiers"]) == [d.code for d in dossiers]  # oldest first
    for d in dossiers:
        assert [r["TrangThai"] for r in seen["progress"][d.code]] == [2, 4]  # in order per dossier
        assert seen["dossiers"][d.code] == current_record(session, d)


def test_backfill_since_queues_history_once(app, session, sync_on, monkeypatch):
    monkeypatch.setitem(app.config, "DVCQG_URL", "")  # sync was off when these happened
    full_journey(session, day=2)
    d2 = receive(session, now=hanoi(2026, 3, 4, 9)).dossier
    monkeypatch.setitem(app.config, "DVCQG_URL", sync_on.base_url)
    assert enqueue_since(session, hanoi(2026, 3, 3, 0), hanoi(2026, 3, 5, 9)) == 1
    assert enqueue_since(session, hanoi(2026, 3, 3, 0), hanoi(2026, 3, 5, 9)) == 0
    send_pending(session, client_for(sync_on), hanoi(2026, 3, 5, 9))
    assert list(dump(sync_on)["dossiers"]) == [d2.code]


def test_job_sync_now_reports_off_when_not_configured(app, session):
    assert sync_now(session, {"DVCQG_URL": "", "DVCQG_UNIT_CODE": ""},
                    hanoi(2026, 3, 2, 9)) == {"enabled": False}


# ------------------------------------------------------------------ intake


def submission(code: str, **kw) -> dict:
    item = {"MaHoSoQG": code, "MaTTHC": "1.004884", "MaDonVi": "000.01.31.H25", "ChuHoSo": "Phạm Thị Lan",
            "SoDinhDanh": "001190000111", "SoDienThoai": "0912000111", "NgayNopHoSo": "20260302200000",
            "TaiLieuNop": [{"TepDinhKemId": "f1", "TenTepDinhKem": "To khai.pdf",
                            "DuongDanTaiTepTin": "https://dichvucong.gov.vn/f1.pdf"}]}
    item.update(kw)
    return item


def test_online_submission_lands_in_the_desk_inbox_and_is_received_like_any_other(app, session, sync_on):
    control(sync_on, "submissions", [submission("G22-0001")])
    now = hanoi(2026, 3, 3, 7)  # the job runs the next morning (Tue 07:00 local)
    out = sync_now(session, app.config, now)
    assert out["intake"] == {"accepted": 1, "refused": 0, "repeated": 0}
    intake = session.scalars(select(DvcqgIntake)).one()
    d = session.get(Dossier, intake.dossier_id)
    assert d.status == "new_online" and d.channel == "online"
    assert d.receiving_agency.identifier == "000.01.31.H25"
    from onestop.services.dossiers.queries import inbox

    assert d in inbox(session, user(session, "t_clerk"))  # the receiving desk's inbox
    assert d.submitted_at == hanoi(2026, 3, 2, 20)  # filed Monday 20:00 on the portal
    assert dump(sync_on)["acknowledged"]["G22-0001"]["MaHoSo"] == d.code
    # Its registration went up as status 1 in the same run.
    assert dump(sync_on)["dossiers"][d.code]["TrangThaiHoSo"] == 1
    # Idempotent by the portal's code: pulled again, nothing new.
    control(sync_on, "reset", {})
    control(sync_on, "submissions", [submission("G22-0001")])
    assert sync_now(session, app.config, hanoi(2026, 3, 3, 7, 5))["intake"]["repeated"] == 1
    assert session.scalar(select(func.count()).select_from(Dossier).where(Dossier.channel == "online")) == 1
    # The clerk receives it: the receipt, and the due time under the online rule.
    apply_action(session, d, "receive", actor=user(session, "t_clerk"), now=hanoi(2026, 3, 3, 8))
    rule = d.procedure.deadline_rule("online")
    expected = compute_due(hanoi(2026, 3, 3, 8), rule, calendar_for(session, d.receiving_agency),
                           channel="online")
    assert d.status == "received" and d.due_at == expected.due_at


@pytest.mark.parametrize(("item", "reason"), [
    (submission("G22-B1", MaTTHC="9.999999"), "thủ tục"),
    (submission("G22-B2", NgayNopHoSo="2026-03-02 20:00"), "NgayNopHoSo"),
    (submission("G22-B3", NgayNopHoSo="20261302200000"), "NgayNopHoSo"),
    (submission("G22-B4", MaDonVi="000.01.31.H99"), "đơn vị"),
    (submission("G22-B5", SoDinhDanh="12ab"), "applicant_id_number"),
    ({"MaTTHC": "1.004884"}, "MaHoSoQG"),
])
def test_bad_submissions_are_refused_with_a_reason_and_create_nothing(app, session, sync_on, item, reason):
    before = session.scalar(select(func.count()).select_from(Dossier))
    control(sync_on, "submissions", [item])
    out = sync_now(session, app.config, hanoi(2026, 3, 3, 7))
    assert out["intake"]["accepted"] == 0 and out["intake"]["refused"] == 1
    logged = session.scalars(select(DvcqgIntake)).one()
    assert logged.outcome == "refused" and reason in logged.reason and logged.dossier_id is None
    assert session.scalar(select(func.count()).select_from(Dossier)) == before
    assert session.scalar(
        select(func.count()).select_from(DossierEvent).where(DossierEvent.at == hanoi(2026, 3, 2, 20))) == 0


def test_a_portal_code_reused_for_other_content_is_refused(app, session, sync_on):
    control(sync_on, "submissions", [submission("G22-0009")])
    sync_now(session, app.config, hanoi(2026, 3, 3, 7))
    control(sync_on, "reset", {})
    control(sync_on, "submissions", [submission("G22-0009", ChuHoSo="Người Khác")])
    out = sync_now(session, app.config, hanoi(2026, 3, 3, 8))
    assert out["intake"]["refused"] == 1
    refused = session.scalars(select(DvcqgIntake).where(DvcqgIntake.outcome == "refused")).one()
    assert "đã được dùng" in refused.reason


# ------------------------------------------------------------------ reconciliation


def test_reconciliation_after_a_random_workload(app, session, sync_on):
    """Receptions, hand-offs, supplements, payments, apologies, stops, withdrawals and returns at random;
    after the sync
    the portal's view of every dossier (status, dates, supplement rounds) equals the tracker's."""
    rnd = random.Random(766)
    clerk, officer, police = (user(session, n) for n in ("t_clerk", "t_officer", "t_police"))
    dossiers = []
    t = hanoi(2026, 3, 2, 8)
    for i in range(24):
        t += timedelta(minutes=7)
        lien_thong = rnd.random() < 0.4
        d = receive(session, now=t, procedure_code="3.000722" if lien_thong else "1.004884",
                    name=f"Công Dân {chr(65 + i % 26)}").dossier
        dossiers.append(d)
        apply_action(session, d, "transfer", actor=clerk, now=t + timedelta(minutes=1))
        step = t + timedelta(minutes=2)
        if lien_thong and rnd.random() < 0.7:
            apply_action(session, d, "hand_off", actor=officer, now=step)
            apply_action(session, d, "acknowledge", actor=police, now=step + timedelta(minutes=5))
            step += timedelta(minutes=10)
        holder = police if d.current_agency.identifier == "000.02.31.H25" else officer
        for _ in range(rnd.choice([0, 0, 1, 2])):
            apply_action(session, d, "request_supplement",
                         SupplementRequestInput(reason="Thiếu", missing_items=("Giấy tờ",)),
                         actor=holder, now=step)
            step += timedelta(hours=rnd.choice([1, 20, 30]))
            apply_action(session, d, "provide_supplement", actor=clerk, now=step)
            step += timedelta(minutes=5)
        if rnd.random() < 0.3 and d.due_at is not None and d.due_at > step:
            apply_action(session, d, "apologise",
                         ApologyInput(reason="Chậm", new_due_at=d.due_at + timedelta(days=3)),
                         actor=holder, now=step)
        if rnd.random() < 0.2:
            apply_action(session, d, "request_payment",
                         PaymentRequestInput(reason="Lệ phí trước bạ"), actor=holder, now=step)
            step += timedelta(hours=2)
            apply_action(session, d, "confirm_payment", actor=clerk, now=step)
            step += timedelta(minutes=5)
        fate = rnd.choice(["open", "stop", "complete", "return", "withdraw"])
        if fate == "withdraw":
            apply_action(session, d, "withdraw",
                         WithdrawInput(reason="Công dân rút"), actor=clerk, now=step + timedelta(minutes=1))
        elif fate == "stop":
            apply_action(session, d, "stop",
                         StopInput(reason="Dừng"), actor=holder, now=step + timedelta(minutes=1))
        elif fate in ("complete", "return"):
            apply_action(session, d, "complete",
                         CompleteInput(result="KQ", reason="Kết thúc sớm theo quy trình"),
                         actor=holder, now=step + timedelta(minutes=1))
            if fate == "return":
                apply_action(session, d, "return_result", actor=clerk, now=step + timedelta(minutes=2))
        if rnd.random() < 0.3:  # sync in the middle of the workload too
            send_pending(session, client_for(sync_on), step + timedelta(minutes=3))
    send_pending(session, client_for(sync_on), hanoi(2026, 3, 20, 8))
    done = {e.action for d in dossiers for e in session.scalars(select(DossierEvent).where(
        DossierEvent.dossier_id == d.id))}
    assert {"hand_off", "request_supplement", "provide_supplement", "request_payment", "apologise", "stop",
            "withdraw", "complete", "return_result"} <= done  # the workload did exercise each
    assert status_counts(session)["pending"] == 0
    seen = dump(sync_on)
    assert set(seen["dossiers"]) == {d.code for d in dossiers}  # liên thông legs are no extra dossiers
    keys = ("TrangThaiHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "DanhSachHoSoBoSung")
    for d in dossiers:
        session.refresh(d)
        ours = current_record(session, d)
        theirs = seen["dossiers"][d.code]
        assert {k: theirs.get(k) for k in keys} == {k: ours.get(k) for k in keys}, d.code
        assert theirs["TrangThaiHoSo"] == mapping.national_status(d.status)
        assert theirs.get("NgayHenTra") == mapping.portal_date(d.due_at)
        assert len(theirs.get("DanhSachHoSoBoSung", [])) == d.supplement_count
        assert len(seen["progress"][d.code]) == len(d.events)


# ------------------------------------------------------------------ the fake itself


def test_fake_portal_is_strict_about_the_published_shapes(portal):
    from onestop.integrations.dvcqg.client import PortalRejected

    client = client_for(portal)
    good = {"MaHoSo": "000.01.31.H25-260302-0001", "MaTTHC": "1.004884", "ChuHoSo": "A", "TrangThaiHoSo": 2,
            "KenhThucHien": 1, "NgayNopHoSo": "20260302090000"}
    client.push_records([good], updating=False)
    with pytest.raises(PortalRejected, match="NgayTiepNhan"):
        client.push_records([{**good, "NgayTiepNhan": "2026-03-02"}], updating=True)
    with pytest.raises(PortalRejected, match="TrangThaiHoSo"):
        client.push_records([{**good, "TrangThaiHoSo": 11}], updating=True)
    with pytest.raises(PortalRejected, match="Invented"):
        client.push_records([{**good, "Invented": 1}], updating=True)
    with pytest.raises(PortalRejected, match="không thuộc đơn vị"):
        client.push_records([{**good, "MaHoSo": "000.01.31.H38-260302-0001"}], updating=False)
    with pytest.raises(PortalRejected, match="đã tồn tại"):
        client.call("DongBoHoSoMC", isUpdating="False", data=[good])
    with pytest.raises(PortalRejected, match="data"):  # more than 10 progress rows in one request
        client.call("CapNhatTienDoHoSoMC", data=[{"MaHoSo": good["MaHoSo"], "ThoiDiemXuLy": "20260302090000",
                                                   "NoiDungXuLy": "x", "TrangThai": 2}] * 11)
    with pytest.raises(PortalRejected, match="Sai tên đăng nhập"):
        PortalClient(portal.base_url, "u", "wrong", UNIT).login()
    with pytest.raises(PortalRejected, match="không được cấp"):
        PortalClient(portal.base_url, "u", "p", "000.00.00.H38").lookup(good["MaHoSo"])
    assert client.lookup(good["MaHoSo"])["data"] == good


def test_slow_answers_within_the_time_out_succeed_and_the_766_score_is_served(app, session, sync_on):
    d = receive(session, now=hanoi(2026, 3, 2, 9)).dossier
    control(sync_on, "fail", {"mode": "slow", "delay": 0.3, "count": 2})
    assert send_pending(session, client_for(sync_on, timeout=2), hanoi(2026, 3, 2, 10)).sent == 1
    assert d.code in dump(sync_on)["dossiers"]
    control(sync_on, "score", {"kyBaoCao": "2026-03", "CKMB": 16.5, "TDGQ": 18.2, "TTTT": 9.0, "MDHL": 17.1,
                               "MDSH": 12.0, "TONG_SCORE": 72.8})
    score = client_for(sync_on).report_766("2026-03")
    assert {k: score[k] for k in ("CKMB", "TDGQ", "TTTT", "MDHL", "MDSH", "TONG_SCORE")} == {
        "CKMB": 16.5, "TDGQ": 18.2, "TTTT": 9.0, "MDHL": 17.1, "MDSH": 12.0, "TONG_SCORE": 72.8}
    assert client_for(sync_on).report_766("2026-04") == {}
