"""Vietnamese text in stamps: right glyphs, right widths, NFC.

Widths are measured on the rendered page with poppler's ``pdftotext -bbox``, independently of
how we computed them.
"""

from __future__ import annotations

import re
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStamp, TextStampStyle

from signing import DraftLayout, Rect, fill_fields, prepare_draft, read_field_values
from signing.fonts import FontStyle, text_width

from .conftest import DEJAVU, make_pdf

WORD = "Nguyễn"
_WORD_RE = re.compile(
    r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
)


def _word_widths(pdf: bytes, tmp_path: Path) -> dict[str, float]:
    """Return the rendered width of each text run (a stamped line is one run: pyHanko tags it
    with /ActualText, which pdftotext keeps whole)."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return {m.group(3): float(m.group(2)) - float(m.group(1)) for m in _WORD_RE.finditer(html)}


def _filled(text: str, size: int = 13) -> bytes:
    layout = DraftLayout(leader=Rect(300, 100, 200, 80), number=Rect(60, 700, 400, 24), seal=False)
    draft = prepare_draft(make_pdf(["x"]), layout)
    # the number field's /DA says 13 pt; the fill keeps it while the text fits
    assert size == 13
    return fill_fields(draft, {"doc_number": text})


@pytest.mark.parametrize("style", ["Regular", "Italic"])
def test_shipped_font_is_rescaled_renamed_and_licensed(style):
    from importlib import resources

    assets = resources.files("signing") / "assets"
    font = TTFont(BytesIO((assets / f"EofficeSerif-{style}.ttf").read_bytes()))
    assert font["head"].unitsPerEm == 1000
    # OFL: a Modified Version may not use the Reserved Font Names "Liberation" or "Tinos"
    for name_id in (1, 4, 6):
        assert "Liberation" not in font["name"].getDebugName(name_id)
    assert "SIL Open Font License" in (assets / "OFL.txt").read_text(encoding="utf-8")


def test_liberation_metrics_and_vietnamese_coverage():
    from importlib import resources

    data = (resources.files("signing") / "assets" / "EofficeSerif-Regular.ttf").read_bytes()
    font = TTFont(BytesIO(data))
    # Times New Roman's 'A' is 1479/2048 em: 722 in thousandths
    assert font["hmtx"]["A"][0] == 722
    cmap = font.getBestCmap()
    for char in "ĂÂĐÊÔƠƯăâđêôơưẠảẤầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ":
        assert ord(char) in cmap, char


def test_rendered_width_matches_font_metrics(tmp_path):
    name = f"{WORD} Văn An"
    widths = _word_widths(_filled(name), tmp_path)
    # Times New Roman metrics: N 722 + g u y ễ n 444-500 each: about 41 pt at 13 pt
    assert 38 < text_width(WORD, 13) < 44
    assert widths[name] == pytest.approx(text_width(name, 13), abs=1.0)


def test_italic_date_line_renders_at_its_width(tmp_path):
    layout = DraftLayout(
        leader=Rect(300, 100, 200, 80), issue_date=Rect(60, 700, 400, 24), seal=False
    )
    filled = fill_fields(
        prepare_draft(make_pdf(["x"]), layout), {"issue_date": "Hà Nội, ngày 05 tháng 3"}
    )
    line = "Hà Nội, ngày 05 tháng 3"
    widths = _word_widths(filled, tmp_path)
    assert widths[line] == pytest.approx(text_width(line, 13, FontStyle.ITALIC), abs=1.0)
    assert text_width(line, 13, FontStyle.ITALIC) != text_width(line, 13)


def test_decomposed_input_is_normalised_to_nfc(tmp_path):
    decomposed = "Nguye\u0302\u0303n"  # e + combining circumflex + combining tilde
    assert decomposed != WORD
    filled = _filled(decomposed)
    assert read_field_values(filled)["doc_number"] == WORD
    assert WORD in _word_widths(filled, tmp_path)


def test_upstream_pyhanko_spreads_letters_for_fonts_not_at_1000_units(tmp_path):
    """Documents the pyHanko 0.38 bug our prepared font works around.

    If this starts failing, pyHanko scales /W by units-per-em itself: the rescaled asset is then
    no longer needed (see signing/tools/prepare_font.py).
    """
    upem = TTFont(DEJAVU)["head"].unitsPerEm
    assert upem == 2048
    writer = IncrementalPdfFileWriter(BytesIO(make_pdf(["x"])))
    style = TextStampStyle(
        stamp_text=WORD,
        text_box_style=TextBoxStyle(
            font=GlyphAccumulatorFactory(DEJAVU, font_size=13), font_size=13
        ),
        border_width=0,
    )
    TextStamp(writer, style).apply(0, 100, 500)
    out = BytesIO()
    writer.write(out)
    measured = _word_widths(out.getvalue(), tmp_path)[WORD]
    face = TTFont(DEJAVU)
    cmap = face.getBestCmap()
    true_width = sum(face["hmtx"][cmap[ord(c)]][0] for c in WORD) / upem * 13
    assert measured == pytest.approx(true_width * upem / 1000, rel=0.05)
