"""The whole issue flow, checked by independent verifiers.

draft with fields and QR -> leader signature (B-LT) -> fill number and date -> agency seal (B-LTA)
"""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing import (
    AGENCY_FIELD,
    DATE_FIELD,
    LEADER_FIELD,
    NUMBER_FIELD,
    BottomLine,
    LeaderSignature,
    Level,
    Modification,
    SealSignature,
    issue_document,
    read_field_values,
    sign_leader,
    validate_pdf,
)

from .conftest import AGENCY, LEADER

NUMBER = "12/QĐ-UBND"
DATE_LINE = "Thử Nghiệm, ngày 05 tháng 3 năm 2025"


@pytest.fixture(scope="module")
def leader_signed(prepared_draft, leader_key, signature_png, online):
    return sign_leader(
        prepared_draft,
        leader_key,
        LeaderSignature(LEADER, signature_png, location="Thử Nghiệm"),
        level=Level.B_LT,
        services=online,
        strict_level=True,
    )


@pytest.fixture(scope="module")
def issued(leader_signed, agency_key, seal_png, online):
    return issue_document(
        leader_signed.pdf,
        agency_key,
        number=NUMBER,
        issue_date=DATE_LINE,
        seal=SealSignature(seal_png),
        level=Level.B_LTA,
        services=online,
        strict_level=True,
    )


@pytest.fixture(scope="module")
def issued_file(issued, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("flow") / "issued.pdf"
    path.write_bytes(issued.pdf)
    return path


def test_levels_reached(leader_signed, issued):
    assert leader_signed.level is Level.B_LT
    assert issued.level is Level.B_LTA
    assert issued.signing_time.utcoffset().total_seconds() == 7 * 3600


def test_each_step_is_an_incremental_update(prepared_draft, leader_signed, issued):
    assert leader_signed.pdf.startswith(prepared_draft)
    assert issued.pdf.startswith(leader_signed.pdf)


def test_pdfsig_accepts_both_signatures_with_demo_root(issued_file, nss_db):
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss_db}", str(issued_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
    assert f"Signature Field Name: {LEADER_FIELD}" in out
    assert f"Signature Field Name: {AGENCY_FIELD}" in out
    assert "ETSI.CAdES.detached" in out


def test_qpdf_check_passes(issued_file):
    result = subprocess.run(
        ["qpdf", "--check", str(issued_file)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_pyhanko_sees_only_form_filling_after_leader(issued, pki_env):
    root = asn1_x509.Certificate.load(pem.unarmor(pki_env.pki.root_cert_path.read_bytes())[2])
    reader = PdfFileReader(BytesIO(issued.pdf))
    leader = next(s for s in reader.embedded_regular_signatures if s.field_name == LEADER_FIELD)
    status = validate_pdf_signature(leader, ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid and status.trusted
    assert status.modification_level is ModificationLevel.FORM_FILLING
    assert status.docmdp_ok
    assert leader.docmdp_level is not None  # a certification signature allowing form filling


def test_our_report_is_green_offline_thanks_to_embedded_revocation_data(issued, offline):
    report = validate_pdf(issued.pdf, offline)
    assert report.bottom_line is BottomLine.GREEN, report.reasons
    by_field = {s.field: s for s in report.signatures if s.kind == "signature"}
    assert by_field[LEADER_FIELD].signer == LEADER
    assert by_field[LEADER_FIELD].modification_level is Modification.FORM_FILLING
    assert by_field[LEADER_FIELD].certified
    assert by_field[AGENCY_FIELD].signer == AGENCY
    assert by_field[AGENCY_FIELD].timestamp is not None and by_field[AGENCY_FIELD].timestamp.trusted
    assert any(s.kind == "timestamp" for s in report.signatures)


def test_number_and_date_are_field_values(issued):
    values = read_field_values(issued.pdf)
    assert values == {NUMBER_FIELD: NUMBER, DATE_FIELD: DATE_LINE}


def test_visible_text_extracts_in_vietnamese(issued_file):
    text = subprocess.run(
        ["pdftotext", "-layout", str(issued_file), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert NUMBER in text
    assert DATE_LINE in text
    assert f"Ký bởi: {LEADER}" in text
    assert "+07:00" in text  # the seal's ISO 8601 signing time
