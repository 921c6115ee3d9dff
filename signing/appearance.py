"""Visible appearances: signature blocks, the seal, attachment stamps, filled text fields, QR.

One stamp shape covers every case: an optional image (fitted, centred) above a band of text lines
set in the prepared Eoffice Serif font. Geometry lives in :func:`block_geometry` so the draft can
place the seal field over the leader's signature image before anyone signs.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.writer import BasePdfFileWriter, init_xobject_dictionary
from pyhanko.stamp import BaseStamp, BaseStampStyle

from signing.errors import ImageInvalid
from signing.fonts import FontStyle, StampFont, nfc, text_width

__all__ = [
    "Align",
    "BlockStampStyle",
    "ImageRect",
    "block_geometry",
    "fit_font_size",
    "png_size_pt",
    "qr_xobject",
    "render_block",
]

pdf_name = generic.NameObject
_LEADING = 1.2
_PAD = 1.0


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class ImageRect:
    """Where an image lands inside a stamp box (points, origin at the box's lower left)."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class _Png:
    width: int
    height: int
    dpi: tuple[float, float] | None
    rgb: bytes
    """Flate-encoded RGB samples."""
    alpha: bytes | None
    """Flate-encoded alpha channel (soft mask), when the image has transparency."""


@functools.lru_cache(maxsize=64)
def _decode_png(data: bytes) -> _Png:
    """Decode and Flate-encode a PNG once; signing the next document reuses the result."""
    import zlib

    try:
        img = Image.open(BytesIO(data))
        if img.format != "PNG":
            raise ImageInvalid(f"định dạng {img.format}, cần PNG")
        img.load()
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise ImageInvalid(str(e)) from e
    rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A")
    lowest, _highest = alpha.getextrema()
    has_alpha = int(lowest) < 255  # type: ignore[arg-type]  # one band: a pair of ints
    dpi: tuple[float, float] | None = img.info.get("dpi")
    return _Png(
        width=img.width,
        height=img.height,
        dpi=(float(dpi[0]), float(dpi[1])) if dpi and dpi[0] and dpi[1] else None,
        rgb=zlib.compress(rgba.convert("RGB").tobytes(), 6),
        alpha=zlib.compress(alpha.tobytes(), 6) if has_alpha else None,
    )


def png_size_pt(data: bytes, default_dpi: float = 300.0) -> tuple[float, float]:
    """Return the physical size in points of a PNG from its DPI (``default_dpi`` when absent).

    :raises ImageInvalid: when the data is not a PNG.
    """
    png = _decode_png(data)
    dpi_x, dpi_y = png.dpi or (default_dpi, default_dpi)
    return png.width * 72 / dpi_x, png.height * 72 / dpi_y


def _image_xobject(writer: BasePdfFileWriter, png: _Png) -> generic.IndirectObject:
    def stream(samples: bytes, colour: str) -> generic.StreamObject:
        return generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(png.width),
                pdf_name("/Height"): generic.NumberObject(png.height),
                pdf_name("/ColorSpace"): pdf_name(colour),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
            },
            encoded_data=samples,
        )

    image = stream(png.rgb, "/DeviceRGB")
    if png.alpha is not None:
        image[pdf_name("/SMask")] = writer.add_object(stream(png.alpha, "/DeviceGray"))
    return writer.add_object(image)


def _band_height(n_lines: int, font_size: float) -> float:
    return n_lines * font_size * _LEADING + 2 * _PAD if n_lines else 0.0


def block_geometry(
    width: float,
    height: float,
    *,
    n_lines: int,
    font_size: float,
    image_size: tuple[float, float] | None,
) -> ImageRect | None:
    """Return where the image goes in a ``width`` x ``height`` block with ``n_lines`` of text.

    The image keeps its aspect ratio, fills the space above the text band as far as it can and is
    centred in it. ``image_size`` only matters by its ratio; ``None`` means no image.
    """
    if image_size is None:
        return None
    band = _band_height(n_lines, font_size)
    area_h = max(height - band, 1.0)
    scale = min(width / image_size[0], area_h / image_size[1])
    w, h = image_size[0] * scale, image_size[1] * scale
    return ImageRect(x=(width - w) / 2, y=band + (area_h - h) / 2, width=w, height=h)


@dataclass(frozen=True)
class BlockStampStyle(BaseStampStyle):
    """Stamp style: optional PNG image above centred (or aligned) text lines."""

    image: bytes | None = None
    """PNG with transparency: the signature (blue) or the seal (red)."""
    lines: tuple[str, ...] = ()
    """Text lines, drawn below the image; NFC-normalised when drawn."""
    font_style: FontStyle = FontStyle.REGULAR
    font_size: int = 8
    align: Align = Align.CENTER
    text_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    border_width: int = 0
    vertical_center_text: bool = False
    """Centre the text band vertically (single-line text fields) instead of at the bottom."""

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict
    ) -> BlockStamp:
        return BlockStamp(writer, self, box)


class BlockStamp(BaseStamp):
    """Renders a :class:`BlockStampStyle` into a form XObject."""

    style: BlockStampStyle

    def _render_inner_content(self) -> list[bytes]:
        style = self.style
        box = self.box
        ops: list[bytes] = []
        if style.image is not None:
            png = _decode_png(style.image)
            rect = block_geometry(
                box.width,
                box.height,
                n_lines=len(style.lines),
                font_size=style.font_size,
                image_size=(png.width, png.height),
            )
            assert rect is not None
            name = f"/Im{uuid.uuid4().hex[:8]}"
            image = _image_xobject(self._ensure_writer, png)
            self.set_resource(ResourceType.XOBJECT, pdf_name(name), image)
            ops.append(
                b"q %g 0 0 %g %g %g cm %s Do Q"
                % (rect.width, rect.height, rect.x, rect.y, name.encode("ascii"))
            )
        if style.lines:
            ops.append(self._render_lines())
        return ops

    def _render_lines(self) -> bytes:
        style = self.style
        size = style.font_size
        leading = size * _LEADING
        engine = StampFont(style.font_style, size).create_font_engine(self._ensure_writer)
        engine.font_size = size
        self.set_resource(ResourceType.FONT, pdf_name("/F1"), engine.as_resource())
        band = _band_height(len(style.lines), size)
        top = (self.box.height + band) / 2 if style.vertical_center_text else band
        # baseline of the first line: one leading below the band's top, lifted by the descent
        baseline = top - _PAD - leading + (leading - size) / 2 + size * 0.22
        ops = [b"BT /F1 %d Tf %g %g %g rg" % (size, *style.text_color)]
        for i, raw in enumerate(style.lines):
            line = nfc(raw)
            shaped = engine.shape(line)
            width = shaped.x_advance * size
            x = {
                Align.LEFT: 2 * _PAD,
                Align.CENTER: (self.box.width - width) / 2,
                Align.RIGHT: self.box.width - width - 2 * _PAD,
            }[style.align]
            ops.append(b"1 0 0 1 %g %g Tm %s" % (x, baseline - i * leading, shaped.graphics_ops))
        ops.append(b"ET")
        return b" ".join(ops)


def render_block(
    writer: BasePdfFileWriter, style: BlockStampStyle, width: float, height: float
) -> BlockStamp:
    """Render a block stamp of the given size for ``writer`` (e.g. a text field appearance)."""
    stamp = BlockStamp(writer, style, layout.BoxConstraints(width=width, height=height))
    stamp.register()
    return stamp


def fit_font_size(text: str, width: float, size: int, style: FontStyle) -> int:
    """Return ``size``, reduced until ``text`` fits in ``width`` points (never below 6 pt)."""
    while size > 6 and text_width(text, size, style) > width - 4 * _PAD:
        size -= 1
    return size


def qr_xobject(writer: BasePdfFileWriter, url: str, size: float) -> generic.IndirectObject:
    """Return a form XObject of ``size`` x ``size`` points drawing a QR code for ``url``."""
    import qrcode
    from pyhanko.pdf_utils.qr import PdfStreamQRImage

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    qr.add_data(url)
    qr.make(fit=True)
    img = qr.make_image(image_factory=PdfStreamQRImage)
    natural = (qr.modules_count + 2 * qr.border) * qr.box_size
    scale = size / natural
    commands = b"q %g 0 0 %g 0 0 cm %s Q" % (scale, scale, img.render_command_stream())
    xobj = init_xobject_dictionary(commands, size, size)
    xobj.compress()
    return writer.add_object(xobj)
