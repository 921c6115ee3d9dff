"""The demo PKI's certificates and the local TSA/OCSP/CRL services, checked with plain HTTP."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from signing.errors import PkiError, WrongPassphrase
from signing.pki import build_demo_pki, issue_identity

from .conftest import AGENCY, LEADER, PASSPHRASE


def _get(url: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # loopback
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers["Content-Type"]


def _cert(pki_env, relative: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki_env.pki.path(relative).read_bytes())


def test_certificate_profiles(pki_env):
    leader = _cert(pki_env, pki_env.pki.identity(LEADER).cert_path)
    usage = leader.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    aia = leader.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert any(pki_env.services.base_url in d.access_location.value for d in aia)
    seal = _cert(pki_env, pki_env.pki.identity(AGENCY).cert_path)
    assert seal.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == AGENCY
    tsa = _cert(pki_env, "ca/tsa.pem")
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_keys_need_the_passphrase(pki_env):
    with pytest.raises(WrongPassphrase):
        issue_identity(pki_env.pki, "Ai đó", kind="leader", passphrase="sai")


def test_a_directory_holds_one_pki(pki_env):
    with pytest.raises(PkiError):
        build_demo_pki(pki_env.directory, leaders=[], agencies=[], passphrase=PASSPHRASE)


def test_crl_lists_the_revoked_certificate(pki_env):
    status, body, content_type = _get(f"{pki_env.services.base_url}/crl/intermediate-ca.crl")
    assert status == 200 and content_type == "application/pkix-crl"
    crl = x509.load_der_x509_crl(body)
    revoked = crl.get_revoked_certificate_by_serial_number(pki_env.serial("revoked"))
    assert revoked is not None
    assert crl.get_revoked_certificate_by_serial_number(pki_env.serial("nguyen-van-an")) is None
    issuer = _cert(pki_env, "ca/intermediate-ca.pem")
    assert crl.is_signature_valid(issuer.public_key())


@pytest.mark.parametrize(
    ("stem", "expected"),
    [("nguyen-van-an", ocsp.OCSPCertStatus.GOOD), ("revoked", ocsp.OCSPCertStatus.REVOKED)],
)
def test_ocsp_answers(pki_env, stem, expected):
    cert = _cert(pki_env, f"leaders/{stem}.pem")
    issuer = _cert(pki_env, "ca/intermediate-ca.pem")
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    status, body, content_type = _get(
        f"{pki_env.services.base_url}/ocsp",
        request.public_bytes(serialization.Encoding.DER),
        "application/ocsp-request",
    )
    assert status == 200 and content_type == "application/ocsp-response"
    response = ocsp.load_der_ocsp_response(body)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is expected
    responder = _cert(pki_env, "ca/ocsp.pem")
    responder.public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        padding.PKCS1v15(),
        response.signature_hash_algorithm,
    )


def test_tsa_answers_rfc3161(pki_env):
    digest = hashlib.sha256(b"van ban").digest()
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "cert_req": True,
        }
    )
    status, body, content_type = _get(
        f"{pki_env.services.base_url}/tsa", request.dump(), "application/timestamp-query"
    )
    assert status == 200 and content_type == "application/timestamp-reply"
    response = tsp.TimeStampResp.load(body)
    assert response["status"]["status"].native == "granted"
    tst = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert tst["message_imprint"]["hashed_message"].native == digest


def test_bad_requests(pki_env):
    assert _get(f"{pki_env.services.base_url}/tsa", b"rac", "application/timestamp-query")[0] == 400
    assert _get(f"{pki_env.services.base_url}/khong-co")[0] == 404
    assert _get(f"{pki_env.services.base_url}/crl/khac.crl")[0] == 404
