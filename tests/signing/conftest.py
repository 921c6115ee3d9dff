"""Fixtures for the signing library: one demo PKI with live local services per test session.

The PKI is built once (session scope) after binding the local TSA/OCSP/CRL server to a free
loopback port, because that URL goes into the certificates. It holds good leader and agency
certificates plus deliberately faulty ones (expired, not yet valid, no signing key usage,
revoked).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

from signing import (
    DraftLayout,
    Rect,
    SigningKey,
    SigningServices,
    load_pkcs12,
    load_trust_dir,
    prepare_draft,
)
from signing.pki import DemoPki, build_demo_pki, issue_identity, revoke
from signing.services import LocalServices, start_local_services

PASSPHRASE = "mật-khẩu-thử-nghiệm"
LEADER = "Nguyễn Văn An"
DEPUTY = "Trần Thị Bình"
AGENCY = "Ủy ban nhân dân tỉnh Thử Nghiệm"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
MM = 72 / 25.4

LAYOUT = DraftLayout(
    leader=Rect(330, 150, 190, 90, page=-1),
    number=Rect(70, 745, 140, 18),
    issue_date=Rect(290, 745, 250, 18),
    qr=Rect(40, 40, 20 * MM, 20 * MM),
    verify_url="https://eoffice.example.gov.vn/xac-thuc/VB-2025-000123",
)


@dataclass(frozen=True)
class PkiEnv:
    pki: DemoPki
    services: LocalServices

    @property
    def directory(self) -> Path:
        return self.pki.directory

    def p12(self, stem_or_name: str) -> bytes:
        for ident in self.pki.identities:
            if stem_or_name in (ident.name, Path(ident.p12_path).stem):
                return self.pki.path(ident.p12_path).read_bytes()
        raise KeyError(stem_or_name)

    def serial(self, stem: str) -> int:
        return next(i.serial for i in self.pki.identities if Path(i.p12_path).stem == stem)


@pytest.fixture(scope="session")
def pki_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PkiEnv]:
    directory = tmp_path_factory.mktemp("pki")
    services = start_local_services(directory, PASSPHRASE, serve=False)
    pki = build_demo_pki(
        directory,
        leaders=[LEADER, DEPUTY],
        agencies=[AGENCY],
        passphrase=PASSPHRASE,
        base_url=services.base_url,
    )
    now = datetime.now(UTC)
    faulty = {
        "expired": {"not_before": now - timedelta(days=400), "not_after": now - timedelta(days=2)},
        "future": {"not_before": now + timedelta(days=30), "not_after": now + timedelta(days=400)},
        "no-usage": {"key_usage": False},
        "revoked": {},
    }
    for stem, kwargs in faulty.items():
        pki = issue_identity(
            pki, f"Người thử {stem}", kind="leader", passphrase=PASSPHRASE, file_stem=stem, **kwargs
        )
    pki = revoke(pki, pki.identity("Người thử revoked").serial, passphrase=PASSPHRASE)
    services.serve_in_thread()
    yield PkiEnv(pki, services)
    services.stop()


@pytest.fixture(scope="session")
def load_key(pki_env: PkiEnv) -> Callable[[str], SigningKey]:
    cache: dict[str, SigningKey] = {}

    def load(stem_or_name: str) -> SigningKey:
        if stem_or_name not in cache:
            cache[stem_or_name] = load_pkcs12(pki_env.p12(stem_or_name), PASSPHRASE)
        return cache[stem_or_name]

    return load


@pytest.fixture(scope="session")
def leader_key(load_key: Callable[[str], SigningKey]) -> SigningKey:
    return load_key(LEADER)


@pytest.fixture(scope="session")
def agency_key(load_key: Callable[[str], SigningKey]) -> SigningKey:
    return load_key(AGENCY)


@pytest.fixture(scope="session")
def online(pki_env: PkiEnv) -> SigningServices:
    """TSA configured, demo root trusted, OCSP/CRL fetched from the local services."""
    return SigningServices(
        tsa_url=pki_env.pki.tsa_url, trust_roots=load_trust_dir(pki_env.directory), timeout=5
    )


@pytest.fixture(scope="session")
def offline(pki_env: PkiEnv) -> SigningServices:
    """Demo root trusted, no network."""
    return SigningServices(trust_roots=load_trust_dir(pki_env.directory), allow_fetching=False)


def _png(image: Image.Image, dpi: int) -> bytes:
    out = BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    """A blue handwritten-looking stroke on a transparent background."""
    image = Image.new("RGBA", (480, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(20, 150), (90, 40), (150, 160), (230, 50), (300, 150), (460, 70)]
    draw.line(points, fill=(25, 45, 190, 255), width=9, joint="curve")
    return _png(image, 200)


@pytest.fixture(scope="session")
def seal_png() -> bytes:
    """A red ring seal, 425 px at 300 dpi = 36 mm across."""
    image = Image.new("RGBA", (425, 425), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse([6, 6, 418, 418], outline=(210, 20, 30, 255), width=16)
    draw.ellipse([90, 90, 334, 334], outline=(210, 20, 30, 255), width=7)
    draw.regular_polygon((212, 212, 60), 5, fill=(210, 20, 30, 255))
    return _png(image, 300)


def make_pdf(lines: list[str], pages: int = 1) -> bytes:
    """Return an A4 PDF with these Vietnamese lines on each page (DejaVu Serif)."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVuSerif", fname=DEJAVU)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_font("DejaVuSerif", size=13)
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.fixture(scope="session")
def draft_pdf() -> bytes:
    return make_pdf(
        [
            "ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM        CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Số:                                                        Độc lập - Tự do - Hạnh phúc",
            "QUYẾT ĐỊNH",
            "Về việc thử nghiệm ký số văn bản điện tử",
            "Điều 1. Phê duyệt kế hoạch thử nghiệm.",
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
            "CHỦ TỊCH",
        ]
    )


@pytest.fixture(scope="session")
def prepared_draft(draft_pdf: bytes, signature_png: bytes) -> bytes:
    from dataclasses import replace

    return prepare_draft(draft_pdf, replace(LAYOUT, signature_image=signature_png))


@pytest.fixture(scope="session")
def nss_db(pki_env: PkiEnv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An NSS database trusting the demo root, for poppler's pdfsig."""
    db = tmp_path_factory.mktemp("nssdb")
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{db}",
            "-n",
            "eoffice-demo-root",
            "-t",
            "CT,C,C",
            "-i",
            str(pki_env.pki.root_cert_path),
        ],
        check=True,
    )
    return db


@pytest.fixture(scope="session")
def softhsm(pki_env: PkiEnv, softhsm_tokens) -> dict:
    """A SoftHSM2 token 'eoffice' (PIN 1234) holding the leader's key and certificate."""
    softhsm_tokens.add_token("eoffice", "1234", [("leader", pki_env.p12(LEADER), PASSPHRASE)])
    return {"module": SOFTHSM_MODULE, "token": "eoffice", "pin": "1234", "label": "leader"}
