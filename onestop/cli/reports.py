"""`flask --app onestop onestop report form06 --agency CODE --from DATE --to DATE [--by desk|resolver]
[--xlsx FILE]`.

Prints Form 06/VPCP/KSTT as a table (the same numbers as GET /api/v1/reports/form06: both call
``services.reporting.reports.form06``), as of the earlier of now and the period's end, by receiving desk
(default) or by resolving agency; with ``--xlsx`` also writes the official-layout workbook.
"""
from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import click

from ..domain.errors import DomainError
from ..domain.metrics import FORM06_COLUMNS
from ..extensions import db
from ..services.admin.agencies import by_identifier
from ..services.numbers import as_of_label, format_rate
from ..services.reporting import exports, reports

# Short column headers for a terminal (the XLSX carries the full Vietnamese wording).
SHORT_HEADERS = ("Tổng", "T.tuyến", "T.tiếp/BC", "Kỳ trước", "Đã GQ", "Trước hạn", "Đúng hạn", "Quá hạn",
                 "Đang GQ", "Trong hạn", "Quá hạn")


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        click.echo(f"Lỗi: {name} '{value}' phải có dạng YYYY-MM-DD.", err=True)
        sys.exit(2)


def render_table(rows: list[tuple[str, list[int]]]) -> list[str]:
    width = max([len("Lĩnh vực"), len("Tổng cộng")] + [len(name) for name, _ in rows])
    cols = [max(len(h), 6) for h in SHORT_HEADERS]

    def line(label: str, cells: list[str]) -> str:
        return label.ljust(width) + " | " + " ".join(c.rjust(w) for c, w in zip(cells, cols, strict=True))

    out = [line("Lĩnh vực", list(SHORT_HEADERS))]
    out.append("-" * len(out[0]))
    for name, values in rows:
        if name == "Tổng cộng":
            out.append("-" * len(out[0]))
        out.append(line(name, [str(v) for v in values]))
    return out


def register(group: click.Group) -> None:
    @group.group("report")
    def report() -> None:
        """Reports (Form 06/VPCP/KSTT)."""

    @report.command("form06")
    @click.option("--agency", "agency_code", required=True, help="Agency identifier (its whole subtree)")
    @click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD (local date)")
    @click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD (local date)")
    @click.option("--by", "by", type=click.Choice(["desk", "resolver"]), default="desk", show_default=True,
                  help="Count by receiving desk or by resolving agency")
    @click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Also write the workbook here")
    def form06_cmd(agency_code: str, date_from: str, date_to: str, by: str, xlsx_path: str | None) -> None:
        """Print Form 06 for the agency subtree and period, as of the earlier of now and its end."""

        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        try:
            agency = by_identifier(db.session, agency_code)
            now = datetime.now(UTC)
            result = reports.form06(db.session, agency, start, end, now=now, by=reports.check_by(by))
        except DomainError as exc:
            db.session.rollback()
            click.echo(f"Lỗi: {exc}", err=True)
            sys.exit(2)
        db.session.rollback()
        click.echo(f"Mẫu 06/VPCP/KSTT — {agency.name} ({agency.identifier})")
        click.echo(f"Kỳ: {start:%d/%m/%Y} – {end:%d/%m/%Y} · "
                   + ("theo cơ quan giải quyết" if by == "resolver" else "theo nơi tiếp nhận"))
        click.echo(as_of_label(result.as_of, agency.timezone or "Asia/Ho_Chi_Minh"))
        lines = render_table(
            [(r.field, [getattr(r, c) for c in FORM06_COLUMNS]) for r in result.rows]
            + [("Tổng cộng", [getattr(result.totals, c) for c in FORM06_COLUMNS])]
        )
        for line in lines:
            click.echo(line)
        click.echo(f"Tỷ lệ trễ hạn: {format_rate(result.totals.late_rate, 'vi', 2)}")
        click.echo(f"Tỷ lệ đúng hạn (QĐ 766, chỉ số 2.1): {format_rate(result.totals.on_time_rate, 'vi', 2)}")
        errors = result.identity_errors()
        for e in errors:
            click.echo(f"CẢNH BÁO: {e}", err=True)
        if xlsx_path:
            with open(xlsx_path, "wb") as fh:
                fh.write(exports.form06_workbook(result, generated_at=now))
            click.echo(f"Đã ghi {xlsx_path}")
