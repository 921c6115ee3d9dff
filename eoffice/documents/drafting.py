"""Build a draft PDF from a form, in the layout of NĐ 30/2020 Phụ lục I.

The number and date stay blank here: the signing step adds form fields exactly over those blanks
(see ``signatures.DEFAULT_LAYOUT``), the leader's signature block goes at the bottom right, and the
verification QR code at the bottom left.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources

from fpdf import FPDF

FONT_DIR = resources.files("eoffice.documents") / "assets"


@dataclass(frozen=True)
class DraftForm:
    """What a drafter types to get a draft PDF."""

    agency_name: str
    parent_agency_name: str
    type_heading: str | None
    """"QUYẾT ĐỊNH", "TỜ TRÌNH" …; None for a công văn (the subject then goes under the number)."""
    subject: str
    body: str
    recipients: tuple[str, ...]
    signer_authority: str
    """Quyền hạn, chức vụ: e.g. "TM. ỦY BAN NHÂN DÂN\\nCHỦ TỊCH" or "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"."""
    signer_name: str


@functools.cache
def _font_bytes(name: str) -> bytes:
    return (FONT_DIR / name).read_bytes()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def build_draft_pdf(form: DraftForm) -> bytes:
    """Return an A4 draft in the decree's layout (fonts embedded, Vietnamese text)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=35)
    pdf.set_margins(20, 15, 15)
    pdf.add_font("Serif", "", fname=str(FONT_DIR / "LiberationSerif-Regular.ttf"))
    pdf.add_font("Serif", "B", fname=str(FONT_DIR / "LiberationSerif-Bold.ttf"))
    pdf.add_page()
    _header(pdf, form)
    _title(pdf, form)
    pdf.set_font("Serif", size=13)
    pdf.set_xy(20, 75)
    pdf.multi_cell(175, 6.5, _nfc(form.body), align="J")
    _closing(pdf, form)
    return bytes(pdf.output())


def _header(pdf: FPDF, form: DraftForm) -> None:
    pdf.set_font("Serif", size=12)
    pdf.set_xy(20, 15)
    pdf.cell(75, 6, _nfc(form.parent_agency_name.upper()), align="C")
    pdf.set_font("Serif", "B", 12)
    pdf.set_xy(20, 21)
    pdf.multi_cell(75, 6, _nfc(form.agency_name.upper()), align="C")
    pdf.set_xy(95, 15)
    pdf.cell(105, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
    pdf.set_xy(95, 21)
    pdf.cell(105, 6, "Độc lập - Tự do - Hạnh phúc", align="C")
    pdf.line(127, 27.5, 168, 27.5)


def _title(pdf: FPDF, form: DraftForm) -> None:
    if form.type_heading is None:  # công văn: "V/v …" under the number, on the left
        pdf.set_font("Serif", size=12)
        pdf.set_xy(20, 52)
        pdf.multi_cell(75, 5.5, _nfc(f"V/v {form.subject}"), align="C")
        return
    pdf.set_font("Serif", "B", 14)
    pdf.set_xy(20, 56)
    pdf.cell(175, 7, _nfc(form.type_heading.upper()), align="C")
    pdf.set_font("Serif", "B", 13)
    pdf.set_xy(20, 63)
    pdf.multi_cell(175, 6, _nfc(form.subject), align="C")


def _closing(pdf: FPDF, form: DraftForm) -> None:
    # Keep the signature block on the last page where the signing layout expects it.
    if pdf.get_y() > 200:
        pdf.add_page()
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Serif", "B", 12)
    pdf.set_xy(20, 205)
    pdf.cell(80, 6, "Nơi nhận:")
    pdf.set_font("Serif", size=11)
    for i, name in enumerate((*form.recipients, "Lưu: VT.")):
        pdf.set_xy(20, 211 + i * 5)
        pdf.cell(80, 5, _nfc(f"- {name};" if i < len(form.recipients) else f"- {name}"))
    pdf.set_font("Serif", "B", 13)
    pdf.set_xy(115, 205)
    pdf.multi_cell(75, 6, _nfc(form.signer_authority.upper()), align="C")
    pdf.set_xy(115, 268)
    pdf.cell(75, 6, _nfc(form.signer_name), align="C")
