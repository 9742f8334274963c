"""The demo province: reference data (agencies, procedures), users of every role,
and months of dossier history created through the services (in a scratch database, then
written in bulk: onestop/demo/bulk.py)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Agency, Dossier, User
from ..services.admin import imports
from ..services.admin.accounts import create_user, hash_password
from ..services.dossiers.applicant import fold
from ..services.dossiers.estimates import refresh_estimates
from ..services.reporting.scores import seed_scoring_rules
from .bulk import bulk_history

SEED_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "demo-2026-onestop"

# (username, full name, role, agency identifier) — resolved against agencies.csv.
DEMO_USERS: list[tuple[str, str, str, str]] = []


def _demo_users(session: Session) -> list[tuple[str, str, str, Agency]]:
    """Users for every role at several agencies: the provincial centre, two
    departments, the police, social insurance, and each commune."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.path)))
    out: list[tuple[str, str, str, Agency]] = []
    by_kind: dict[str, list[Agency]] = {}
    for a in agencies:
        by_kind.setdefault(a.kind, []).append(a)
    root = next(a for a in agencies if a.parent_id is None)
    out.append(("admin", "Quản trị hệ thống", "admin", root))
    for centre in by_kind.get("service_centre", [])[:1]:
        out.append(("tinh.motcua", "Nguyễn Thị Lan", "clerk", centre))
    departments = by_kind.get("department", [])
    for i, dep in enumerate(departments):
        tag = (dep.short_name or f"so{i}").lower()
        out.append((f"{tag}.lanhdao", f"Lãnh đạo {dep.short_name or dep.name}", "head", dep))
        out.append((f"{tag}.chuyenvien", f"Chuyên viên {dep.short_name or dep.name}", "officer", dep))
    for kind, tag in (("police", "catinh"), ("social_insurance", "bhxh"), ("land_registry", "vpdk"),
                      ("tax", "thue")):
        for j, a in enumerate(by_kind.get(kind, [])[:2]):
            suffix = "" if j == 0 else str(j + 1)
            out.append((f"{tag}{suffix}.lanhdao", f"Lãnh đạo {a.short_name or a.name}", "head", a))
            out.append((f"{tag}{suffix}.chuyenvien", f"Chuyên viên {a.short_name or a.name}", "officer", a))
    for ubnd in by_kind.get("people_committee", []):
        if ubnd.parent_id is None:
            continue
        # "UBND xã Tân Lạc" -> "tanlac"
        tag = fold(ubnd.name.replace("Ủy ban nhân dân", "").replace("xã", "").replace("phường", ""))
        tag = tag.replace(" ", "")
        desk: Agency | None = next(
            (c for c in by_kind.get("commune_service_centre", []) if c.parent_id == ubnd.id), None)
        police = next((c for c in by_kind.get("commune_police", []) if c.parent_id == ubnd.id), None)
        if desk:
            out.append((f"{tag}.motcua", f"Công chức một cửa {ubnd.short_name or ubnd.name}", "clerk", desk))
        out.append((f"{tag}.lanhdao", f"Chủ tịch {ubnd.short_name or ubnd.name}", "head", ubnd))
        out.append((f"{tag}.chuyenvien", f"Công chức tư pháp – hộ tịch {ubnd.short_name or ubnd.name}",
                    "officer", ubnd))
        if police:
            out.append((f"{tag}.congan", f"Cán bộ {police.short_name or police.name}", "officer", police))
    return out


def seed_reference(session: Session) -> str:
    a_created, _ = imports.import_agencies(session, imports.read_rows(SEED_DIR / "agencies.csv"))
    p_created, _ = imports.import_procedures(session, imports.read_rows(SEED_DIR / "procedures.csv"))
    return f"agencies +{a_created}, procedures +{p_created}"


def seed_users(session: Session, now: datetime) -> int:
    created = 0
    existing = set(session.scalars(select(User.username)))
    shared_hash = hash_password(DEMO_PASSWORD)
    for username, full_name, role, agency in _demo_users(session):
        if username in existing:
            continue
        create_user(session, username=username, full_name=full_name, role=role,
                    agency_code=agency.identifier, password=DEMO_PASSWORD, now=now,
                    password_hash=shared_hash)
        created += 1
    return created


def seed_demo(session: Session, *, now: datetime, lookup_key: bytes, months: int = 12, per_day: int = 12,
              if_empty: bool = False,
              checkpoint: Callable[[str, date | None, int], None] | None = None) -> str:
    """Idempotent: reference rows are upserted, users created once, and history is
    generated only when the database holds no dossiers yet. ``checkpoint(stage, day, dossiers)``
    is called after the reference data and after each day of history, between dossiers: the
    seed-demo command commits there (short transactions, progress lines); services never commit."""
    has_dossiers = session.scalar(select(func.count(Dossier.id))) or 0
    if if_empty and has_dossiers:
        return f"Dữ liệu đã có ({has_dossiers} hồ sơ) — không tạo thêm."
    ref = seed_reference(session)
    users = seed_users(session, now)

    rules = seed_scoring_rules(session, now)
    if checkpoint is not None:
        checkpoint("reference", None, 0)
    history = "history: already present"
    if not has_dossiers:
        def day_done(day: date, n: int) -> None:
            if checkpoint is not None:
                checkpoint("history", day, n)

        n = bulk_history(session, now=now, months=months, per_day=per_day, lookup_key=lookup_key,
                         checkpoint=day_done)
        history = f"history: {n} dossiers"
        if months > 0 and per_day > 0:
            # The estimate beside the legal date (services/dossiers/estimates.py) has its data at once.
            refresh_estimates(session, now)
    return f"Demo: {ref}, users +{users}, scoring rules +{rules}, {history}."


def demo_logins(session: Session) -> list[str]:
    users = session.scalars(select(User).order_by(User.role, User.username)).all()
    return [f"  {u.role:8} {u.username:22} {u.agency.name}" for u in users]
