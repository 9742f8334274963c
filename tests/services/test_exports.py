from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from onestop.domain.timing import TimeLeft
from onestop.services.reporting import exports, reports
from onestop.services.reporting.exports import safe
from onestop.services.reporting.reports import OpenRow
from tests.factories import agency
from tests.services.test_reports_data import LATER, MARCH, build_march
from tests.times import hanoi

COMMUNE = "000.00.31.H25"


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("Nguyễn Văn An", "Nguyễn Văn An"), ("", ""), (5, 5),
    (None, None),
])
def test_safe_neutralises_formula_prefixes_only(value, expected):
    assert safe(value) == expected


def test_form06_workbook_is_laid_out_like_the_official_form(session):
    build_march(session)
    report = reports.form06(session, agency(session, COMMUNE), *MARCH, now=LATER)
    data = exports.form06_workbook(report, generated_at=datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A2"].value == "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    assert ws["A3"].value == "Cơ quan: Ủy ban nhân dân xã Tân Lạc (000.00.31.H25)"
    assert ws["A4"].value == "Kỳ báo cáo: từ ngày 01/03/2026 đến ngày 31/03/2026"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A6:A7", "B6:B7", "C6:F6", "G6:J6", "K6:M6", "A1:M1", "A2:M2"} <= merged
    assert [ws.cell(6, c).value for c in (1, 2, 3, 7, 11)] == [
        "STT", "Lĩnh vực giải quyết", "Tổng số hồ sơ tiếp nhận", "Số hồ sơ đã giải quyết",
        "Số hồ sơ đang giải quyết"]
    assert [ws.cell(7, c).value for c in range(3, 14)] == [
        "Tổng số", "Trong đó: Trực tuyến", "Trực tiếp, bưu chính", "Từ kỳ trước chuyển sang",
        "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"]
    assert ws["A8"].value == "(1)" and ws["M8"].value == "(13)"
    assert [ws.cell(9, c).value for c in range(1, 14)] == [1, "Cư trú", 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]
    assert [ws.cell(10, c).value for c in range(1, 14)] == [2, "Hộ tịch", 8, 1, 6, 1, 5, 2, 1, 2, 3, 2, 1]
    assert [ws.cell(11, c).value for c in range(2, 14)] == ["Tổng cộng", 9, 1, 7, 1, 5, 2, 1, 2, 4, 2, 2]
    # Rates are numbers with a percentage format, not text.
    assert ws["A13"].value.startswith("Tỷ lệ trễ hạn") and ws["M13"].value == pytest.approx(0.4444)
    assert ws["M13"].number_format == "0.00%" and ws["M13"].data_type == "n"
    assert ws["A14"].value.startswith("Tỷ lệ đúng hạn") and ws["M14"].value == pytest.approx(0.5556)
    assert ws["A15"].value.startswith("Số liệu tính đến 01/04/2026 00:00")
    assert ws["A16"].value == "Lập lúc 09:00 01/04/2026"


def _row(name: str, note_like_agency: str = "UBND xã Tân Lạc") -> OpenRow:
    return OpenRow(id=1, code="000.01.31.H25-260302-0001", applicant_name=name, procedure_code="1.004884",
                   procedure_name="Thủ tục đăng ký lại khai sinh", field="Hộ tịch", channel="direct",
                   agency_name=note_like_agency, officer_name="@SUM(1)", due_at=hanoi(2026, 3, 9, 17),
                   promised_due_at=None, status="processing",
                   left=TimeLeft(minutes=-960, days=2, hours=0, mins=0), late_minutes=960)


def _late(left: TimeLeft | None) -> str:
    """The caller's words for the late column (the web passes onestop/web/sentences.time_left_text)."""
    return f"late {left.days} days" if left is not None else ""


def test_overdue_xlsx_neutralises_every_text_cell():
    rows = [_row("=1+1"), _row("+cmd"), _row("-2", "=HYPERLINK(\"http://x\")"), _row("Trần Thị Bình")]
    book = exports.overdue_workbook(rows, title="Danh sách quá hạn", late_text=_late)
    ws = load_workbook(io.BytesIO(book)).active
    assert [ws.cell(2, c).value for c in range(1, 4)] == ["STT", "Mã hồ sơ", "Người nộp"]
    assert [ws.cell(r, 3).value for r in range(3, 7)] == ["'=1+1", "'+cmd", "'-2", "Trần Thị Bình"]
    assert ws.cell(5, 7).value == "'=HYPERLINK(\"http://x\")"
    assert ws.cell(3, 8).value == "'@SUM(1)"
    assert ws.cell(3, 9).value == "17:00 09/03/2026"
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(exports.DANGEROUS_PREFIXES)


def test_overdue_csv_has_a_bom_and_neutralised_cells():
    data = exports.overdue_csv([_row("=1+1"), _row("Nguyễn Văn An")], late_text=_late)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Mã hồ sơ", "Người nộp"]
    assert rows[1][2] == "'=1+1" and rows[1][7] == "'@SUM(1)"
    assert rows[2][2] == "Nguyễn Văn An" and rows[2][5] == "Trực tiếp"


def test_form06_workbook_neutralises_a_field_name(session):
    build_march(session)
    report = reports.form06(session, agency(session, COMMUNE), *MARCH, now=LATER)
    report.rows[0].field = "=cmd|' /C calc'!A0"
    ws = load_workbook(io.BytesIO(exports.form06_workbook(report))).active
    assert ws["B9"].value == "'=cmd|' /C calc'!A0"
    assert ws["B9"].data_type != "f"


def test_snapshot_json_round_trips_to_rows(session):
    build_march(session)
    report = reports.form06(session, agency(session, COMMUNE), *MARCH, now=LATER)
    rows, totals = exports.form06_from_json(report.as_json())
    assert [r.counts() for r in rows] == [r.counts() for r in report.rows]
    assert totals.counts() == report.totals.counts()
