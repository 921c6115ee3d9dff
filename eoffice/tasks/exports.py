"""Exports of a lateness report: XLSX (openpyxl) and A4 landscape PDF (fpdf2), in Vietnamese."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from eoffice import clock
from eoffice.documents.exports import neutralise_formula
from eoffice.errors import ServiceUnavailable
from eoffice.tasks.reports import LatenessReport, ReportRow
from eoffice.tasks.rules import format_percent

TITLE = "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO"
COLUMNS = (
    "Tổng số",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Đang thực hiện trong hạn",
    "Chưa hoàn thành, quá hạn",
    "Không thời hạn",
    "Tỷ lệ quá hạn",
    "Tỷ lệ hoàn thành",
)
# Fonts with Vietnamese glyphs: Debian's fonts-dejavu-core, then fonts-liberation2.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)


def _counts(row: ReportRow) -> list[int]:
    c = row.counts
    return [
        row.total,
        c.done_on_time,
        c.done_late,
        c.open_in_term,
        c.open_overdue,
        c.no_deadline_total,
    ]


def _generated() -> str:
    return f"In từ Hệ thống quản lý văn bản và điều hành lúc {clock.format_datetime(clock.now())}"


def _heading(report: LatenessReport) -> list[str]:
    lines = [TITLE, report.spec.describe()]
    if report.frozen_at is not None:
        lines.append(f"Số liệu đã chốt lúc {clock.format_datetime(report.frozen_at)}.")
    return lines


def to_xlsx(report: LatenessReport) -> bytes:
    """Return the report as an XLSX workbook (rates as numbers formatted in percent)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo"
    for line in _heading(report):
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append([report.spec.group_by.label, *COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in (*report.rows, report.total):
        rates = [float(r) if r is not None else None for r in (row.late_rate, row.completion_rate)]
        sheet.append([_text(row.name), *_counts(row), *rates])
        for cell in sheet[sheet.max_row][-2:]:
            cell.number_format = "0.00%"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.append([])
    sheet.append([f"Công thức: {report.formula_text}"])
    sheet.append([_generated()])
    sheet.column_dimensions["A"].width = 48
    for letter in "BCDEFGHI":
        sheet.column_dimensions[letter].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: str) -> str:
    """A name as an XLSX text cell: no control characters, never run as a formula."""
    return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", value))


def _font() -> Path:
    for path in FONT_CANDIDATES:
        if path.exists():
            return path
    raise ServiceUnavailable(
        "Không tìm thấy phông chữ tiếng Việt để xuất PDF (cài gói fonts-dejavu-core)"
    )


def to_pdf(report: LatenessReport) -> bytes:
    """Return the report as an A4 landscape PDF.

    :raises ServiceUnavailable: when no font with Vietnamese letters is installed.
    """
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(TITLE)
    pdf.set_creator("eoffice")
    pdf.add_font("vn", "", str(_font()))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("vn", size=13)
    heading = _heading(report)
    pdf.multi_cell(0, 7, heading[0], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("vn", size=10)
    for line in heading[1:]:
        pdf.multi_cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("vn", size=8.5)
    widths = (70, 18, 22, 22, 24, 24, 20, 22, 22)
    bold = FontFace(emphasis=None, fill_color=(238, 242, 245))
    with pdf.table(col_widths=widths, headings_style=bold, text_align="CENTER") as table:
        table.row([report.spec.group_by.label, *COLUMNS])
        for row in (*report.rows, report.total):
            cells = [
                row.name,
                *map(str, _counts(row)),
                format_percent(row.late_rate),
                format_percent(row.completion_rate),
            ]
            table.row(cells)
    pdf.ln(3)
    pdf.set_font("vn", size=9)
    pdf.multi_cell(0, 5, f"Công thức: {report.formula_text}", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, _generated(), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
