"""Bad input: each case is a typed error with a Vietnamese message, and the input is untouched."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter

from signing import (
    BottomLine,
    DraftLayout,
    LeaderSignature,
    Level,
    Rect,
    SealSignature,
    apply_seal,
    fill_fields,
    issue_document,
    prepare_draft,
    sign_invisible,
    sign_leader,
    validate_pdf,
)
from signing.errors import (
    BrokenSignature,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    EncryptedPdf,
    FieldAlreadyUsed,
    FieldMissing,
    KeyUsageNotAllowed,
    MalformedPdf,
    NotSignedPdf,
    SigningError,
)

from .conftest import LEADER


@pytest.fixture(scope="module")
def leader_signed(prepared_draft, leader_key) -> bytes:
    return sign_leader(prepared_draft, leader_key, LeaderSignature(LEADER)).pdf


@pytest.fixture(scope="module")
def tampered(leader_signed) -> bytes:
    """The signed document with one byte changed inside the signed range (still a valid PDF)."""
    first = leader_signed.index(b"/FitH")  # in the draft's catalog, covered by the signature
    return leader_signed[:first] + b"/FitV" + leader_signed[first + 5 :]


def _expect(error: type[SigningError], call: Callable[[bytearray], object], pdf: bytes) -> None:
    """Run ``call`` on a mutable copy of ``pdf``: it must raise ``error`` and leave it as it was."""
    buffer = bytearray(pdf)
    with pytest.raises(error) as err:
        call(buffer)
    assert bytes(buffer) == pdf
    assert err.value.vi.startswith(error.message_vi)


@pytest.mark.parametrize(
    ("stem", "error"),
    [
        ("expired", CertificateExpired),
        ("future", CertificateNotYetValid),
        ("no-usage", KeyUsageNotAllowed),
    ],
)
def test_unusable_certificates(stem, error, load_key, prepared_draft):
    key = load_key(stem)
    _expect(error, lambda pdf: sign_leader(pdf, key, LeaderSignature(stem)), prepared_draft)


def test_revoked_certificate_with_revocation_checking(load_key, prepared_draft, online):
    key = load_key("revoked")
    _expect(
        CertificateRevoked,
        lambda pdf: sign_leader(pdf, key, LeaderSignature("x"), level=Level.B_LT, services=online),
        prepared_draft,
    )


def test_revoked_signer_is_red_when_validated_online(load_key, prepared_draft, online):
    signed = sign_leader(prepared_draft, load_key("revoked"), LeaderSignature("x")).pdf
    report = validate_pdf(signed, online)
    assert report.bottom_line is BottomLine.RED
    assert report.signatures[0].revocation.value == "revoked"


def _encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    writer.encrypt("nguoi-dung", "chu-so-huu")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf(draft_pdf, leader_key):
    encrypted = _encrypted(draft_pdf)
    layout = DraftLayout(leader=Rect(300, 100, 200, 80))
    _expect(EncryptedPdf, lambda pdf: prepare_draft(pdf, layout), encrypted)
    _expect(EncryptedPdf, lambda pdf: sign_invisible(pdf, leader_key), encrypted)
    _expect(EncryptedPdf, lambda pdf: validate_pdf(pdf), encrypted)


@pytest.mark.parametrize(
    "data",
    [b"", b"day khong phai la PDF", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog"],
    ids=["empty", "text", "truncated"],
)
def test_malformed_pdf(data, leader_key):
    _expect(MalformedPdf, lambda pdf: sign_invisible(pdf, leader_key), data)
    _expect(MalformedPdf, lambda pdf: validate_pdf(pdf), data)


def test_existing_signature_already_broken(tampered, leader_key, agency_key, seal_png):
    _expect(BrokenSignature, lambda pdf: sign_invisible(pdf, leader_key), tampered)
    _expect(BrokenSignature, lambda pdf: fill_fields(pdf, {"doc_number": "1/QĐ"}), tampered)
    _expect(
        BrokenSignature,
        lambda pdf: issue_document(
            pdf, agency_key, number="1", issue_date="x", seal=SealSignature(seal_png)
        ),
        tampered,
    )
    report = validate_pdf(tampered)
    assert report.bottom_line is BottomLine.RED
    assert not report.signatures[0].intact


def test_missing_fields(draft_pdf, leader_signed, agency_key, leader_key, seal_png):
    no_seal = prepare_draft(draft_pdf, DraftLayout(leader=Rect(300, 100, 200, 80), seal=False))
    signed = sign_leader(no_seal, leader_key, LeaderSignature(LEADER)).pdf
    _expect(FieldMissing, lambda pdf: apply_seal(pdf, agency_key, SealSignature(seal_png)), signed)
    _expect(FieldMissing, lambda pdf: fill_fields(pdf, {"doc_number": "1/QĐ"}), signed)
    _expect(
        FieldMissing, lambda pdf: sign_leader(pdf, leader_key, LeaderSignature(LEADER)), draft_pdf
    )
    _expect(FieldMissing, lambda pdf: fill_fields(pdf, {"khong_co": "x"}), leader_signed)


def test_seal_before_leader_signature(prepared_draft, agency_key, seal_png):
    _expect(
        NotSignedPdf,
        lambda pdf: apply_seal(pdf, agency_key, SealSignature(seal_png)),
        prepared_draft,
    )


def test_fields_are_used_once(leader_signed, leader_key):
    _expect(
        FieldAlreadyUsed,
        lambda pdf: sign_leader(pdf, leader_key, LeaderSignature(LEADER)),
        leader_signed,
    )
    numbered = fill_fields(leader_signed, {"doc_number": "12/QĐ-UBND"})
    _expect(FieldAlreadyUsed, lambda pdf: fill_fields(pdf, {"doc_number": "13/QĐ-UBND"}), numbered)


def test_garbage_signature_container(leader_signed, leader_key):
    start = leader_signed.index(b"/Contents <") + len(b"/Contents <")
    garbage = leader_signed[:start] + b"00000000" + leader_signed[start + 8 :]
    _expect(BrokenSignature, lambda pdf: sign_invisible(pdf, leader_key), garbage)
    report = validate_pdf(garbage)
    assert report.bottom_line is BottomLine.RED
