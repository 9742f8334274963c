"""The agency tree: subtrees by materialised path, and finding the agency of a
kind that serves a given desk (for transfers and liên thông legs)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Agency
from ..errors import NotFound, ValidationFailed


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
            raise ValidationFailed({"parent": "Cơ quan cấp trên không tồn tại."})
        if parent.path.startswith(f"/{agency.id}/") or f"/{agency.id}/" in parent.path:
            raise ValidationFailed({"parent": "Không thể đặt cơ quan cấp dưới làm cấp trên."})
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
