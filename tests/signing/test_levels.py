"""PAdES levels: what is reached, and how a missing service degrades or fails."""

from __future__ import annotations

import socket
import subprocess
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import (
    AttachmentStamp,
    BottomLine,
    Level,
    SigningServices,
    sign_attachment,
    sign_invisible,
    validate_pdf,
)
from signing.errors import CertificateUntrusted, LevelUnavailable, TimestampUnavailable

from .conftest import make_pdf


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    return make_pdf(["Phụ lục kèm theo"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("level", list(Level), ids=[lvl.value for lvl in Level])
def test_each_level_is_reached_with_local_services(level, plain_pdf, leader_key, online, offline):
    result = sign_invisible(plain_pdf, leader_key, level=level, services=online, strict_level=True)
    assert result.level is level
    reader = PdfFileReader(BytesIO(result.pdf))
    assert ("/DSS" in reader.root) == (level.rank >= Level.B_LT.rank)
    assert len(reader.embedded_timestamp_signatures) == (1 if level is Level.B_LTA else 0)
    report = validate_pdf(result.pdf, offline)
    sig = report.signatures[0]
    assert (sig.timestamp is not None) == (level.rank >= Level.B_T.rank)
    # offline, only documents carrying their revocation data (B-LT and up) are fully green
    expected = BottomLine.GREEN if level.rank >= Level.B_LT.rank else BottomLine.AMBER
    assert report.bottom_line is expected, report.reasons


def test_without_tsa_the_level_degrades_or_fails(plain_pdf, leader_key, offline):
    result = sign_invisible(plain_pdf, leader_key, level=Level.B_T, services=offline)
    assert result.level is Level.B_B
    with pytest.raises(LevelUnavailable):
        sign_invisible(plain_pdf, leader_key, level=Level.B_T, services=offline, strict_level=True)


def test_unreachable_tsa(plain_pdf, leader_key):
    down = SigningServices(tsa_url=f"http://127.0.0.1:{_closed_port()}/tsa", timeout=2)
    assert sign_invisible(plain_pdf, leader_key, level=Level.B_T, services=down).level is Level.B_B
    with pytest.raises(TimestampUnavailable):
        sign_invisible(plain_pdf, leader_key, level=Level.B_T, services=down, strict_level=True)


def test_lt_needs_a_trusted_chain(plain_pdf, leader_key, pki_env):
    untrusted = SigningServices(tsa_url=pki_env.pki.tsa_url, timeout=5)  # no trust roots
    assert (
        sign_invisible(plain_pdf, leader_key, level=Level.B_LT, services=untrusted).level
        is Level.B_T
    )
    with pytest.raises(CertificateUntrusted):
        sign_invisible(
            plain_pdf, leader_key, level=Level.B_LT, services=untrusted, strict_level=True
        )


def test_attachment_signature_top_right_with_number_and_iso_time(
    plain_pdf, agency_key, online, tmp_path
):
    result = sign_attachment(
        plain_pdf, agency_key, AttachmentStamp("12/QĐ-UBND"), level=Level.B_T, services=online
    )
    reader = PdfFileReader(BytesIO(result.pdf))
    (sig,) = reader.embedded_signatures
    x0, y0, x1, y1 = (float(v) for v in sig.sig_field["/Rect"])
    assert x1 <= 595.28 - 15 * 72 / 25.4 and x0 > 595.28 / 2  # right half, inside the margin
    assert y0 > 841.89 * 0.9  # the top of page 1...
    assert y1 == pytest.approx(841.89 - 10 * 72 / 25.4)  # ...10 mm below the edge
    path = tmp_path / "attachment.pdf"
    path.write_bytes(result.pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "12/QĐ-UBND" in text
    assert result.signing_time.isoformat() in text
    assert result.signing_time.isoformat().endswith("+07:00")
    report = validate_pdf(result.pdf, online)
    assert report.bottom_line is BottomLine.GREEN, report.reasons
