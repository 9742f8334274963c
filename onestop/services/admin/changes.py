"""Admin use cases: the agency tree, staff accounts and tokens, the procedure
catalogue and calendar exceptions. Each change is audited (issue 8: "admin
changes audited") in the same unit of work. Like every service: (session, …,
actor, now) → mutate → flush; never commit, never read the clock or request.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...domain.calendar import OfficeHours
from ...domain.codes import AGENCY_ID_RE
from ...domain.deadlines import LimitUnit
from ...domain.errors import DomainError
from ...domain.status import RUNNING
from ...domain.status import DossierAction as A
from ...models import (
    AGENCY_KINDS,
    AGENCY_LEVELS,
    Agency,
    AgencyName,
    CalendarExceptionRow,
    Dossier,
    Procedure,
    ProcedureStep,
    User,
)
from ...models.procedure import SUPPLEMENT_REGIMES
from ..dossiers.actions import apply_action
from ..dossiers.clock import compute_dossier_due
from ..dossiers.inputs import ReplanInput
from ..errors import NotFound, ValidationFailed
from . import calendars
from .accounts import audit, create_user, hash_password, issue_token, revoke_token
from .agencies import set_path, subtree_ids_query

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def temporary_password() -> str:
    """A one-time password the admin hands over; the user must change it at first login."""
    return f"{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"


# ------------------------------------------------------------------ agencies

def agency_tree(session: Session) -> list[tuple[Agency, int]]:
    """All agencies in tree order with their depth (one query: the materialised path
    sorts parents before children)."""
    rows = session.scalars(select(Agency).order_by(Agency.path)).all()
    return [(a, a.path.strip("/").count("/")) for a in rows]


def _check_hours(hours: str) -> str:
    hours = hours.strip()
    try:
        OfficeHours.parse(hours)
    except DomainError:
        raise ValidationFailed({"office_hours": "Giờ làm việc dạng 07:30-11:30,13:30-17:00."}) from None
    return hours


def _agency_or_error(session: Session, identifier: str, field: str) -> Agency | None:
    identifier = identifier.strip()
    if not identifier:
        return None
    a: Agency | None = session.scalar(select(Agency).where(Agency.identifier == identifier))
    if a is None:
        raise ValidationFailed({field: f"Không có cơ quan với mã '{identifier}'."})
    return a


def create_agency(
    session: Session, *, identifier: str, name: str, short_name: str, level: str, kind: str,
    parent_identifier: str, office_hours: str, valid_from: date, actor: User, now: datetime, ip: str = "",
) -> Agency:
    errors: dict[str, str] = {}
    identifier = identifier.strip()
    if not AGENCY_ID_RE.match(identifier):
        errors["identifier"] = "Mã định danh dạng V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.31.H25."
    elif session.scalar(select(Agency.id).where(Agency.identifier == identifier)) is not None:
        errors["identifier"] = f"Mã định danh '{identifier}' đã tồn tại."
    if level not in AGENCY_LEVELS:
        errors["level"] = "Cấp không hợp lệ."
    if kind not in AGENCY_KINDS:
        errors["kind"] = "Loại cơ quan không hợp lệ."
    if not name.strip():
        errors["name"] = "Nhập tên cơ quan."
    if errors:
        raise ValidationFailed(errors)
    parent = _agency_or_error(session, parent_identifier, "parent")
    agency = Agency(identifier=identifier, name=name.strip(), short_name=short_name.strip(), level=level,
                    kind=kind, parent_id=parent.id if parent else None, office_hours=_check_hours(office_hours),
                    valid_from=valid_from, path="/")
    session.add(agency)
    session.flush()
    set_path(session, agency)
    session.flush()
    audit(session, actor, "agency.create", f"agency:{identifier}",
          {"name": agency.name, "parent": parent.identifier if parent else None}, now, ip)
    return agency


def update_agency(
    session: Session, agency: Agency, *, name: str, short_name: str, parent_identifier: str,
    office_hours: str, valid_to: date | None, successor_identifier: str, actor: User, now: datetime,
    ip: str = "",
) -> Agency:
    """Edit an agency. A rename keeps the former name in ``AgencyName`` so old
    forms and reports keep their wording; a merger sets ``valid_to`` and the
    successor that takes over the work (docs/domain.md §1: renames and mergers kept)."""
    changes: dict[str, object] = {}
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed({"name": "Nhập tên cơ quan."})
    today = now.astimezone(ZoneInfo(agency.timezone or DEFAULT_TZ)).date()
    if name != agency.name:
        last = session.scalar(select(func.max(AgencyName.valid_to)).where(AgencyName.agency_id == agency.id))
        start = max(agency.valid_from, last + timedelta(days=1)) if last else agency.valid_from
        start = min(start, today)
        session.add(AgencyName(agency_id=agency.id, name=agency.name, valid_from=start,
                               valid_to=max(start, today), changed_at=now))
        changes["name"] = [agency.name, name]
        agency.name = name
    if short_name.strip() != agency.short_name:
        changes["short_name"] = [agency.short_name, short_name.strip()]
        agency.short_name = short_name.strip()
    hours = _check_hours(office_hours)
    if hours != agency.office_hours:
        changes["office_hours"] = [agency.office_hours, hours]
        agency.office_hours = hours
        calendars.bump_generation(session, now)  # every process rebuilds this agency's calendar
    parent = _agency_or_error(session, parent_identifier, "parent")
    new_parent_id = parent.id if parent else None
    if new_parent_id != agency.parent_id:
        if parent is not None and parent.path.startswith(agency.path):
            raise ValidationFailed({"parent": "Không thể đặt cơ quan cấp dưới (hoặc chính nó) làm cấp trên."})
        old_path = agency.path
        agency.parent_id = new_parent_id
        set_path(session, agency)
        new_path = agency.path
        session.flush()
        # The whole subtree moves with one UPDATE (set-based, docs/architecture.md §2).
        session.execute(
            update(Agency).where(Agency.path.like(old_path + "%"), Agency.id != agency.id)
            .values(path=new_path + func.substr(Agency.path, len(old_path) + 1))
            .execution_options(synchronize_session=False)
        )
        session.expire_all()
        changes["path"] = [old_path, new_path]
        calendars.bump_generation(session, now)  # the subtree now inherits other exceptions
    successor = _agency_or_error(session, successor_identifier, "successor")
    if successor is not None and successor.id == agency.id:
        raise ValidationFailed({"successor": "Cơ quan tiếp nhận nhiệm vụ phải là cơ quan khác."})
    if successor is not None and valid_to is None:
        raise ValidationFailed({"valid_to": "Sáp nhập: nhập ngày cơ quan thôi hoạt động."})
    if valid_to is not None and valid_to < agency.valid_from:
        raise ValidationFailed({"valid_to": "Ngày thôi hoạt động phải sau ngày bắt đầu hoạt động."})
    if valid_to != agency.valid_to:
        changes["valid_to"] = [str(agency.valid_to) if agency.valid_to else None,
                               str(valid_to) if valid_to else None]
        agency.valid_to = valid_to
    new_succ = successor.id if successor else None
    if new_succ != agency.successor_id:
        changes["successor"] = successor.identifier if successor else None
        agency.successor_id = new_succ
    session.flush()
    if changes:
        audit(session, actor, "agency.update", f"agency:{agency.identifier}", changes, now, ip)
    return agency


# ------------------------------------------------------------------ users

def create_staff(
    session: Session, *, username: str, full_name: str, role: str, agency_identifier: str, email: str,
    actor: User, now: datetime, ip: str = "",
) -> tuple[User, str]:
    """A new account with a temporary password, shown once to the admin."""
    password = temporary_password()
    user = create_user(session, username=username, full_name=full_name, role=role,
                       agency_code=agency_identifier, password=password, email=email, now=now, actor=actor)
    user.must_change_password = True
    session.flush()
    return user, password


def set_active(session: Session, user: User, active: bool, *, actor: User, now: datetime, ip: str = "") -> None:
    if user.id == actor.id and not active:
        raise ValidationFailed({"user": "Không thể tự khóa tài khoản của chính mình."})
    user.active = active
    session.flush()
    audit(session, actor, "user.activate" if active else "user.deactivate", f"user:{user.username}", {}, now, ip)


def reset_password(session: Session, user: User, *, actor: User, now: datetime, ip: str = "") -> str:
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit(session, actor, "user.reset_password", f"user:{user.username}", {}, now, ip)
    return password


def issue_api_token(session: Session, user: User, *, name: str, actor: User, now: datetime, ip: str = "") -> str:
    """A bearer token for ``user`` (shown once; only its SHA-256 is stored)."""
    if not user.active:
        raise ValidationFailed({"user": "Tài khoản đang bị khóa; không cấp token."})
    name = name.strip()[:80]
    raw = issue_token(session, user, now=now, name=name)
    audit(session, actor, "token.issue", f"user:{user.username}", {"name": name, "prefix": raw[:10]}, now, ip)
    return raw


def revoke_api_token(session: Session, token_id: int, *, actor: User, now: datetime, ip: str = "") -> None:
    revoke_token(session, token_id, now=now, actor=actor)
    session.flush()


# ------------------------------------------------------------------ procedures

@dataclass
class StepInput:
    agency_kind: str
    share_percent: Decimal
    name: str = ""


def _kind_ok(kind: str) -> bool:
    if kind.startswith("department:"):
        return bool(kind.split(":", 1)[1].strip())
    return kind in AGENCY_KINDS


def update_procedure(
    session: Session, procedure: Procedure, *, limit_value: Decimal, limit_unit: str, cutoff: time | None,
    supplement_regime: str, documents: list[str], steps: list[StepInput], actor: User, now: datetime,
    ip: str = "",
) -> Procedure:
    """Edit the time limit and the liên thông chain. The shares are the internal
    process approved by the province (docs/domain.md §2) and must sum to 100%.
    Dossiers already received keep their snapshot (limit at receipt)."""
    errors: dict[str, str] = {}
    if limit_value < 0 or limit_value > 1000:
        errors["limit_value"] = "Thời hạn từ 0 đến 1000."
    if limit_unit not in {u.value for u in LimitUnit}:
        errors["limit_unit"] = "Đơn vị thời hạn không hợp lệ."
    if supplement_regime not in SUPPLEMENT_REGIMES:
        errors["supplement_regime"] = "Chế độ bổ sung: tạm dừng hoặc tính lại."
    for i, s in enumerate(steps, start=1):
        if not _kind_ok(s.agency_kind):
            errors[f"steps-{i}"] = f"Bước {i}: loại cơ quan không hợp lệ."
        elif not Decimal(0) < s.share_percent <= Decimal(100):
            errors[f"steps-{i}"] = f"Bước {i}: tỷ lệ thời gian từ 0 đến 100%."
    if steps and sum((s.share_percent for s in steps), Decimal(0)) != Decimal(100):
        errors["steps"] = "Tổng tỷ lệ thời gian các bước liên thông phải bằng 100%."
    if errors:
        raise ValidationFailed(errors)
    before = {"limit": str(procedure.limit_value), "unit": procedure.limit_unit,
              "cutoff": procedure.cutoff.strftime("%H:%M") if procedure.cutoff else None,
              "regime": procedure.supplement_regime, "documents": list(procedure.documents or []),
              "steps": [[s.agency_kind, str(s.share_percent)] for s in procedure.steps]}
    procedure.limit_value = limit_value
    procedure.limit_unit = limit_unit
    procedure.cutoff = cutoff
    procedure.supplement_regime = supplement_regime
    procedure.documents = [d.strip() for d in documents if d.strip()]
    new_steps = [[s.agency_kind, str(s.share_percent)] for s in steps]
    if new_steps != before["steps"]:
        procedure.steps.clear()
        session.flush()  # old (procedure_id, seq) rows go before the new ones arrive
        procedure.steps = [ProcedureStep(seq=i, agency_kind=s.agency_kind, share_percent=s.share_percent,
                                         name=s.name.strip()[:200]) for i, s in enumerate(steps, start=1)]
    session.flush()
    after = {"limit": str(procedure.limit_value), "unit": procedure.limit_unit,
             "cutoff": cutoff.strftime("%H:%M") if cutoff else None, "regime": supplement_regime,
             "documents": list(procedure.documents), "steps": new_steps}
    diff: dict[str, object] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if diff:
        audit(session, actor, "procedure.update", f"procedure:{procedure.code}", diff, now, ip)
    return procedure


# ------------------------------------------------------------------ calendar

def add_calendar_exception(
    session: Session, *, on: date, working: bool, note: str, agency: Agency | None, actor: User,
    now: datetime, ip: str = "",
) -> tuple[CalendarExceptionRow, int]:
    """Add a closure or an extra working day, then re-plan the open dossiers it moves.
    Returns the row and the number of dossiers re-planned."""
    row = calendars.add_exception(session, on=on, working=working, note=note, agency=agency,
                                  actor_id=actor.id, now=now)
    audit(session, actor, "calendar.add", f"calendar:{on.isoformat()}",
          {"working": working, "note": row.note, "agency": agency.identifier if agency else None}, now, ip)
    moved = replan_for_day(session, on, agency, now=now,
                           reason=f"Lịch ngày {on:%d/%m/%Y} thay đổi: {row.note} ({actor.username})")
    return row, moved


def delete_calendar_exception(session: Session, row_id: int, *, actor: User, now: datetime, ip: str = "") -> int:
    row = session.get(CalendarExceptionRow, row_id)
    if row is None:
        raise NotFound("Không tìm thấy ngày ngoại lệ.")
    agency = session.get(Agency, row.agency_id) if row.agency_id else None
    on, note, working = row.on_date, row.note, row.working
    calendars.delete_exception(session, row, actor_id=actor.id, now=now)
    audit(session, actor, "calendar.delete", f"calendar:{on.isoformat()}",
          {"working": working, "note": note, "agency": agency.identifier if agency else None}, now, ip)
    return replan_for_day(session, on, agency, now=now,
                          reason=f"Bỏ ngoại lệ lịch ngày {on:%d/%m/%Y} ({actor.username})")


def confirm_tet_year(session: Session, year: int, *, actor: User, now: datetime, ip: str = "") -> None:
    """An admin confirms a future year's Tết days (estimated by the ``holidays`` package) against
    the Government's announcement; differences are entered as exceptions (docs/guide-admin.md)."""
    row = calendars.confirm_tet(session, year, actor_id=actor.id, now=now)
    audit(session, actor, "calendar.confirm_tet", f"calendar:tet:{year}", {"days": row.package_days}, now, ip)


def replan_for_day(session: Session, day: date, agency: Agency | None, *, now: datetime, reason: str) -> int:
    """Re-plan the statutory due time of open, running dossiers whose clock range
    covers ``day`` (docs/architecture.md §2: "a holiday edit can re-plan open dossiers' due
    times, always as recorded events"). Candidates come from one set-based query
    (the calendar only matters between clock start and due time, and only for
    desks inside ``agency``'s subtree); each dossier whose due time really moves
    gets its ``replan`` event through the one writer of status."""
    tz = ZoneInfo(agency.timezone if agency is not None and agency.timezone else DEFAULT_TZ)
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    q = select(Dossier).where(
        Dossier.status.in_([s.value for s in RUNNING]),
        Dossier.finished_at.is_(None),
        Dossier.clock_start_at.is_not(None),
        Dossier.clock_start_at < day_end,
        Dossier.due_at >= day_start,
    )
    if agency is not None:
        q = q.where(Dossier.receiving_agency_id.in_(subtree_ids_query(agency)))
    moved = 0
    for d in session.scalars(q.order_by(Dossier.id)).all():
        new_due = compute_dossier_due(session, d).due_at
        if new_due == d.due_at:
            continue
        if d.promised_due_at is not None and new_due >= d.promised_due_at:
            # The apology's promised date must stay after the statutory one
            # (promise_after_due); such a dossier needs a person, not a silent move.
            continue
        apply_action(session, d, A.REPLAN, ReplanInput(reason=reason), actor=None, now=now)
        moved += 1
    return moved


def parse_documents(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\r\n]+", text or "") if line.strip()]
