"""Prepare the stamp fonts shipped in signing/assets/ from Debian's fonts-liberation2.

Run once (and again when the source font changes):

    apt-get install fonts-liberation2
    .venv/bin/python signing/tools/prepare_font.py

Why: pyHanko 0.38 writes glyph widths (/W) and TJ adjustments in the font's raw units instead of
thousandths of an em, so any font whose units-per-em is not 1000 (Liberation uses 2048) renders
with letters about twice as far apart. Rescaling the font to 1000 units per em sidesteps the bug.
Subsetting to Latin + Vietnamese keeps the asset small and makes per-document embedding cheap.

Liberation is licensed under the SIL OFL 1.1 with the Reserved Font Names "Liberation" (Red Hat)
and "Tinos" (Google), so the modified font is renamed "Eoffice Serif" and ships with the licence.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

SOURCE_DIR = Path("/usr/share/fonts/truetype/liberation2")
COPYRIGHT_FILE = Path("/usr/share/doc/fonts-liberation2/copyright")
OUT_DIR = Path(__file__).resolve().parents[1] / "assets"
FAMILY = "Eoffice Serif"
PS_FAMILY = "EofficeSerif"
STYLES = {"Regular": "LiberationSerif-Regular.ttf", "Italic": "LiberationSerif-Italic.ttf"}

# Latin and Vietnamese: ASCII, Latin-1, Latin Extended-A, ơ/ư, combining tone marks,
# Latin Extended Additional (precomposed Vietnamese), common punctuation, đồng and euro signs.
UNICODE_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x0100, 0x017F),
    (0x01A0, 0x01A1),
    (0x01AF, 0x01B0),
    (0x0300, 0x0303),
    (0x0306, 0x0306),
    (0x0309, 0x0309),
    (0x0323, 0x0323),
    (0x1EA0, 0x1EF9),
    (0x2010, 0x2027),
    (0x2030, 0x203A),
    (0x20AB, 0x20AC),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
)


def _unicodes() -> list[int]:
    return [cp for lo, hi in UNICODE_RANGES for cp in range(lo, hi + 1)]


def _subset(font: TTFont) -> None:
    options = subset.Options()
    options.hinting = False  # instructions are meaningless after rescaling
    options.layout_features = ["kern", "liga", "ccmp", "mark", "mkmk", "locl"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=_unicodes())
    subsetter.subset(font)


def _rename(font: TTFont, style: str) -> None:
    name = font["name"]
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    ps_name = f"{PS_FAMILY}-{style}"
    version = name.getDebugName(5) or ""
    replacements = {
        1: FAMILY,
        3: f"{ps_name}; derived from Liberation Serif {version}",
        4: full,
        6: ps_name,
        10: (
            "Derived from Liberation Serif (Times New Roman metrics): subset to Latin and "
            "Vietnamese, rescaled to 1000 units per em, renamed as the OFL requires."
        ),
    }
    for record in list(name.names):
        if record.nameID == 7:  # the "Liberation" trademark notice does not apply any more
            name.removeNames(nameID=7)
        elif record.nameID in (16, 17):
            name.removeNames(nameID=record.nameID)
    for name_id, value in replacements.items():
        name.setName(value, name_id, 3, 1, 0x409)
        name.setName(value, name_id, 1, 0, 0)


def prepare(style: str, source_dir: Path, out_dir: Path) -> Path:
    """Subset, rescale and rename one style; return the written path."""
    font = TTFont(source_dir / STYLES[style])
    _subset(font)
    scale_upem(font, 1000)
    _rename(font, style)
    out = out_dir / f"{PS_FAMILY}-{style}.ttf"
    font.save(out)
    return out


def write_licence(copyright_file: Path, out_dir: Path) -> Path:
    """Extract the OFL text and copyright lines from the Debian copyright file."""
    text = copyright_file.read_text(encoding="utf-8")
    block = text.split("\n\n")[1]  # the "Files: *" paragraph covers the fonts
    copyright_lines = re.search(r"Copyright:\n((?: .*\n)+)", block + "\n")
    licence = block.split("License: SIL-OFL-1.1\n", 1)[1]
    body = "\n".join("" if line == " ." else line[1:] for line in licence.splitlines())
    header = (
        "Eoffice Serif is a Modified Version of Liberation Serif 2.1.5 "
        "(Debian package fonts-liberation2),\n"
        "subset and rescaled by signing/tools/prepare_font.py. It is not the Liberation font.\n\n"
    )
    holders = copyright_lines.group(1) if copyright_lines else ""
    out = out_dir / "OFL.txt"
    out.write_text(header + holders.replace("\n ", "\n").strip() + "\n\n" + body + "\n")
    return out


def main() -> None:
    """Write the fonts and their licence to signing/assets/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, default=SOURCE_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for style in STYLES:
        print(prepare(style, args.source_dir, args.out_dir))
    print(write_licence(COPYRIGHT_FILE, args.out_dir))


if __name__ == "__main__":
    main()
