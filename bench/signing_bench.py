"""Benchmark the signing library against pyHanko's defaults (run on demand, not in tests).

    .venv/bin/python bench/signing_bench.py [--runs 30]

Each step is timed ``--runs`` times after two warm-up runs; the table shows medians, the ratio
ours/pyHanko-defaults measured in the same run, and the target from issue 4. "pyHanko defaults"
means: the key loaded once into pyHanko's SimpleSigner (which re-parses it per signature), no
``bytes_reserved`` (pyHanko sizes the container with a dry-run signature), pyHanko's stamp styles
with its GlyphAccumulator font engine, and pyHanko's validator with its default settings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from fpdf import FPDF
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

import signing
from signing.pki import build_demo_pki

PASSPHRASE = "bench"
LEADER = "Nguyễn Văn An"
AGENCY = "Ủy ban nhân dân tỉnh Thử Nghiệm"
FONT = str(Path(signing.__file__).parent / "assets" / "EofficeSerif-Regular.ttf")
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
TARGETS_MS = {"invisible": 12.5, "visible": 35.0, "issue": 60.0, "validate": 20.0}


@dataclass(frozen=True)
class Row:
    step: str
    baseline_ms: float
    ours_ms: float

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.baseline_ms


def median_ms(func: Callable[[], object], runs: int) -> float:
    func()
    func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def png(colour: tuple[int, int, int], size: tuple[int, int], dpi: int, ring: bool) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if ring:
        draw.ellipse([6, 6, size[0] - 6, size[1] - 6], outline=(*colour, 255), width=16)
    else:
        points = [(20, 150), (90, 40), (150, 160), (230, 50), (300, 150), (460, 70)]
        draw.line(points, fill=(*colour, 255), width=9)
    out = BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def draft_pdf() -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVuSerif", fname=DEJAVU)
    pdf.add_page()
    pdf.set_font("DejaVuSerif", size=13)
    for line in ("ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM", "QUYẾT ĐỊNH", "Điều 1. Thử nghiệm ký số."):
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pyhanko_sign(pdf: bytes, signer, field: str, style=None, existing: bool = False) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    pdf_signer = signers.PdfSigner(meta, signer, stamp_style=style)
    return pdf_signer.sign_pdf(writer, existing_fields_only=existing).getvalue()


def pyhanko_style(image: bytes, text: str) -> TextStampStyle:
    return TextStampStyle(
        stamp_text=text,
        background=PdfImage(Image.open(BytesIO(image))),
        background_opacity=1.0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID,
            y_align=AxisAlignment.ALIGN_MAX,
            margins=Margins(bottom=20),
        ),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(FONT, font_size=7), font_size=7),
        border_width=0,
    )


def pyhanko_validate(pdf: bytes, root: asn1_x509.Certificate) -> None:
    reader = PdfFileReader(BytesIO(pdf))
    vc = ValidationContext(trust_roots=[root])
    status = asyncio.run(_validate(reader.embedded_signatures[0], vc))
    assert status.intact


async def _validate(emb, vc):
    from pyhanko.sign.validation import async_validate_pdf_signature

    return await async_validate_pdf_signature(emb, signer_validation_context=vc)


def measure(runs: int, workdir: Path) -> list[Row]:
    pki = build_demo_pki(
        workdir / "pki", leaders=[LEADER], agencies=[AGENCY], passphrase=PASSPHRASE
    )
    leader_p12 = pki.path(pki.identity(LEADER).p12_path).read_bytes()
    agency_p12 = pki.path(pki.identity(AGENCY).p12_path).read_bytes()
    leader = signing.load_pkcs12(leader_p12, PASSPHRASE)
    agency = signing.load_pkcs12(agency_p12, PASSPHRASE)
    default_leader = signers.SimpleSigner.load_pkcs12_data(leader_p12, [], PASSPHRASE.encode())
    default_agency = signers.SimpleSigner.load_pkcs12_data(agency_p12, [], PASSPHRASE.encode())
    signature_png = png((25, 45, 190), (480, 200), 200, ring=False)
    seal_png = png((210, 20, 30), (425, 425), 300, ring=True)
    plain = draft_pdf()
    layout = signing.DraftLayout(
        leader=signing.Rect(330, 150, 190, 90),
        number=signing.Rect(70, 745, 140, 18),
        issue_date=signing.Rect(290, 745, 250, 18),
        signature_image=signature_png,
    )
    draft = signing.prepare_draft(plain, layout)
    leader_text = f"Ký bởi: {LEADER}\nThời gian: %(ts)s"
    signed = signing.sign_leader(draft, leader, signing.LeaderSignature(LEADER, signature_png)).pdf
    number, date_line = "12/QĐ-UBND", "Thử Nghiệm, ngày 05 tháng 3 năm 2025"

    def baseline_issue() -> bytes:
        filled = signing.fill_fields(signed, {"doc_number": number, "issue_date": date_line})
        style = pyhanko_style(seal_png, "%(ts)s")
        return pyhanko_sign(filled, default_agency, signing.AGENCY_FIELD, style, existing=True)

    one = signing.sign_invisible(plain, leader).pdf
    root = asn1_x509.Certificate.load(pem.unarmor(pki.root_cert_path.read_bytes())[2])
    offline = signing.SigningServices.from_trust_dir(pki.directory, allow_fetching=False)
    seal = signing.SealSignature(seal_png)
    steps = {
        "invisible": (
            lambda: pyhanko_sign(plain, default_leader, "Signature"),
            lambda: signing.sign_invisible(plain, leader),
        ),
        "visible": (
            lambda: pyhanko_sign(
                draft,
                default_leader,
                signing.LEADER_FIELD,
                pyhanko_style(signature_png, leader_text),
                existing=True,
            ),
            lambda: signing.sign_leader(
                draft, leader, signing.LeaderSignature(LEADER, signature_png)
            ),
        ),
        "issue": (
            baseline_issue,
            lambda: signing.issue_document(
                signed, agency, number=number, issue_date=date_line, seal=seal
            ),
        ),
        "validate": (
            lambda: pyhanko_validate(one, root),
            lambda: signing.validate_pdf(one, offline),
        ),
    }
    return [
        Row(name, median_ms(baseline, runs), median_ms(ours, runs))
        for name, (baseline, ours) in steps.items()
    ]


LABELS = {
    "invisible": "invisible signature (B-B)",
    "visible": "leader's visible signature (image + name + time)",
    "issue": "clerk's issue step (fill number and date + agency seal)",
    "validate": "validate a single-signature PDF",
}


def table(rows: list[Row]) -> str:
    lines = [
        "| step | pyHanko defaults (ms) | ours (ms) | ratio | target (ms) | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for row in rows:
        target = TARGETS_MS[row.step]
        met = "yes" if row.ours_ms <= target else "NO"
        lines.append(
            f"| {LABELS[row.step]} | {row.baseline_ms:.1f} | {row.ours_ms:.1f} | "
            f"{row.ratio:.2f} | {target:g} | {met} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(args.runs, Path(tmp))
    print(f"Python {sys.version.split()[0]}, median of {args.runs} runs, RSA-2048, SHA-256\n")
    print(table(rows))
    return 0 if all(r.ours_ms <= TARGETS_MS[r.step] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
