"""Preparing the draft: fields, seal geometry, QR code."""

from __future__ import annotations

import re
from dataclasses import replace
from io import BytesIO

import pytest
import qrcode
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from signing import (
    AGENCY_FIELD,
    DATE_FIELD,
    LEADER_FIELD,
    NUMBER_FIELD,
    DraftLayout,
    Rect,
    prepare_draft,
    seal_rect,
    seal_size_of,
    sign_invisible,
)
from signing.appearance import block_geometry, png_size_pt
from signing.draft import LEADER_FONT_SIZE, LEADER_LINES
from signing.errors import FieldAlreadyUsed, FieldMissing, ImageInvalid

from .conftest import LAYOUT, make_pdf


def _fields(pdf: bytes) -> dict[str, object]:
    reader = PdfFileReader(BytesIO(pdf))
    fields = [f.get_object() for f in reader.root["/AcroForm"]["/Fields"]]
    return {f["/T"]: f for f in fields}


def test_draft_has_empty_signature_fields_and_locked_text_fields(prepared_draft):
    reader = PdfFileReader(BytesIO(prepared_draft))
    sig_fields = {name: value for name, value, _ in enumerate_sig_fields(reader)}
    assert sig_fields == {LEADER_FIELD: None, AGENCY_FIELD: None}
    fields = _fields(prepared_draft)
    for name, font in ((NUMBER_FIELD, "/TiRo"), (DATE_FIELD, "/TiIt")):
        field = fields[name]
        assert field["/FT"] == "/Tx"
        assert int(field["/Ff"]) & 1  # read-only: only the system fills it
        assert str(field["/DA"]).startswith(f"{font} 13 Tf")
        assert "/V" not in field


def test_signature_fields_sit_on_the_last_page(draft_pdf):
    two_pages = make_pdf(["Trang"], pages=2)
    prepared = prepare_draft(two_pages, LAYOUT)
    reader = PdfFileReader(BytesIO(prepared))
    last_page = reader.root["/Pages"]["/Kids"][1].get_object()
    annots = [a.get_object().get("/T") for a in last_page["/Annots"]]
    assert LEADER_FIELD in annots and AGENCY_FIELD in annots


def test_seal_is_actual_size_and_covers_left_third_of_signature_image(signature_png, seal_png):
    seal_w, seal_h = seal_size_of(seal_png)
    assert seal_w == pytest.approx(425 / 300 * 72, abs=0.05)  # 425 px at 300 dpi: 36 mm
    layout = replace(LAYOUT, signature_image=signature_png, seal_size=(seal_w, seal_h))
    seal = seal_rect(layout)
    image = block_geometry(
        layout.leader.width,
        layout.leader.height,
        n_lines=LEADER_LINES,
        font_size=LEADER_FONT_SIZE,
        image_size=png_size_pt(signature_png),
    )
    image_left = layout.leader.x + image.x
    assert seal.width == pytest.approx(seal_w)
    assert seal.x + seal.width == pytest.approx(image_left + image.width / 3)
    image_mid = layout.leader.y + image.y + image.height / 2
    band = seal.height - seal_h  # the time line under the seal
    assert seal.y + band + seal_h / 2 == pytest.approx(image_mid)


def test_qr_code_encodes_the_verification_url(prepared_draft):
    reader = PdfFileReader(BytesIO(prepared_draft))
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    links = [a.get_object() for a in page["/Annots"] if a.get_object()["/Subtype"] == "/Link"]
    assert [str(link["/A"]["/URI"]) for link in links] == [LAYOUT.verify_url]
    xobjects = [
        x.get_object()
        for x in page["/Resources"]["/XObject"].values()
        if x.get_object().get("/Subtype") == "/Form"
    ]
    qr_stream = next(x for x in xobjects if b" re" in x.data)
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    expected.add_data(LAYOUT.verify_url)
    expected.make(fit=True)
    dark = sum(sum(row) for row in expected.get_matrix())
    assert len(re.findall(rb" re\b", qr_stream.data)) == dark


def test_missing_page_is_reported(draft_pdf):
    with pytest.raises(FieldMissing) as err:
        prepare_draft(draft_pdf, replace(LAYOUT, number=Rect(10, 10, 50, 10, page=3)))
    assert "trang" in err.value.vi


def test_fields_cannot_be_prepared_twice(prepared_draft):
    with pytest.raises(FieldAlreadyUsed):
        prepare_draft(prepared_draft, LAYOUT)


def test_signature_image_must_be_png(draft_pdf):
    jpeg = BytesIO()
    from PIL import Image

    Image.new("RGB", (10, 10), "blue").save(jpeg, "JPEG")
    with pytest.raises(ImageInvalid):
        prepare_draft(draft_pdf, replace(LAYOUT, signature_image=jpeg.getvalue()))


def test_already_signed_draft_gets_an_incremental_update(draft_pdf, leader_key):
    signed = sign_invisible(draft_pdf, leader_key, field_name="reviewer").pdf
    layout = DraftLayout(leader=Rect(330, 150, 190, 90), seal=False)
    prepared = prepare_draft(signed, layout)
    assert prepared.startswith(signed)
    reader = PdfFileReader(BytesIO(prepared))
    assert reader.embedded_signatures[0].field_name == "reviewer"
