"""Test data: the shipped reference catalogue plus named users, and helpers that
create dossiers through the services (never raw inserts)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, g
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from onestop.demo.seed import seed_reference
from onestop.domain.codes import lookup_key
from onestop.domain.status import DossierStatus
from onestop.extensions import db, limiter
from onestop.models import Agency, Procedure, User
from onestop.services.admin.accounts import create_user
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.applicant import Applicant
from onestop.services.dossiers.inputs import CompleteInput
from onestop.services.dossiers.reception import ReceptionInput, ReceptionResult, receive_dossier
from tests.times import MONDAY, TUESDAY_10

PASSWORD = "test-pass-123"

# Commune "Tân Lạc": its service centre, UBND and police; the provincial centre,
# a department, the land registry and tax (for liên thông chains).
BASE_USERS = (
    # username, role, agency identifier
    ("t_clerk", "clerk", "000.01.31.H25"),      # TTPVHCC xã Tân Lạc
    ("t_head", "head", "000.00.31.H25"),        # UBND xã Tân Lạc
    ("t_officer", "officer", "000.00.31.H25"),
    ("t_officer2", "officer", "000.00.31.H25"),
    ("t_police", "officer", "000.02.31.H25"),   # Công an xã Tân Lạc
    ("t_bhxh", "officer", "000.00.12.H25"),     # BHXH tỉnh
    ("t_clerk_other", "clerk", "000.01.32.H25"),  # TTPVHCC xã Mường Bi (another commune)
    ("t_head_other", "head", "000.00.32.H25"),
    ("t_officer_other", "officer", "000.00.32.H25"),
    ("t_admin", "admin", "000.00.00.H25"),
    ("t_pclerk", "clerk", "000.00.01.H25"),     # provincial centre
    ("t_dept_head", "head", "000.00.02.H25"),   # Sở Tài chính
    ("t_dept_officer", "officer", "000.00.02.H25"),
)


def seed_base(session: Session, *, now: datetime) -> None:
    from onestop.services.admin.accounts import hash_password

    seed_reference(session)
    shared = hash_password(PASSWORD)
    for username, role, ident in BASE_USERS:
        create_user(session, username=username, full_name=username.replace("_", " ").title(),
                    role=role, agency_code=ident, password=PASSWORD, now=now, password_hash=shared)
    session.flush()


def user(session: Session, username: str) -> User:
    u = session.scalar(select(User).where(User.username == username))
    assert u is not None, username
    return u


def agency(session: Session, identifier: str) -> Agency:
    a = session.scalar(select(Agency).where(Agency.identifier == identifier))
    assert a is not None, identifier
    return a


def procedure(session: Session, code: str) -> Procedure:
    p = session.scalar(select(Procedure).where(Procedure.code == code))
    assert p is not None, code
    return p


def receive(
    session: Session, *, now: datetime, procedure_code: str = "1.004884", clerk: str = "t_clerk",
    outcome: str = "receive", channel: str = "direct", **kw: Any,
) -> ReceptionResult:
    actor = user(session, clerk)
    data = ReceptionInput(
        procedure_code=procedure_code,
        applicant=Applicant(
            name=kw.pop("name", "Nguyễn Văn An"), id_number=kw.pop("id_number", "001090012345"),
                            phone=kw.pop("phone", "0912345678"), email=kw.pop("email", ""),
                            address=kw.pop("address", "Xóm Mới, xã Tân Lạc")),
        channel=channel, outcome=outcome, **kw,
    )
    return receive_dossier(session, data, agency=actor.agency, actor=actor, now=now, lookup_key=key())


def key() -> bytes:
    """The app's look-up key, as the views pass it to the services."""
    return lookup_key(current_app.config)


def returned(session: Session, **kw: Any) -> ReceptionResult:
    """A dossier received on MONDAY, finished and returned to the citizen on TUESDAY_10 (the
    moment the citizen-surface tests look it up), committed."""
    res = receive(session, now=MONDAY, **kw)
    d = res.dossier
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=MONDAY)
    apply_action(session, d, "complete", CompleteInput(result="Đã cấp"), actor=user(session, "t_head"),
                 now=TUESDAY_10)
    apply_action(session, d, "return_result", actor=user(session, "t_clerk"), now=TUESDAY_10)
    session.commit()
    assert d.status == DossierStatus.RETURNED
    return res


def client_as(app: Flask, username: str | None) -> FlaskClient:
    """A fresh test client signed in as ``username`` by its session cookie (no POST /login, so
    nothing is throttled or audited), or anonymous for None."""
    limiter.reset()
    g.pop("_login_user", None)  # the test's app context is shared: forget the cached user
    c = app.test_client()
    if username:
        uid = user(db.session, username).id
        with c.session_transaction() as s:
            s["_user_id"] = str(uid)
            s["_fresh"] = True
    return c
