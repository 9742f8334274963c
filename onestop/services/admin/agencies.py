"""The agency tree: subtrees by materialised path, finding the agency of a kind that serves a given
desk (for transfers and liên thông legs), and the admin's edits — create, rename, move, merge —
each audited in the same unit of work (docs/domain.md §1: agencies are data, renames and mergers
kept)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...domain.calendar import OfficeHours
from ...domain.codes import AGENCY_ID_RE
from ...domain.errors import DomainError
from ...models import AGENCY_KINDS, AGENCY_LEVELS, Agency, AgencyName, User
from ..errors import N_, NotFound, ValidationFailed
from . import calendars
from .accounts import audit

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def in_subtree(ancestor: Agency, agency: Agency | None) -> bool:
    return agency is not None and agency.path.startswith(ancestor.path)


def subtree_ids_query(ancestor: Agency):  # type: ignore[no-untyped-def]
    """A scalar subquery of the ids in ``ancestor``'s subtree (one index range scan)."""
    return select(Agency.id).where(Agency.path.like(ancestor.path + "%")).scalar_subquery()


def set_path(session: Session, agency: Agency) -> None:
    """Compute ``agency.path`` from its parent (agency must have an id)."""
    if agency.parent_id is None:
        agency.path = f"/{agency.id}/"
    else:
        parent = session.get(Agency, agency.parent_id)
        if parent is None:
            raise ValidationFailed({"parent": N_("Cơ quan cấp trên không tồn tại.")})
        if parent.path.startswith(f"/{agency.id}/") or f"/{agency.id}/" in parent.path:
            raise ValidationFailed({"parent": N_("Không thể đặt cơ quan cấp dưới làm cấp trên.")})
        agency.path = f"{parent.path}{agency.id}/"


def by_identifier(session: Session, identifier: str) -> Agency:
    agency: Agency | None = session.scalar(select(Agency).where(Agency.identifier == identifier.strip()))
    if agency is None:
        raise NotFound(f"Không có cơ quan với mã '{identifier}'.")
    return agency


def resolve_kind(session: Session, kind: str, near: Agency) -> Agency:
    """The agency of ``kind`` closest to ``near``: search ``near``'s own subtree,
    then each ancestor's subtree, nearest first. ``kind`` is an agency kind, or
    ``department:<short_name>`` for a named department."""
    short_name = None
    if kind.startswith("department:"):
        kind, short_name = "department", kind.split(":", 1)[1]
    ancestors = [int(p) for p in near.path.strip("/").split("/") if p]
    for anc_id in reversed(ancestors):
        anc = session.get(Agency, anc_id)
        if anc is None:
            continue
        q = select(Agency).where(Agency.path.like(anc.path + "%"), Agency.kind == kind,
                                 Agency.valid_to.is_(None))
        if short_name is not None:
            q = q.where(Agency.short_name == short_name)
        found = session.scalars(q).all()
        if found:
            return min(found, key=lambda a: (a.path.count("/"), a.id))
    raise NotFound(f"Không tìm thấy cơ quan loại '{kind}' phục vụ {near.name}.")


# ------------------------------------------------------------------ the admin's edits

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
        raise ValidationFailed({"office_hours": N_("Giờ làm việc dạng 07:30-11:30,13:30-17:00.")}) from None
    return hours


def _agency_or_error(session: Session, identifier: str, field: str) -> Agency | None:
    identifier = identifier.strip()
    if not identifier:
        return None
    a: Agency | None = session.scalar(select(Agency).where(Agency.identifier == identifier))
    if a is None:
        raise ValidationFailed({field: N_("Không có cơ quan với mã '%(code)s'.", code=identifier)})
    return a


def create_agency(
    session: Session, *, identifier: str, name: str, short_name: str, level: str, kind: str,
    parent_identifier: str, office_hours: str, valid_from: date, actor: User, now: datetime, ip: str = "",
) -> Agency:
    errors: dict[str, str] = {}
    identifier = identifier.strip()
    if not AGENCY_ID_RE.match(identifier):
        errors["identifier"] = N_("Mã định danh dạng V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.31.H25.")
    elif session.scalar(select(Agency.id).where(Agency.identifier == identifier)) is not None:
        errors["identifier"] = N_("Mã định danh '%(code)s' đã tồn tại.", code=identifier)
    if level not in AGENCY_LEVELS:
        errors["level"] = N_("Cấp không hợp lệ.")
    if kind not in AGENCY_KINDS:
        errors["kind"] = N_("Loại cơ quan không hợp lệ.")
    if not name.strip():
        errors["name"] = N_("Nhập tên cơ quan.")
    if errors:
        raise ValidationFailed(errors)
    parent = _agency_or_error(session, parent_identifier, "parent")
    agency = Agency(identifier=identifier, name=name.strip(), short_name=short_name.strip(), level=level,
                    kind=kind, parent_id=parent.id if parent else None,
                    office_hours=_check_hours(office_hours), valid_from=valid_from, path="/")
    session.add(agency)
    session.flush()
    set_path(session, agency)
    session.flush()
    audit(session, actor, "agency.create", f"agency:{identifier}",
          {"name": agency.name, "parent": parent.identifier if parent else None}, now, ip)
    return agency


def _rename(session: Session, agency: Agency, name: str, *, now: datetime,
            changes: dict[str, object]) -> None:
    """The former name is kept for the days it was in use, so old forms and reports keep their wording."""
    today = now.astimezone(ZoneInfo(agency.timezone or DEFAULT_TZ)).date()
    last = session.scalar(select(func.max(AgencyName.valid_to)).where(AgencyName.agency_id == agency.id))
    start = max(agency.valid_from, last + timedelta(days=1)) if last else agency.valid_from
    start = min(start, today)
    session.add(AgencyName(agency_id=agency.id, name=agency.name, valid_from=start,
                           valid_to=max(start, today), changed_at=now))
    changes["name"] = [agency.name, name]
    agency.name = name


def _move(session: Session, agency: Agency, parent: Agency | None, *, now: datetime,
          changes: dict[str, object]) -> None:
    """Under another parent, with its whole subtree."""
    if parent is not None and parent.path.startswith(agency.path):
        raise ValidationFailed({"parent": N_("Không thể đặt cơ quan cấp dưới (hoặc chính nó) làm cấp trên.")})
    old_path = agency.path
    agency.parent_id = parent.id if parent else None
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
        raise ValidationFailed({"name": N_("Nhập tên cơ quan.")})
    if name != agency.name:
        _rename(session, agency, name, now=now, changes=changes)
    if short_name.strip() != agency.short_name:
        changes["short_name"] = [agency.short_name, short_name.strip()]
        agency.short_name = short_name.strip()
    hours = _check_hours(office_hours)
    if hours != agency.office_hours:
        changes["office_hours"] = [agency.office_hours, hours]
        agency.office_hours = hours
        calendars.bump_generation(session, now)  # every process rebuilds this agency's calendar
    parent = _agency_or_error(session, parent_identifier, "parent")
    if (parent.id if parent else None) != agency.parent_id:
        _move(session, agency, parent, now=now, changes=changes)
    successor = _agency_or_error(session, successor_identifier, "successor")
    if successor is not None and successor.id == agency.id:
        raise ValidationFailed({"successor": N_("Cơ quan tiếp nhận nhiệm vụ phải là cơ quan khác.")})
    if successor is not None and valid_to is None:
        raise ValidationFailed({"valid_to": N_("Sáp nhập: nhập ngày cơ quan thôi hoạt động.")})
    if valid_to is not None and valid_to < agency.valid_from:
        raise ValidationFailed({"valid_to": N_("Ngày thôi hoạt động phải sau ngày bắt đầu hoạt động.")})
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
