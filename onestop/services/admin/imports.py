"""Importing the agency tree and the procedure catalogue (CSV or XLSX; columns in docs/data.md)."""
from __future__ import annotations

import csv
import io
import re
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.codes import AGENCY_ID_RE
from ...domain.deadlines import LimitUnit
from ...models import AGENCY_KINDS, AGENCY_LEVELS, Agency, Procedure, ProcedureStep
from ...models.procedure import ONLINE_LEVELS, PROCEDURE_LEVELS, SUPPLEMENT_REGIMES
from ..dossiers.applicant import fold
from ..errors import ValidationFailed
from . import calendars
from .agencies import set_path

AGENCY_COLUMNS = ("identifier", "name", "short_name", "level", "kind", "parent_identifier", "office_hours")
PROCEDURE_COLUMNS = ("code", "name", "field", "level", "limit", "unit")
PROC_CODE_RE = re.compile(r"^\d\.\d{6}$")


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or the first sheet of an XLSX."""
    p = Path(path)
    if not p.exists():
        raise ValidationFailed({"file": f"Không tìm thấy tệp {p}."})
    if p.suffix.lower() == ".xlsx":
        wb = load_workbook(p, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it)]
        return [
            {h: ("" if v is None else str(v)).strip() for h, v in zip(header, row, strict=False)}
            for row in it if any(v not in (None, "") for v in row)
        ]
    text = p.read_text(encoding="utf-8-sig")
    return [{k.strip(): (v or "").strip() for k, v in r.items() if k}
            for r in csv.DictReader(io.StringIO(text))]


def _need(rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    if not rows:
        raise ValidationFailed({"file": "Tệp không có dòng dữ liệu."})
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise ValidationFailed({"file": f"Thiếu cột: {', '.join(missing)}."})


def import_agencies(session: Session, rows: list[dict[str, str]]) -> tuple[int, int]:
    """Create or update agencies (by identifier). Parents may appear in any order.
    Returns (created, updated). All-or-nothing: any bad row raises before writing."""
    _need(rows, AGENCY_COLUMNS)
    existing = {a.identifier: a for a in session.scalars(select(Agency))}
    known = {r["identifier"] for r in rows} | set(existing)
    errors = {f"dòng {n}": e for n, r in enumerate(rows, start=2) if (e := _agency_row_error(r, known))}
    if errors:
        raise ValidationFailed(errors)
    by_id = dict(existing)
    created = sum(_write_agency(session, by_id, r) for r in rows)
    session.flush()
    for r in rows:
        parent = by_id.get(r["parent_identifier"]) if r["parent_identifier"] else None
        by_id[r["identifier"]].parent_id = parent.id if parent else None
    session.flush()
    _set_paths(session, list(by_id.values()))
    # Office hours and places in the tree may have changed: every process rebuilds its calendars.
    calendars.bump_generation(session)
    return created, len(rows) - created


def _agency_row_error(r: dict[str, str], known: set[str]) -> str | None:
    if not AGENCY_ID_RE.match(r["identifier"]):
        return f"Mã định danh '{r['identifier']}' sai dạng V1V2V3.Z1Z2.Y1Y2.MX1X2."
    if r["level"] not in AGENCY_LEVELS:
        return f"Cấp '{r['level']}' không hợp lệ ({', '.join(AGENCY_LEVELS)})."
    if r["kind"] not in AGENCY_KINDS:
        return f"Loại '{r['kind']}' không hợp lệ."
    if r["parent_identifier"] and r["parent_identifier"] not in known:
        return f"Không có cơ quan cấp trên '{r['parent_identifier']}'."
    if not r["name"]:
        return "Thiếu tên cơ quan."
    return None


def _write_agency(session: Session, by_id: dict[str, Agency], r: dict[str, str]) -> bool:
    """Create or update one agency from its row; True when it is new."""
    a = by_id.get(r["identifier"])
    new = a is None
    if a is None:
        a = Agency(identifier=r["identifier"], path="/")
        session.add(a)
        by_id[a.identifier] = a
    a.name = r["name"]
    a.short_name = r.get("short_name", "")
    a.level = r["level"]
    a.kind = r["kind"]
    a.office_hours = r.get("office_hours") or "07:30-11:30,13:30-17:00"
    a.demo_identifier = r.get("demo_identifier", "") in ("1", "true", "True")
    a.note = r.get("note", "")
    return new


def _set_paths(session: Session, agencies: list[Agency]) -> None:
    """Paths top-down (parents before children), whatever the file order."""
    done: set[int] = set()

    def fix(a: Agency, depth: int = 0) -> None:
        if a.id in done:
            return
        if depth > 50:
            raise ValidationFailed({"file": "Cây cơ quan có vòng lặp."})
        parent = session.get(Agency, a.parent_id) if a.parent_id is not None else None
        if parent is not None:
            fix(parent, depth + 1)
        set_path(session, a)
        done.add(a.id)

    for a in agencies:
        fix(a)
    session.flush()


def _time(value: str) -> time | None:
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"giờ '{value}' phải có dạng HH:MM")
    return time(int(m.group(1)), int(m.group(2)))


def import_procedures(session: Session, rows: list[dict[str, str]]) -> tuple[int, int]:
    """Create or update procedures (by code) with their liên thông chain. All-or-nothing: any bad
    row raises before writing. Returns (created, updated)."""
    _need(rows, PROCEDURE_COLUMNS)
    errors: dict[str, str] = {}
    parsed: list[dict[str, Any]] = []
    for n, r in enumerate(rows, start=2):
        try:
            parsed.append(_procedure_row(r))
        except (ValueError, KeyError) as exc:
            errors[f"dòng {n}"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    existing = {p.code: p for p in session.scalars(select(Procedure))}
    created = sum(_write_procedure(session, existing, item) for item in parsed)
    session.flush()
    return created, len(parsed) - created


def _procedure_row(r: dict[str, str]) -> dict[str, Any]:
    """One row checked and turned into the procedure's values; ValueError says what is wrong."""
    units = {u.value for u in LimitUnit}
    if not PROC_CODE_RE.match(r["code"]):
        raise ValueError(f"mã thủ tục '{r['code']}' phải có dạng 1.001193")
    if r["level"] not in PROCEDURE_LEVELS:
        raise ValueError(f"cấp '{r['level']}' phải là xa, tinh hoặc trung_uong")
    if r["unit"] not in units:
        raise ValueError(f"đơn vị thời hạn '{r['unit']}' phải là một trong {', '.join(sorted(units))}")
    try:
        limit = Decimal(r["limit"])
    except InvalidOperation:
        raise ValueError(f"thời hạn '{r['limit']}' không phải là số") from None
    if limit < 0:
        raise ValueError("thời hạn không được âm")
    online = r.get("online") or "none"
    if online not in ONLINE_LEVELS:
        raise ValueError(f"mức trực tuyến '{online}' không hợp lệ")
    regime = r.get("supplement_regime") or "pause"
    if regime not in SUPPLEMENT_REGIMES:
        raise ValueError("supplement_regime phải là pause hoặc restart")
    return {
        "code": r["code"], "name": r["name"], "field": r["field"], "level": r["level"],
        "limit_value": limit, "limit_unit": r["unit"], "cutoff": _time(r.get("cutoff", "")),
        "supplement_regime": regime, "online_level": online, "fee": r.get("fee", ""),
        "documents": [d.strip() for d in r.get("documents", "").split(";") if d.strip()],
        "legal_basis": r.get("source", ""), "limit_note": r.get("limit_note", ""),
        "receiving_kind": r.get("receiving_kind") or (
            "commune_service_centre" if r["level"] == "xa" else "service_centre"),
        "lead_kind": r.get("lead_kind") or "people_committee", "steps": _chain_steps(r.get("chain_steps")),
    }


def _chain_steps(text: str | None) -> list[tuple[int, str, Decimal]]:
    """``kind:share;kind:share`` → numbered steps whose shares make 100 %."""
    steps = []
    for i, part in enumerate((text or "").split(";") if text else [], start=1):
        kind, _, share = part.strip().rpartition(":")
        steps.append((i, kind, Decimal(share)))
    if steps and sum(s[2] for s in steps) != 100:
        raise ValueError("tổng tỷ lệ thời gian các bước liên thông phải bằng 100")
    return steps


def _write_procedure(session: Session, existing: dict[str, Procedure], item: dict[str, Any]) -> bool:
    """Create or update one procedure and its chain; True when it is new."""
    steps = item.pop("steps")
    p = existing.get(item["code"])
    new = p is None
    if p is None:
        p = Procedure(code=item["code"])
        session.add(p)
    for k, v in item.items():
        setattr(p, k, v)
    p.name_search = fold(item["name"])
    if p.id is not None and p.steps:
        p.steps.clear()
        session.flush()  # delete old steps before inserting (procedure_id, seq) again
    p.steps = [ProcedureStep(seq=i, agency_kind=k, share_percent=s) for i, k, s in steps]
    return new
