"""Render a register (:mod:`eoffice.documents.registers`) as PDF and as XLSX.

PDF: fpdf2, A4 landscape, Liberation Serif (Times New Roman metrics, full Vietnamese) shipped in
``documents/assets``, a cover page with the Phụ lục IV fields, the column headings repeated on
every page, wrapped cells and page numbers. XLSX: openpyxl, styled frozen heading row, real dates
shown dd/mm/yyyy, and text that a spreadsheet would run as a formula neutralised.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import UTC, date
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from eoffice import clock
from eoffice.documents.registers import CellValue, RegisterKind, RegisterReport
from eoffice.documents.text import fold_vietnamese

FONT_FAMILY = "LiberationSerif"
_FONT_FILES = {"": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf"}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MEDIA_TYPE = "application/pdf"

# Column widths in mm of the 277 mm of an A4 landscape line (XLSX: scaled to characters).
# Dates need 19.5 mm at 10 pt; "Số, ký hiệu" fits 000/2026/QĐ-UBND on two lines.
_WIDTHS = {
    RegisterKind.INCOMING: {
        "arrival_date": 20,
        "arrival_number": 11,
        "author": 33,
        "code": 27,
        "issued_date": 20,
        "type_and_subject": 62,
        "assignees": 42,
        "transferred_on": 20,
        "received_signature": 17,
        "note": 25,
    },
    RegisterKind.OUTGOING: {
        "code": 27,
        "issued_date": 20,
        "type_and_subject": 58,
        "signer": 30,
        "recipients": 42,
        "archive_copy_holder": 30,
        "copies": 12,
        "transferred_on": 20,
        "received_signature": 17,
        "note": 21,
    },
}
_CENTRED = {
    "arrival_date",
    "arrival_number",
    "issued_date",
    "copies",
    "transferred_on",
}
# A spreadsheet runs a cell starting with these as a formula (CSV/formula injection, OWASP).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_GREY = (110, 110, 110)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
_NB_ALIAS = "{nb-pages}"
"""Replaced by the page count; as wide as five digits, so a long register's count fits."""


def cell_text(key: str, value: CellValue) -> str:
    """Return a cell as printed: dates dd/mm/yyyy, numbers as written (số đến 01), else text."""
    if value is None:
        return ""
    if isinstance(value, date):
        return clock.format_date(value)
    if isinstance(value, int):
        return f"{value:02d}" if key == "arrival_number" else str(value)
    return unicodedata.normalize("NFC", value)


def neutralise_formula(text: str) -> str:
    """Return ``text`` with an apostrophe before it when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def register_filename(report: RegisterReport, extension: str) -> str:
    """Return the Vietnamese download name, e.g. "Sổ đăng ký văn bản đến 01.01.2026-31.01.2026.pdf"."""
    cover = report.cover
    period = f"{cover.date_from:%d.%m.%Y}-{cover.date_to:%d.%m.%Y}"
    return f"{report.kind.label} {period}.{extension}"


def ascii_filename(name: str) -> str:
    """Return a plain-ASCII stand-in for ``name`` (for clients that ignore RFC 5987).

    Only letters, digits, ``.``, ``_`` and ``-`` remain, so it is safe inside a quoted header value.
    """
    folded = "-".join(fold_vietnamese(name).split())
    return _UNSAFE_FILENAME.sub("", folded.encode("ascii", "ignore").decode()) or "so-dang-ky"


# ---------------------------------------------------------------------------- PDF


@contextlib.contextmanager
def _font_paths() -> Iterator[Mapping[str, Path]]:
    assets = resources.files("eoffice.documents") / "assets"
    with contextlib.ExitStack() as stack:
        yield {
            style: stack.enter_context(resources.as_file(assets / name))
            for style, name in _FONT_FILES.items()
        }


class _RegisterPdf(FPDF):
    """A4 landscape pages: after the cover, a running head, the table headings and page numbers.

    The table is drawn here rather than with ``FPDF.table``: fpdf2's table lays every cell out
    twice in pure Python (about 4 ms a row, over a minute for a year's register), while wrapping
    with per-word widths cached and drawing with ``text``/``rect`` takes a small fraction of that.
    """

    def __init__(self, report: RegisterReport) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.report = report
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=False)
        self.alias_nb_pages(_NB_ALIAS)
        self.table_widths: list[float] = []
        self.table_top = 0.0
        """Where rows start on the current page (below the headings)."""
        self._widths: dict[tuple[str, str], float] = {}

    def header(self) -> None:
        if self.page_no() == 1:
            return
        cover = self.report.cover
        self.set_font(FONT_FAMILY, "", 9)
        self.set_text_color(*_GREY)
        left = f"{cover.title} — {cover.agency_name} — {cover.series_name}"
        self.cell(0, 5, left, new_x=XPos.LMARGIN, new_y=YPos.TOP)
        period = f"Năm {cover.year}, quyển số {cover.volume:02d}"
        self.cell(0, 5, period, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(1)
        if self.table_widths:
            self._draw_headings()
        self.table_top = self.y

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT_FAMILY, "", 8.5)
        self.set_text_color(*_GREY)
        printed = clock.format_datetime(self.report.printed_at)
        self.cell(0, 5, f"In từ Hệ thống quản lý văn bản lúc {printed}", new_y=YPos.TOP)
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Trang {self.page_no()}/{_NB_ALIAS}", align="R")
        self.set_text_color(0)

    @property
    def bottom(self) -> float:
        """Return the lowest y a table row may reach (above the footer)."""
        return self.h - 12

    def text_width(self, text: str, style: str) -> float:
        """Return the width of ``text`` in the current size, cached (words repeat a lot)."""
        key = (text, style)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(text)
        return self._widths[key]

    def wrap(self, text: str, width: float, style: str = "") -> list[str]:
        """Return ``text`` broken into lines no wider than ``width`` (words, then characters)."""
        lines: list[str] = []
        space = self.text_width(" ", style)
        for paragraph in text.split("\n"):
            line, line_width = "", 0.0
            for word in paragraph.split():
                for piece in self._split_long(word, width, style):
                    piece_width = self.text_width(piece, style)
                    if line and line_width + space + piece_width <= width:
                        line, line_width = f"{line} {piece}", line_width + space + piece_width
                    else:
                        if line:
                            lines.append(line)
                        line, line_width = piece, piece_width
            lines.append(line)
        return lines

    def _split_long(self, word: str, width: float, style: str) -> list[str]:
        if self.text_width(word, style) <= width:
            return [word]
        pieces, current = [], ""
        for char in word:
            if current and self.text_width(current + char, style) > width:
                pieces.append(current)
                current = ""
            current += char
        return [*pieces, current]

    def _draw_headings(self) -> None:
        columns = self.report.register.columns
        self.set_font(FONT_FAMILY, "B", _TABLE_PT)
        labels = [
            self.wrap(c.label, w - 2 * _PAD_X, "B")
            for c, w in zip(columns, self.table_widths, strict=True)
        ]
        numbers = [[f"({i})"] for i in range(1, len(columns) + 1)]
        for cells in (labels, numbers):
            self.draw_row(cells, ["C"] * len(columns), fill=True, middle=True)
        self.set_font(FONT_FAMILY, "", _TABLE_PT)

    def draw_row(
        self, cells: list[list[str]], aligns: list[str], *, fill: bool = False, middle: bool = False
    ) -> None:
        """Draw one row of wrapped cells, continuing it on the next page if it does not fit."""
        while True:
            room = int((self.bottom - self.y - 2 * _PAD_Y) // _LINE_H)
            tallest = max(len(lines) for lines in cells)
            if tallest > room and self.y > self.table_top + 0.01:
                self._next_page()  # only a row taller than a whole page is split
                continue
            shown = min(tallest, max(room, 1))
            self._draw_chunk([lines[:shown] for lines in cells], aligns, shown, fill, middle)
            cells = [lines[shown:] for lines in cells]
            if all(not lines for lines in cells):
                return
            self._next_page()

    def _next_page(self) -> None:
        """Start a page (the header draws the headings again) keeping the row's text colour."""
        colour = self.text_color
        self.add_page()
        self.text_color = colour

    def _draw_chunk(
        self, cells: list[list[str]], aligns: list[str], height_lines: int, fill: bool, middle: bool
    ) -> None:
        top, x = self.y, self.l_margin
        height = height_lines * _LINE_H + 2 * _PAD_Y
        if fill:
            self.set_fill_color(*_HEADING_RGB)
        for lines, align, width in zip(cells, aligns, self.table_widths, strict=True):
            self.rect(x, top, width, height, style="DF" if fill else "D")
            offset = (height_lines - len(lines)) * _LINE_H / 2 if middle else 0.0
            for index, line in enumerate(lines):
                left = x + _PAD_X
                if align == "C":
                    left = x + (width - self.text_width(line, self.font_style)) / 2
                self.text(left, top + _PAD_Y + offset + index * _LINE_H + _BASELINE, line)
            x += width
        self.set_y(top + height)


_TABLE_PT = 10
_LINE_H = 4.4
"""Line height in mm for 10 pt text."""
_BASELINE = 3.3
"""From the top of a line box to the text baseline, in mm (10 pt Liberation Serif)."""
_PAD_X, _PAD_Y = 1.2, 1.0
_HEADING_RGB = (228, 233, 238)


def register_pdf(report: RegisterReport) -> bytes:
    """Return the register as an A4 landscape PDF: the cover, then the table."""
    pdf = _RegisterPdf(report)
    with _font_paths() as paths:
        for style, path in paths.items():
            pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.set_title(f"{report.cover.title} — {report.cover.agency_name}")
    pdf.set_author(report.cover.agency_name)
    pdf.set_creator("eoffice")
    pdf.set_lang("vi")
    pdf.set_creation_date(report.printed_at)
    _draw_cover(pdf, report)
    _draw_table(pdf, report)
    return bytes(pdf.output())


def _draw_cover(pdf: FPDF, report: RegisterReport) -> None:
    cover = report.cover
    pdf.add_page()
    pdf.set_y(28)
    pdf.set_font(FONT_FAMILY, "", 14)
    if cover.parent_agency_name:
        _centred(pdf, cover.parent_agency_name.upper(), 8)
    pdf.set_font(FONT_FAMILY, "B", 14)
    _centred(pdf, cover.agency_name.upper(), 8)
    pdf.set_draw_color(0)
    middle = pdf.w / 2
    pdf.line(middle - 25, pdf.get_y() + 1, middle + 25, pdf.get_y() + 1)
    pdf.set_y(pdf.get_y() + 24)
    pdf.set_font(FONT_FAMILY, "B", 26)
    _centred(pdf, cover.title, 14)
    pdf.set_font(FONT_FAMILY, "", 13)
    _centred(pdf, f"({cover.series_name})", 8)
    pdf.ln(10)
    pdf.set_font(FONT_FAMILY, "", 15)
    first = f"{cover.first_number:02d}" if cover.first_number is not None else "……"
    last = f"{cover.last_number:02d}" if cover.last_number is not None else "……"
    for line in (
        f"Năm: {cover.year}",
        f"Từ ngày {clock.format_date(cover.date_from)} đến ngày {clock.format_date(cover.date_to)}",
        f"Từ số {first} đến số {last}",
        f"Quyển số: {cover.volume:02d}",
    ):
        _centred(pdf, line, 9)
    pdf.ln(6)
    pdf.set_font(FONT_FAMILY, "", 11)
    _centred(pdf, f"Số văn bản trong sổ: {len(report.rows)}", 6)


def _centred(pdf: FPDF, text: str, height: float) -> None:
    pdf.multi_cell(0, height, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _draw_table(pdf: _RegisterPdf, report: RegisterReport) -> None:
    columns = report.register.columns
    weights = [_WIDTHS[report.kind][c.key] for c in columns]
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.table_widths = [usable * w / sum(weights) for w in weights]
    pdf.set_font(FONT_FAMILY, "", _TABLE_PT)  # add_page restores the font in use before it
    pdf.add_page()
    aligns = ["C" if c.key in _CENTRED else "L" for c in columns]
    inner = [w - 2 * _PAD_X for w in pdf.table_widths]
    for row in report.rows:
        pdf.set_text_color(*(_GREY if row.cancelled else (0, 0, 0)))
        cells = [
            pdf.wrap(cell_text(c.key, row.values[c.key]), width)
            for c, width in zip(columns, inner, strict=True)
        ]
        pdf.draw_row(cells, aligns)
    pdf.set_text_color(0)
    if not report.rows:
        pdf.table_widths = [usable]
        pdf.draw_row([["Không có văn bản nào trong khoảng thời gian này."]], ["C"])


# ---------------------------------------------------------------------------- XLSX

_THIN = Side(style="thin", color="8A96A3")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
# Cell formats per value kind; named styles are shared, per-cell style objects cost ~3x the time.
_FORMATS = {"text": "General", "date": "DD/MM/YYYY", "number2": "00", "int": "0"}


def register_xlsx(report: RegisterReport) -> bytes:
    """Return the register as an XLSX workbook: the rows sheet and a cover sheet."""
    workbook = Workbook()
    _add_styles(workbook)
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Sổ đăng ký"
    _write_rows(sheet, report)
    _write_cover(workbook.create_sheet("Bìa sổ"), report)
    workbook.properties.creator = "eoffice"
    workbook.properties.title = f"{report.cover.title} — {report.cover.agency_name}"
    # openpyxl stores naive timestamps as UTC.
    workbook.properties.created = report.printed_at.astimezone(UTC).replace(tzinfo=None)
    workbook.properties.modified = workbook.properties.created
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_styles(workbook: Workbook) -> None:
    workbook.add_named_style(
        NamedStyle(
            "reg_heading",
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="E4E9EE"),
            border=_BORDER,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        )
    )
    for kind, number_format in _FORMATS.items():
        for centred in (False, True):
            for grey in (False, True):
                workbook.add_named_style(
                    NamedStyle(
                        _style_name(kind, centred, grey),
                        font=Font(color="6E6E6E" if grey else "000000"),
                        border=_BORDER,
                        number_format=number_format,
                        alignment=Alignment(
                            horizontal="center" if centred else "left",
                            vertical="top",
                            wrap_text=True,
                        ),
                    )
                )


def _style_name(kind: str, centred: bool, grey: bool) -> str:
    return f"reg_{kind}{'_c' if centred else ''}{'_grey' if grey else ''}"


def _write_rows(sheet: Worksheet, report: RegisterReport) -> None:
    columns = report.register.columns
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=column.label).style = "reg_heading"
        width = _WIDTHS[report.kind][column.key] * 0.6
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 45
    for row_index, row in enumerate(report.rows, start=2):
        for col_index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=row_index, column=col_index)
            kind = _set_value(cell, column.key, row.values[column.key])
            cell.style = _style_name(kind, column.key in _CENTRED, row.cancelled)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(report.rows) + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _set_value(cell: Cell, key: str, value: CellValue) -> str:
    """Put ``value`` in ``cell``; return its kind (a key of :data:`_FORMATS`)."""
    if isinstance(value, date):
        cell.value = value
        return "date"
    if isinstance(value, int):
        cell.value = value
        return "number2" if key == "arrival_number" else "int"
    if value:
        cell.value = _xlsx_text(value)
        cell.data_type = "s"  # never "f": text is text, whatever it starts with
    return "text"


def _xlsx_text(text: str) -> str:
    # Control characters are illegal in XML; a pasted subject may carry them.
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", unicodedata.normalize("NFC", text))
    return neutralise_formula(cleaned)


def _write_cover(sheet: Worksheet, report: RegisterReport) -> None:
    cover = report.cover
    facts: list[tuple[str, str, CellValue]] = [
        ("Tên cơ quan chủ quản trực tiếp", "", cover.parent_agency_name),
        ("Tên cơ quan, đơn vị", "", cover.agency_name),
        ("Sổ", "", cover.title),
        ("Số văn bản", "", cover.series_name),
        ("Năm", "", cover.year),
        ("Từ ngày", "", cover.date_from),
        ("Đến ngày", "", cover.date_to),
        ("Từ số", "arrival_number", cover.first_number),
        ("Đến số", "arrival_number", cover.last_number),
        ("Quyển số", "arrival_number", cover.volume),
        ("Số văn bản trong sổ", "", len(report.rows)),
        ("In từ Hệ thống lúc", "", clock.format_datetime(report.printed_at)),
    ]
    for index, (label, key, value) in enumerate(facts, start=1):
        sheet.cell(row=index, column=1, value=label).font = Font(bold=True)
        cell = sheet.cell(row=index, column=2)
        cell.number_format = _FORMATS[_set_value(cell, key, value)]
        cell.alignment = Alignment(horizontal="left")
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 60
