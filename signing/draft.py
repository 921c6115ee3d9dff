"""Prepare a draft for the signing workflow: fields for signatures, number and date, and the QR.

Everything that must appear on the page is placed here, before the first signature: after the
leader signs, only filling fields and adding signatures keep the signature valid, while drawing
on the page does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import BasePdfFileWriter, copy_into_new_writer
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from signing import _pdf
from signing.appearance import block_geometry, png_size_pt, qr_xobject
from signing.errors import FieldAlreadyUsed

__all__ = [
    "AGENCY_FIELD",
    "DATE_FIELD",
    "LEADER_FIELD",
    "LEADER_FONT_SIZE",
    "LEADER_LINES",
    "NUMBER_FIELD",
    "SEAL_FONT_SIZE",
    "DraftLayout",
    "Rect",
    "prepare_draft",
    "seal_rect",
    "seal_size_of",
]

LEADER_FIELD = "leader_signature"
AGENCY_FIELD = "agency_signature"
NUMBER_FIELD = "doc_number"
DATE_FIELD = "issue_date"
LEADER_LINES = 2
"""Text lines under the leader's signature image (signer, time)."""
LEADER_FONT_SIZE = 7
SEAL_FONT_SIZE = 6
MM = 72 / 25.4
_READ_ONLY = 1  # form field flag bit 1: only the system fills the number and date

pdf_name = generic.NameObject


@dataclass(frozen=True)
class Rect:
    """A rectangle on a page, in PDF points (1/72 inch), origin at the page's lower left."""

    x: float
    y: float
    width: float
    height: float
    page: int = 0
    """0-based page index; negative counts from the end (-1 is the last page)."""

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.width, self.y + self.height)


@dataclass(frozen=True)
class DraftLayout:
    """Where the signing workflow's fields go on a draft."""

    leader: Rect
    """The leader's signature block: handwritten-signature image above the name and time."""
    number: Rect | None = None
    """Text field for số/ký hiệu, filled by the clerk after the leader signs."""
    issue_date: Rect | None = None
    """Text field for the issue date line, filled with the number."""
    seal: bool = True
    """Create the agency signature field, placed over the left third of the leader's image."""
    seal_size: tuple[float, float] = (36 * MM, 36 * MM)
    """Printed size of the seal in points; use :func:`seal_size_of` for the agency's PNG."""
    signature_image: bytes | None = None
    """The leader's signature PNG, when known, to place the seal exactly over its left third."""
    qr: Rect | None = None
    """Square where the verification QR code goes (its width is used)."""
    verify_url: str | None = None
    """URL encoded in the QR code (the caller's verification page for this document)."""
    number_font_size: int = 13
    date_font_size: int = 13
    date_italic: bool = True
    """NĐ 30/2020 sets the place-and-date line in italics."""
    align_number: int = 0
    """Quadding of the number field: 0 left, 1 centre, 2 right."""
    align_date: int = 1


def seal_size_of(seal_png: bytes, default_dpi: float = 300.0) -> tuple[float, float]:
    """Return the printed size (points) of a seal PNG from its DPI.

    :raises ImageInvalid: when the data is not a PNG.
    """
    return png_size_pt(seal_png, default_dpi)


def seal_rect(layout: DraftLayout) -> Rect:
    """Return the agency signature field: the seal at actual size, over the image's left third."""
    leader = layout.leader
    band = SEAL_FONT_SIZE * 1.2 + 2
    image_size = png_size_pt(layout.signature_image) if layout.signature_image is not None else None
    if image_size is None:  # assume the image fills the space above the text band
        image_size = (leader.width, leader.height - LEADER_LINES * LEADER_FONT_SIZE * 1.2 - 2)
    image = block_geometry(
        leader.width,
        leader.height,
        n_lines=LEADER_LINES,
        font_size=LEADER_FONT_SIZE,
        image_size=image_size,
    )
    assert image is not None
    seal_w, seal_h = layout.seal_size
    right = leader.x + image.x + image.width / 3
    centre_y = leader.y + image.y + image.height / 2
    return Rect(right - seal_w, centre_y - seal_h / 2 - band, seal_w, seal_h + band, leader.page)


def prepare_draft(pdf: bytes, layout: DraftLayout) -> bytes:
    """Return the draft with signature fields, number and date fields and the QR code added.

    An unsigned draft is rewritten in full (which also normalises odd cross-reference tables);
    a draft that already carries signatures gets an incremental update instead.

    :raises MalformedPdf: when the draft does not parse.
    :raises EncryptedPdf: when it is encrypted.
    :raises FieldMissing: when a rectangle names a page that does not exist.
    :raises FieldAlreadyUsed: when the draft already has a field with one of our names.
    :raises ImageInvalid: when the signature image is not a PNG.
    """
    reader = _pdf.open_reader(pdf)
    existing = {name for name, _ in _pdf.iter_fields(reader)}
    signed = _pdf.ensure_signatures_intact(reader) > 0
    writer: BasePdfFileWriter = (
        IncrementalPdfFileWriter.from_reader(reader)
        if signed
        else copy_into_new_writer(reader, {"stream_xrefs": True})
    )
    _add_signature_fields(writer, reader, layout, existing)
    _add_text_fields(writer, reader, layout, existing)
    if layout.qr is not None and layout.verify_url:
        _add_qr(writer, _pdf.resolve_page(reader, layout.qr.page), layout.qr, layout.verify_url)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_signature_fields(writer, reader, layout: DraftLayout, existing: set[str]) -> None:
    wanted = [(LEADER_FIELD, layout.leader)]
    if layout.seal:
        wanted.append((AGENCY_FIELD, seal_rect(layout)))
    for name, where in wanted:
        _check_free(name, existing)
        page = _pdf.resolve_page(reader, where.page)
        # pyHanko types the box as ints but writes floats, which keeps the seal's exact size
        spec = SigFieldSpec(name, on_page=page, box=where.box)  # type: ignore[arg-type]
        append_signature_field(writer, spec)


def _add_text_fields(writer, reader, layout: DraftLayout, existing: set[str]) -> None:
    number = (NUMBER_FIELD, layout.number, layout.number_font_size, False, layout.align_number)
    date = (
        DATE_FIELD,
        layout.issue_date,
        layout.date_font_size,
        layout.date_italic,
        layout.align_date,
    )
    for name, rect, size, italic, quadding in (number, date):
        if rect is None:
            continue
        _check_free(name, existing)
        page = _pdf.resolve_page(reader, rect.page)
        _add_text_field(writer, page, name, rect, size=size, italic=italic, quadding=quadding)


def _check_free(name: str, existing: set[str]) -> None:
    if name in existing:
        raise FieldAlreadyUsed(f"trường {name!r} đã có trong bản thảo")


def _acroform(writer: BasePdfFileWriter) -> generic.DictionaryObject:
    root = writer.root
    if "/AcroForm" not in root:
        root[pdf_name("/AcroForm")] = writer.add_object(
            generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        )
        writer.update_root()
    return root["/AcroForm"]


def _ensure_times_resources(writer: BasePdfFileWriter, form: generic.DictionaryObject) -> None:
    """Declare the /DA fonts (standard Times) in /DR, as ISO 32000 requires of text fields.

    The appearances we generate embed our own font; these only serve viewers that redraw.
    """
    dr = form.setdefault(pdf_name("/DR"), generic.DictionaryObject())
    fonts = dr.setdefault(pdf_name("/Font"), generic.DictionaryObject())
    for key, base in (("/TiRo", "/Times-Roman"), ("/TiIt", "/Times-Italic")):
        if key not in fonts:
            fonts[pdf_name(key)] = writer.add_object(
                generic.DictionaryObject(
                    {
                        pdf_name("/Type"): pdf_name("/Font"),
                        pdf_name("/Subtype"): pdf_name("/Type1"),
                        pdf_name("/BaseFont"): pdf_name(base),
                        pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
                    }
                )
            )


def _add_text_field(
    writer: BasePdfFileWriter,
    page: int,
    name: str,
    rect: Rect,
    *,
    size: int,
    italic: bool,
    quadding: int,
) -> None:
    page_ref, _ = writer.find_page_for_modification(page)
    empty = RawContent(b"", box=BoxConstraints(width=rect.width, height=rect.height))
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): generic.pdf_string(name),
            pdf_name("/Ff"): generic.NumberObject(_READ_ONLY),
            pdf_name("/DA"): generic.pdf_string(f"/{'TiIt' if italic else 'TiRo'} {size} Tf 0 g"),
            pdf_name("/Q"): generic.NumberObject(quadding),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(4),  # print
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in rect.box),
            pdf_name("/P"): page_ref,
            pdf_name("/AP"): generic.DictionaryObject(
                {pdf_name("/N"): writer.add_object(empty.as_form_xobject())}
            ),
        }
    )
    field_ref = writer.add_object(field)
    form = _acroform(writer)
    form["/Fields"].append(field_ref)
    _ensure_times_resources(writer, form)
    form.setdefault(pdf_name("/DA"), generic.pdf_string("/TiRo 13 Tf 0 g"))
    writer.update_container(form)
    writer.update_container(form["/Fields"])
    writer.register_annotation(page_ref, field_ref)


def _add_qr(writer: BasePdfFileWriter, page: int, rect: Rect, url: str) -> None:
    xobj = qr_xobject(writer, url, rect.width)
    paint = b"q 1 0 0 1 %g %g cm /EofficeQR Do Q" % (rect.x, rect.y)
    resources = generic.DictionaryObject(
        {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/EofficeQR"): xobj})}
    )
    # isolate the existing content's graphics state from ours
    writer.add_stream_to_page(
        page, writer.add_object(generic.StreamObject(stream_data=b"q")), prepend=True
    )
    writer.add_stream_to_page(page, writer.add_object(generic.StreamObject(stream_data=b"Q")))
    page_ref = writer.add_stream_to_page(
        page, writer.add_object(generic.StreamObject(stream_data=paint)), resources
    )
    link = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Link"),
            pdf_name("/Rect"): generic.ArrayObject(
                generic.FloatObject(v)
                for v in (rect.x, rect.y, rect.x + rect.width, rect.y + rect.width)
            ),
            pdf_name("/Border"): generic.ArrayObject([generic.NumberObject(0)] * 3),
            pdf_name("/A"): generic.DictionaryObject(
                {pdf_name("/S"): pdf_name("/URI"), pdf_name("/URI"): generic.pdf_string(url)}
            ),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(link))
