"""Form 06's Excel file ends like the official form (Circular 01/2020/TT-VPCP, form 06/VPCP/KSTT):
the recipient unit (Nơi nhận), the preparer and the head's signature block with its date line;
rates stay numbers (docs/guide-head.md)."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from onestop.services.reporting import exports, reports
from tests.factories import agency
from tests.services.test_reports_data import LATER, MARCH, build_march

COMMUNE = "000.00.31.H25"


def _cells(ws) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {str(c.value): (c.row, c.column) for row in ws.iter_rows() for c in row if c.value is not None}


def test_the_workbook_has_the_recipient_and_the_signature_block(session):
    build_march(session)
    commune = agency(session, COMMUNE)
    report = reports.form06(session, commune, *MARCH, now=LATER)
    ws = load_workbook(io.BytesIO(exports.form06_workbook(report))).active
    cells = _cells(ws)
    assert "Nơi nhận:" in cells
    recipient = commune.parent.name if commune.parent is not None else "Văn phòng Chính phủ"
    assert f"- {recipient};" in cells and "- Lưu: VT." in cells
    date_line = "……, ngày …… tháng …… năm ……"
    assert date_line in cells
    assert "NGƯỜI LẬP BIỂU" in cells and "THỦ TRƯỞNG ĐƠN VỊ" in cells
    assert "(Ký, ghi rõ họ tên)" in cells and "(Ký, ghi rõ họ tên, đóng dấu)" in cells
    # The head signs on the right, under the date line, below the figures; the preparer on the left.
    head_row, head_col = cells["THỦ TRƯỞNG ĐƠN VỊ"]
    prep_row, prep_col = cells["NGƯỜI LẬP BIỂU"]
    assert cells[date_line][0] == head_row - 1 and head_row == prep_row and prep_col < head_col
    tongcong_row = cells["Tổng cộng"][0]
    assert cells["Nơi nhận:"][0] > tongcong_row
    # The rates under the table are numbers with a percentage format.
    rate_cells = [ws.cell(r, 13) for r in range(tongcong_row + 1, tongcong_row + 4)
                  if ws.cell(r, 13).number_format == "0.00%"]
    assert len(rate_cells) == 2 and all(c.data_type == "n" for c in rate_cells)
