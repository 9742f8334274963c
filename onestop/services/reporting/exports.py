"""Excel and CSV exports: Form 06/VPCP/KSTT laid out like the official form (Circular 01/2020/TT-VPCP)
and the overdue list.

Formula injection (CSV/Excel "DDE"): any text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is written with a leading single quote, so a spreadsheet shows it as text instead of
evaluating it (OWASP "CSV Injection"). Applicant names and notes are typed by citizens and clerks.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...domain.metrics import FORM06_COLUMNS, Form06Row
from ...domain.timing import TimeLeft
from ..numbers import as_of_label
from .reports import Form06, OpenRow

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CHANNEL_LABELS = {"direct": "Trực tiếp", "online": "Trực tuyến", "postal": "Bưu chính công ích"}

# Column headers of Form 06 (two rows, merged groups) — the wording of the official form.
FORM06_GROUPS: tuple[tuple[str, int], ...] = (
    ("Tổng số hồ sơ tiếp nhận", 4),
    ("Số hồ sơ đã giải quyết", 4),
    ("Số hồ sơ đang giải quyết", 3),
)
FORM06_SUBHEADERS: tuple[str, ...] = (
    "Tổng số", "Trong đó: Trực tuyến", "Trực tiếp, bưu chính", "Từ kỳ trước chuyển sang",
    "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
    "Tổng số", "Trong hạn", "Quá hạn",
)
FORM06_HEADER_ROW = 6  # first header row; data start two rows below, after the (1)…(13) row
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe(value: Any) -> Any:
    """Neutralise a text cell against formula injection; other values pass through."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


_thin = Side(style="thin", color="000000")
_border = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_center = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _first_sheet(wb: Workbook) -> Worksheet:
    """The sheet a new workbook starts with (openpyxl types ``active`` as any kind of sheet, or none)."""
    ws = wb.active
    if not isinstance(ws, Worksheet):
        raise TypeError("a new workbook starts with one worksheet")
    return ws


def _put(ws: Any, row: int, col: int, value: Any, *, bold: bool = False, center: bool = False,
         border: bool = False) -> Any:
    cell = ws.cell(row=row, column=col, value=safe(value))
    if bold:
        cell.font = Font(bold=True)
    if center:
        cell.alignment = _center
    if border:
        cell.border = _border
    return cell


def _fmt_day(d: Any) -> str:
    return str(d.strftime("%d/%m/%Y"))


def form06_workbook(report: Form06, *, generated_at: datetime | None = None,
                    snapshot_note: str = "") -> bytes:
    """Form 06 as an .xlsx: title, agency, period, the merged two-row Vietnamese header, one row per
    field (lĩnh vực) and a Tổng cộng row. Returns the file's bytes."""
    wb = Workbook()
    ws = _first_sheet(wb)
    ws.title = "Mẫu 06"
    last_col = 2 + len(FORM06_COLUMNS)
    last = get_column_letter(last_col)
    _put(ws, 1, 1, "Biểu mẫu 06/VPCP/KSTT (Thông tư 01/2020/TT-VPCP)")
    ws.merge_cells(f"A1:{last}1")
    _put(ws, 2, 1, "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", bold=True, center=True)
    ws.merge_cells(f"A2:{last}2")
    _put(ws, 3, 1, f"Cơ quan: {report.agency.name} ({report.agency.identifier})", center=True)
    ws.merge_cells(f"A3:{last}3")
    _put(ws, 4, 1, f"Kỳ báo cáo: từ ngày {_fmt_day(report.start)} đến ngày {_fmt_day(report.end)}",
         center=True)
    ws.merge_cells(f"A4:{last}4")

    numbers = _form06_header(ws, last_col)
    r = _form06_rows(ws, report, numbers + 1)
    r = _form06_notes(ws, report, r + 2, last_col, generated_at, snapshot_note)
    _signature_block(ws, r + 2, last_col, report.agency)

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 28
    for c in range(3, last_col + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    ws.row_dimensions[FORM06_HEADER_ROW + 1].height = 45
    ws.freeze_panes = f"C{numbers + 1}"  # the header rows and the two label columns stay in view
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    return _save(wb)


def _form06_header(ws: Any, last_col: int) -> int:
    """The merged two-row header and the column numbers under it; returns the numbers' row."""
    h1, h2 = FORM06_HEADER_ROW, FORM06_HEADER_ROW + 1
    _put(ws, h1, 1, "STT", bold=True, center=True, border=True)
    ws.merge_cells(start_row=h1, start_column=1, end_row=h2, end_column=1)
    _put(ws, h1, 2, "Lĩnh vực giải quyết", bold=True, center=True, border=True)
    ws.merge_cells(start_row=h1, start_column=2, end_row=h2, end_column=2)
    col = 3
    for title, width in FORM06_GROUPS:
        _put(ws, h1, col, title, bold=True, center=True, border=True)
        for c in range(col + 1, col + width):
            ws.cell(row=h1, column=c).border = _border
        ws.merge_cells(start_row=h1, start_column=col, end_row=h1, end_column=col + width - 1)
        col += width
    for i, sub in enumerate(FORM06_SUBHEADERS):
        _put(ws, h2, 3 + i, sub, bold=True, center=True, border=True)
    for c in (1, 2):
        ws.cell(row=h2, column=c).border = _border
    numbers = h2 + 1
    for c in range(1, last_col + 1):
        _put(ws, numbers, c, f"({c})", center=True, border=True)
    return numbers


def _form06_rows(ws: Any, report: Form06, first: int) -> int:
    """One row per field, then Tổng cộng; returns the totals' row."""
    r = first
    for i, row in enumerate(report.rows, start=1):
        _put(ws, r, 1, i, center=True, border=True)
        _put(ws, r, 2, row.field, border=True)
        for j, name in enumerate(FORM06_COLUMNS):
            _put(ws, r, 3 + j, getattr(row, name), center=True, border=True)
        r += 1
    _put(ws, r, 1, "", border=True)
    _put(ws, r, 2, "Tổng cộng", bold=True, border=True)
    for j, name in enumerate(FORM06_COLUMNS):
        _put(ws, r, 3 + j, getattr(report.totals, name), bold=True, center=True, border=True)
    return r


def _form06_notes(ws: Any, report: Form06, r: int, last_col: int, generated_at: datetime | None,
                  snapshot_note: str) -> int:
    """The two rates, as-of line, when it was made and the snapshot note; returns the last row used."""
    # Rates are NUMBERS with a percentage format (the spreadsheet computes and sorts them), not text.
    for label, value in (
        ("Tỷ lệ trễ hạn = (đã giải quyết quá hạn + đang giải quyết quá hạn) / tổng số tiếp nhận",
         report.totals.late_rate),
        ("Tỷ lệ đúng hạn (QĐ 766/QĐ-TTg, chỉ số 2.1) "
         "= (trước hạn + đúng hạn + đang trong hạn) / tổng số tiếp nhận",
         report.totals.on_time_rate),
    ):
        _put(ws, r, 1, label)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=last_col - 1)
        cell = _put(ws, r, last_col, float(value) if value is not None else "—", bold=True)
        cell.number_format = "0.00%"
        r += 1
    tz = ZoneInfo(report.agency.timezone or "Asia/Ho_Chi_Minh")
    scope = "theo cơ quan giải quyết" if report.by == "resolver" else "theo nơi tiếp nhận"
    _put(ws, r, 1, f"{as_of_label(report.as_of, tz.key)} (giờ Việt Nam), {scope}; hồ sơ từ chối tiếp nhận "
                   "(chưa được tiếp nhận) không được tính.")
    if generated_at is not None:
        r += 1
        _put(ws, r, 1, f"Lập lúc {generated_at.astimezone(tz).strftime('%H:%M %d/%m/%Y')}")
    if snapshot_note:
        r += 1
        _put(ws, r, 1, snapshot_note)
    return r


def _signature_block(ws: Any, top: int, last_col: int, agency: Any) -> None:
    """The foot of form 06/VPCP/KSTT (Circular 01/2020/TT-VPCP): the recipient unit (Nơi nhận: the
    agency's superior, the Government Office for a province) and filing copy on the left; the date
    line and the head's signature on the right; the preparer's in the middle. Place and date are
    left as dots, written by hand at signing, as on the official form."""
    parent = getattr(agency, "parent", None)
    recipient = parent.name if parent is not None else "Văn phòng Chính phủ"
    right = max(3, last_col - 4)  # the head's block spans the last five columns
    mid = 3
    _put(ws, top, 1, "Nơi nhận:", bold=True)
    # The official list marks: "- " starts the line (not a formula in a .xlsx string cell); the
    # agency's name itself still goes through safe().
    ws.cell(row=top + 1, column=1, value=f"- {safe(recipient)};").data_type = "s"
    ws.cell(row=top + 2, column=1, value="- Lưu: VT.").data_type = "s"
    _put(ws, top, right, "……, ngày …… tháng …… năm ……", center=True)
    ws.merge_cells(start_row=top, start_column=right, end_row=top, end_column=last_col)
    for row, text, bold in ((top + 1, "NGƯỜI LẬP BIỂU", True), (top + 2, "(Ký, ghi rõ họ tên)", False)):
        _put(ws, row, mid, text, bold=bold, center=True)
        ws.merge_cells(start_row=row, start_column=mid, end_row=row, end_column=mid + 3)
    for row, text, bold in ((top + 1, "THỦ TRƯỞNG ĐƠN VỊ", True),
                            (top + 2, "(Ký, ghi rõ họ tên, đóng dấu)", False)):
        _put(ws, row, right, text, bold=bold, center=True)
        ws.merge_cells(start_row=row, start_column=right, end_row=row, end_column=last_col)


def form06_from_json(data: dict[str, Any]) -> tuple[list[Form06Row], Form06Row]:
    """Rows and totals of a stored snapshot (ReportSnapshot.data)."""
    rows = [Form06Row(field=r["field"], **{k: int(r[k]) for k in FORM06_COLUMNS})
            for r in data.get("rows", [])]
    totals = Form06Row(field="", **{k: int(data["totals"][k]) for k in FORM06_COLUMNS})
    return rows, totals


# ---------------------------------------------------------------- overdue list

OVERDUE_HEADERS: tuple[str, ...] = (
    "STT", "Mã hồ sơ", "Người nộp", "Thủ tục", "Lĩnh vực", "Kênh nộp", "Cơ quan đang giải quyết",
    "Cán bộ xử lý", "Hạn giải quyết", "Hẹn lại (phiếu xin lỗi)", "Mức trễ",
)


LateText = Callable[[TimeLeft | None], str]


def _overdue_values(i: int, row: OpenRow, tz: ZoneInfo, late_text: LateText) -> list[Any]:
    return [
        i, row.code, row.applicant_name, f"{row.procedure_code} – {row.procedure_name}", row.field,
        CHANNEL_LABELS.get(row.channel, row.channel), row.agency_name, row.officer_name,
        row.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y"),
        row.promised_due_at.astimezone(tz).strftime("%d/%m/%Y") if row.promised_due_at else "",
        late_text(row.left),
    ]


def overdue_workbook(rows: Sequence[OpenRow], *, title: str, late_text: LateText,
                     tz: str = "Asia/Ho_Chi_Minh") -> bytes:
    """``late_text`` says how late a row is ("Quá 2 ngày"): the caller's words (onestop/web/sentences.py)."""
    zone = ZoneInfo(tz)
    wb = Workbook()
    ws = _first_sheet(wb)
    ws.title = "Quá hạn"
    _put(ws, 1, 1, title, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(OVERDUE_HEADERS))
    for c, h in enumerate(OVERDUE_HEADERS, start=1):
        _put(ws, 2, c, h, bold=True, center=True, border=True)
    for i, row in enumerate(rows, start=1):
        for c, v in enumerate(_overdue_values(i, row, zone, late_text), start=1):
            _put(ws, 2 + i, c, v, border=True)
    for c, w in enumerate((6, 28, 24, 40, 16, 14, 28, 20, 17, 14, 16), start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = "A3"
    return _save(wb)


def overdue_csv(rows: Iterable[OpenRow], *, late_text: LateText, tz: str = "Asia/Ho_Chi_Minh") -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Vietnamese text correctly; ``late_text`` as for
    :func:`overdue_workbook`."""
    zone = ZoneInfo(tz)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(OVERDUE_HEADERS)
    for i, row in enumerate(rows, start=1):
        w.writerow([safe(v) for v in _overdue_values(i, row, zone, late_text)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = [
    "DANGEROUS_PREFIXES", "FORM06_GROUPS", "FORM06_HEADER_ROW", "FORM06_SUBHEADERS", "OVERDUE_HEADERS",
    "XLSX_MIME", "form06_from_json", "form06_workbook", "overdue_csv", "overdue_workbook", "safe",
]
