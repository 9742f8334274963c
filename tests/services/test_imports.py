"""Importing the agency tree and the procedure catalogue (docs/data.md): all-or-nothing, every bad
row named, a re-import updates in place, parents and chains whatever the file order."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from onestop.models import Agency, Procedure
from onestop.services.admin.imports import import_agencies, import_procedures
from onestop.services.errors import ValidationFailed

ROOT = "000.00.00.H99"
DESK = "000.00.01.H99"


def agency_row(identifier: str, parent: str = "", **kw: str) -> dict[str, str]:
    row = {"identifier": identifier, "name": f"Cơ quan {identifier}", "short_name": "", "level": "province",
           "kind": "people_committee", "parent_identifier": parent, "office_hours": ""}
    row.update(kw)
    return row


def procedure_row(code: str, **kw: str) -> dict[str, str]:
    row = {"code": code, "name": f"Thủ tục {code}", "field": "Hộ tịch", "level": "xa", "limit": "3",
           "unit": "working_days"}
    row.update(kw)
    return row


def test_agencies_child_before_parent_get_their_tree_and_a_reimport_updates(session) -> None:
    rows = [agency_row(DESK, ROOT, level="centre", kind="service_centre"), agency_row(ROOT)]
    assert import_agencies(session, rows) == (2, 0)
    desk = session.scalar(select(Agency).where(Agency.identifier == DESK))
    root = session.scalar(select(Agency).where(Agency.identifier == ROOT))
    assert desk.parent_id == root.id and desk.path.startswith(root.path) and desk.path != root.path
    assert desk.office_hours == "07:30-11:30,13:30-17:00"
    assert import_agencies(session, [agency_row(ROOT, name="Tên mới")]) == (0, 1)
    assert session.scalar(select(Agency.name).where(Agency.identifier == ROOT)) == "Tên mới"


def test_bad_agency_rows_are_all_named_and_nothing_is_written(session) -> None:
    before = session.scalar(select(Agency.id).order_by(Agency.id.desc()).limit(1))
    rows = [agency_row(ROOT), agency_row("bad"), agency_row("000.00.02.H99", level="galaxy"),
            agency_row("000.00.03.H99", parent="000.00.77.H99"), agency_row("000.00.04.H99", name="")]
    with pytest.raises(ValidationFailed) as exc:
        import_agencies(session, rows)
    assert set(exc.value.errors) == {"dòng 3", "dòng 4", "dòng 5", "dòng 6"}
    assert "V1V2V3" in exc.value.errors["dòng 3"] and "cấp trên" in exc.value.errors["dòng 5"]
    assert session.scalar(select(Agency.id).order_by(Agency.id.desc()).limit(1)) == before


def test_procedures_with_a_chain_and_a_reimport_replacing_it(session) -> None:
    rows = [procedure_row("9.000001", chain_steps="commune_service_centre:40;people_committee:60")]
    assert import_procedures(session, rows) == (1, 0)
    p = session.scalar(select(Procedure).where(Procedure.code == "9.000001"))
    assert [(s.seq, s.agency_kind, s.share_percent) for s in p.steps] == [
        (1, "commune_service_centre", Decimal(40)), (2, "people_committee", Decimal(60))]
    assert p.receiving_kind == "commune_service_centre" and p.limit_value == Decimal(3)
    assert import_procedures(session, [procedure_row("9.000001", limit="5")]) == (0, 1)
    session.refresh(p)
    assert p.limit_value == Decimal(5) and p.steps == []


def test_bad_procedure_rows_are_all_named_and_nothing_is_written(session) -> None:
    rows = [procedure_row("9.000002"), procedure_row("9-2"), procedure_row("9.000003", limit="ba"),
            procedure_row("9.000004", unit="weeks"),
            procedure_row("9.000005", chain_steps="commune_service_centre:40;people_committee:50")]
    with pytest.raises(ValidationFailed) as exc:
        import_procedures(session, rows)
    assert set(exc.value.errors) == {"dòng 3", "dòng 4", "dòng 5", "dòng 6"}
    assert "100" in exc.value.errors["dòng 6"]
    assert session.scalar(select(Procedure).where(Procedure.code == "9.000002")) is None
