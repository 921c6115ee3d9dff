"""The stamp font (Eoffice Serif: Liberation Serif with Times New Roman metrics, Vietnamese ready).

pyHanko 0.38 writes glyph widths in raw font units (see signing/tools/prepare_font.py), so the
shipped fonts are rescaled to 1000 units per em, where raw units and PDF glyph space agree.

The font files are small (Latin and Vietnamese only), so every document embeds the whole prepared
program instead of subsetting it per stamp: subsetting costs about 9 ms per stamp, embedding a
cached, already compressed stream costs nothing. Within one PDF revision, all stamps using the
same font and size share one embedded font.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
import zlib
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from io import BytesIO

import uharfbuzz as hb
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

__all__ = ["FontStyle", "StampFont", "nfc", "text_width"]

pdf_name = generic.NameObject


class FontStyle(StrEnum):
    REGULAR = "Regular"
    ITALIC = "Italic"


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, so Vietnamese letters map to the font's precomposed glyphs.

    Text typed on some systems arrives decomposed (base letter + combining marks); the shaper
    would then stack marks from the font's anchors, which looks worse and breaks copy-paste.
    """
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class _LoadedFont:
    """Everything a stamp needs from one font file, read once per process."""

    ps_name: str
    program: bytes
    """The TrueType program, zlib-compressed for /FontFile2."""
    program_length: int
    widths: tuple[int, ...]
    """Advance width of every glyph, in 1/1000 em (the font is 1000 units per em)."""
    glyph_names: tuple[str, ...]
    reverse_cmap: dict[str, set[int]]
    descriptor: dict[str, object]
    hb_font: hb.Font


@functools.cache
def _load(style: FontStyle) -> _LoadedFont:
    data = (resources.files("signing") / "assets" / f"EofficeSerif-{style.value}.ttf").read_bytes()
    tt = TTFont(BytesIO(data))
    if tt["head"].unitsPerEm != 1000:
        raise RuntimeError("stamp fonts must be prepared at 1000 units per em")
    names = tuple(tt.getGlyphOrder())
    hmtx = tt["hmtx"]
    head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
    descriptor = {
        "/Ascent": hhea.ascent,
        "/Descent": hhea.descent,
        "/FontBBox": [head.xMin, head.yMin, head.xMax, head.yMax],
        "/Flags": 0b0100010
        if style is FontStyle.REGULAR
        else 0b1100010,  # serif, nonsymbolic, italic
        "/StemV": int(10 + 220 * (os2.usWeightClass - 50) / 900),
        "/ItalicAngle": float(tt["post"].italicAngle),
        "/CapHeight": getattr(os2, "sCapHeight", 700),
    }
    return _LoadedFont(
        ps_name=tt["name"].getDebugName(6) or f"EofficeSerif-{style.value}",
        program=zlib.compress(data, 9),
        program_length=len(data),
        widths=tuple(hmtx[name][0] for name in names),
        glyph_names=names,
        reverse_cmap=tt["cmap"].buildReversed(),
        descriptor=descriptor,
        hb_font=hb.Font(hb.Face(data)),
    )


class _GlyphNames:
    """The slice of fontTools' TTFont that GlyphAccumulator.shape() touches."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names

    def getGlyphName(self, gid: int) -> str:  # noqa: N802  # mirrors fontTools' API
        return self._names[gid]


# HarfBuzz fonts are immutable once built, but shaping from several threads at once is only
# documented as safe for hb_font_t, not for the Python wrapper; serialise to be sure.
_SHAPE_LOCK = threading.Lock()


class _EmbeddedFontEngine(GlyphAccumulator):
    """GlyphAccumulator that embeds the whole preloaded font instead of a fresh subset.

    Relies on GlyphAccumulator internals of pyHanko 0.38 (setup.cfg pins <0.39); the tests on
    rendered widths catch a change.
    """

    def __init__(self, writer: BasePdfFileWriter, font: _LoadedFont, font_size: int, shared: bool):
        FontEngine.__init__(
            self, writer, font.ps_name, embedded_subset=not shared, font_size=font_size
        )
        self._font = font
        self.hb_font = font.hb_font
        self.tt = _GlyphNames(font.glyph_names)
        self.use_raw_gids = True
        self.features = None
        self.units_per_em = 1000
        self.ot_language_tag = self.ot_script_tag = self.writing_direction = None
        self.bcp47_lang_code = "vi"
        self._glyphs: dict[int, tuple[int, int]] = {}
        self._cid_to_unicode: dict[int, str] = {}
        self._font_ref = writer.allocate_placeholder()
        self._write_prepared = False

    @property
    def _reverse_cmap(self):
        return self._font.reverse_cmap

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        result = self._glyphs[glyph_id] = (glyph_id, self._font.widths[glyph_id])
        return result

    def shape(self, txt: str, with_actual_text: bool = True):
        with _SHAPE_LOCK:
            return super().shape(nfc(txt), with_actual_text=with_actual_text)

    def prepare_write(self) -> None:
        if self._write_prepared:
            return
        writer = self.writer
        type0 = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type0"),
                pdf_name("/BaseFont"): self._base(),
                pdf_name("/Encoding"): pdf_name("/Identity-H"),
                pdf_name("/DescendantFonts"): generic.ArrayObject(
                    [writer.add_object(self._cid_font())]
                ),
                pdf_name("/ToUnicode"): writer.add_object(self._format_tounicode_cmap()),
            }
        )
        writer.add_object(type0, idnum=self._font_ref.idnum)
        self._write_prepared = True

    def _cid_font(self) -> generic.DictionaryObject:
        return generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/CIDFontType2"),
                pdf_name("/BaseFont"): self._base(),
                pdf_name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        pdf_name("/Registry"): generic.pdf_string("Adobe"),
                        pdf_name("/Ordering"): generic.pdf_string("Identity"),
                        pdf_name("/Supplement"): generic.NumberObject(0),
                    }
                ),
                pdf_name("/CIDToGIDMap"): pdf_name("/Identity"),
                pdf_name("/FontDescriptor"): self.writer.add_object(self._descriptor()),
                pdf_name("/W"): self._widths_array(),
            }
        )

    def _descriptor(self) -> generic.DictionaryObject:
        font = self._font
        descriptor = generic.DictionaryObject(
            {pdf_name("/Type"): pdf_name("/FontDescriptor"), pdf_name("/FontName"): self._base()}
        )
        for key, value in font.descriptor.items():
            descriptor[pdf_name(key)] = _pdf_value(value)
        program = generic.StreamObject(
            {
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
                pdf_name("/Length1"): generic.NumberObject(font.program_length),
            },
            encoded_data=font.program,
        )
        descriptor[pdf_name("/FontFile2")] = self.writer.add_object(program)
        return descriptor

    def _base(self) -> generic.NameObject:
        prefix = f"{self.subset_prefix}+" if self.subset_prefix else ""
        return pdf_name(f"/{prefix}{self._font.ps_name}")

    def _widths_array(self) -> generic.ArrayObject:
        # one "cid [w]" pair per used glyph: short, and exact whatever the gaps between gids
        out = generic.ArrayObject()
        for cid, width in sorted(self._glyphs.values()):
            out.append(generic.NumberObject(cid))
            out.append(generic.ArrayObject([generic.NumberObject(width)]))
        return out


def _pdf_value(value: object) -> generic.PdfObject:
    if isinstance(value, list):
        return generic.ArrayObject([generic.NumberObject(int(v)) for v in value])
    if isinstance(value, float):
        return generic.FloatObject(value)
    return generic.NumberObject(int(value))  # type: ignore[call-overload]  # ints from fontTools


@dataclass(frozen=True)
class StampFont(FontEngineFactory):
    """pyHanko font factory for the prepared Eoffice Serif font."""

    style: FontStyle = FontStyle.REGULAR
    font_size: int = 10

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream=None) -> FontEngine:
        font = _load(self.style)
        shared = writer.get_subset_collection(font.ps_name).subsets.get(None)
        if isinstance(shared, _EmbeddedFontEngine) and shared.font_size == self.font_size:
            return shared
        return _EmbeddedFontEngine(writer, font, self.font_size, shared=shared is None)


def text_width(text: str, font_size: float, style: FontStyle = FontStyle.REGULAR) -> float:
    """Return the advance width in points of ``text`` set in the stamp font at ``font_size``."""
    buf = hb.Buffer()
    buf.add_str(nfc(text))
    buf.guess_segment_properties()
    with _SHAPE_LOCK:
        hb.shape(_load(style).hb_font, buf)
    return sum(pos.x_advance for pos in buf.glyph_positions) * font_size / 1000
