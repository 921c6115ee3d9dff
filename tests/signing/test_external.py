"""Interrupted signing: the server prepares, a test plays the user's USB-token tool, the server
finishes. The private key never enters the library."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from signing import (
    LEADER_FIELD,
    BottomLine,
    LeaderSignature,
    Level,
    PendingSignature,
    finish_external,
    prepare_external,
    validate_pdf,
)
from signing.errors import CertificateRevoked, ExternalSignatureInvalid

from .conftest import LEADER, PASSPHRASE


class UsbTokenTool:
    """Plays the signing tool on the user's computer: holds the key, signs what it is given."""

    def __init__(self, p12: bytes) -> None:
        key, cert, chain = pkcs12.load_key_and_certificates(p12, PASSPHRASE.encode("utf-8"))
        self._key = key
        self.certificate = cert.public_bytes(Encoding.PEM)
        self.chain = tuple(c.public_bytes(Encoding.DER) for c in chain)

    def sign_data(self, data: bytes) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def sign_digest(self, digest: bytes) -> bytes:
        return self._key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


@pytest.fixture(scope="module")
def tool(pki_env) -> UsbTokenTool:
    return UsbTokenTool(pki_env.p12(LEADER))


def test_round_trip_through_storage(tool, prepared_draft, signature_png, offline):
    pending = prepare_external(
        prepared_draft,
        tool.certificate,
        LeaderSignature(LEADER, signature_png),
        chain=tool.chain,
        level=Level.B_B,
    )
    stored = pending.to_json()  # e.g. kept in the session between two HTTP requests
    restored = PendingSignature.from_json(stored)
    assert restored == pending
    result = finish_external(restored, tool.sign_data(restored.data_to_sign))
    assert result.pdf.startswith(prepared_draft)
    report = validate_pdf(result.pdf, offline)
    (sig,) = report.signatures
    assert sig.field == LEADER_FIELD and sig.signer == LEADER
    assert sig.intact and sig.valid and sig.trusted and sig.certified
    assert report.bottom_line is not BottomLine.RED


def test_tool_signing_a_precomputed_hash(tool, prepared_draft, online):
    pending = prepare_external(
        prepared_draft,
        tool.certificate,
        LeaderSignature(LEADER),
        chain=tool.chain,
        level=Level.B_T,
        services=online,
    )
    signature = tool.sign_digest(pending.digest_to_sign)
    result = finish_external(pending, signature, services=online)
    report = validate_pdf(result.pdf, online)
    (sig,) = report.signatures
    assert sig.timestamp is not None and sig.timestamp.trusted
    assert report.bottom_line is BottomLine.GREEN, report.reasons


def test_wrong_signature_value_is_refused(tool, prepared_draft):
    pending = prepare_external(
        prepared_draft,
        tool.certificate,
        LeaderSignature(LEADER),
        chain=tool.chain,
        level=Level.B_B,
    )
    with pytest.raises(ExternalSignatureInvalid):
        finish_external(pending, tool.sign_data(b"something else"))


def test_revoked_certificate_is_refused_before_the_user_signs(pki_env, prepared_draft, online):
    revoked = UsbTokenTool(pki_env.p12("revoked"))
    with pytest.raises(CertificateRevoked):
        prepare_external(
            prepared_draft,
            revoked.certificate,
            LeaderSignature("Người thử revoked"),
            chain=revoked.chain,
            level=Level.B_LT,
            services=online,
        )
