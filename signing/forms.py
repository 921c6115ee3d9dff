"""Filling the draft's text fields (số/ký hiệu, issue date) after the leader has signed.

Filling a form field is a change a signature allows (PAdES: form filling; DocMDP P=2), unlike
drawing on the page. We set the field's value and a new appearance stream in our font, and leave
the field's other keys alone, which is what validators accept as form filling.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import _pdf
from signing.appearance import Align, BlockStampStyle, fit_font_size, render_block
from signing.errors import FieldAlreadyUsed, FieldMissing
from signing.fonts import FontStyle, nfc

__all__ = ["fill_fields", "read_field_values"]

_DA_FONT = re.compile(r"/(\S+)\s+([\d.]+)\s+Tf")
_ITALIC_FONTS = {"TiIt", "TiBI", "HeObl", "HeBO"}


def _style_of(field: generic.DictionaryObject) -> tuple[int, FontStyle]:
    match = _DA_FONT.search(str(field.get("/DA", "")))
    if not match:
        return 13, FontStyle.REGULAR
    italic = match.group(1) in _ITALIC_FONTS
    size = round(float(match.group(2))) or 13
    return size, FontStyle.ITALIC if italic else FontStyle.REGULAR


def _widgets(field: generic.DictionaryObject) -> list[generic.DictionaryObject]:
    kids = field.get("/Kids")
    if kids:
        return [k.get_object() for k in kids]
    return [field]


def _fill_one(writer, field: generic.DictionaryObject, text: str) -> None:
    size, style = _style_of(field)
    align = {0: Align.LEFT, 1: Align.CENTER, 2: Align.RIGHT}.get(
        int(field.get("/Q", 0)), Align.LEFT
    )
    for widget in _widgets(field):
        x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
        width, height = abs(x1 - x0), abs(y1 - y0)
        fitted = fit_font_size(text, width, size, style)
        stamp = render_block(
            writer,
            BlockStampStyle(
                lines=(text,),
                font_style=style,
                font_size=fitted,
                align=align,
                vertical_center_text=True,
            ),
            width,
            height,
        )
        stamp.apply_appearance(widget)
        writer.update_container(widget)
    field[generic.NameObject("/V")] = generic.pdf_string(text)
    writer.update_container(field)


def fill_fields(pdf: bytes, values: Mapping[str, str], *, allow_refill: bool = False) -> bytes:
    """Fill text fields by name, as an incremental update that keeps earlier signatures valid.

    :raises FieldMissing: when a name is not a text field of the document.
    :raises FieldAlreadyUsed: when a field already has a value (unless ``allow_refill``).
    :raises BrokenSignature: when an existing signature no longer matches the document.
    :raises MalformedPdf: when the PDF does not parse.
    :raises EncryptedPdf: when it is encrypted.
    """
    reader = _pdf.open_reader(pdf)
    _pdf.ensure_signatures_intact(reader)
    return fill_checked(reader, values, allow_refill=allow_refill)


def fill_checked(reader, values: Mapping[str, str], *, allow_refill: bool = False) -> bytes:
    """Fill fields of a PDF whose reader has passed :func:`_pdf.ensure_signatures_intact`.

    :raises FieldMissing: when a name is not a text field of the document.
    :raises FieldAlreadyUsed: when a field already has a value (unless ``allow_refill``).
    """
    writer = IncrementalPdfFileWriter.from_reader(reader)
    fields = dict(_pdf.iter_fields(reader))
    for name, raw in values.items():
        ref = fields.get(name)
        if ref is None:
            raise FieldMissing(f"trường {name!r}")
        field = ref.get_object()
        if field.get("/FT") != "/Tx":
            raise FieldMissing(f"trường {name!r} không phải trường văn bản")
        if field.get("/V") and not allow_refill:
            raise FieldAlreadyUsed(f"trường {name!r} đã có giá trị {field['/V']!s}")
        _fill_one(writer, field, nfc(raw))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def read_field_values(pdf: bytes) -> dict[str, str]:
    """Return the values of the document's text fields (empty fields are left out).

    :raises MalformedPdf: when the PDF does not parse.
    """
    reader = _pdf.open_reader(pdf)
    values = {}
    for name, ref in _pdf.iter_fields(reader):
        field = ref.get_object()
        if field.get("/FT") == "/Tx" and field.get("/V"):
            values[name] = str(field["/V"])
    return values
