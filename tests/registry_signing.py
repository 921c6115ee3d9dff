"""Keys and drafts for tests of the registry's signing steps (documents, API, pages).

``demo_pki``: a demo PKI (EC P-256) with a leader and an agency certificate, whose OCSP/CRL/TSA
service runs on loopback. ``registry_token``: a SoftHSM2 token holding both keys. ``UsbToken``
plays the signing tool on a user's computer for external (interrupted) signing.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from sqlalchemy.orm import Session

from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.drafting import DraftForm, build_draft_pdf
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    create_draft,
    review_draft,
    submit_draft,
)
from eoffice.documents.signatures import SignatureConfig
from eoffice.org.actor import Actor
from signing.pki import DemoPki, build_demo_pki, issue_identity, write_crls
from signing.services import start_local_services
from tests.factories import Org

PASSPHRASE = "Mat-khau-ky-so-2026"
TOKEN_LABEL, TOKEN_PIN = "registry", "246810"  # no label a prefix of another:
# pkcs11-tool --token-label picks the first token whose label starts with the one given
LEADER_P12, AGENCY_P12 = "leaders/leader.p12", "seals/agency.p12"


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory):
    """A demo PKI whose OCSP/CRL service runs on loopback, so revocation can be checked."""
    directory = tmp_path_factory.mktemp("pki")
    services = start_local_services(directory / "pki", PASSPHRASE, serve=False)
    pki = build_demo_pki(
        directory / "pki",
        leaders=[],
        agencies=[],
        passphrase=PASSPHRASE,
        key_algorithm="ec-p256",
        base_url=services.base_url,
    )
    for name, kind, stem in (
        ("Lãnh đạo Thử", "leader", "leader"),
        ("Cơ quan Thử", "seal", "agency"),
    ):
        pki = issue_identity(
            pki, name, kind=kind, passphrase=PASSPHRASE, file_stem=stem, key_algorithm="ec-p256"
        )  # type: ignore[arg-type]
    write_crls(pki, PASSPHRASE)
    trust = directory / "trust"
    trust.mkdir()
    shutil.copyfile(pki.root_cert_path, trust / "root.pem")
    services.serve_in_thread()
    yield pki, trust
    services.stop()


@pytest.fixture(scope="session")
def registry_token(demo_pki, softhsm_tokens) -> str:
    """A SoftHSM2 token holding the leader's key ("leader") and the agency's ("agency")."""
    pki, _trust = demo_pki
    softhsm_tokens.add_token(
        TOKEN_LABEL,
        TOKEN_PIN,
        [
            ("leader", pki.path(LEADER_P12).read_bytes(), PASSPHRASE),
            ("agency", pki.path(AGENCY_P12).read_bytes(), PASSPHRASE),
        ],
    )
    return TOKEN_LABEL


def chain_pem(pki: DemoPki) -> bytes:
    """The intermediate CA's certificate (PEM), which a token usually lacks."""
    return (pki.directory / "ca" / "intermediate-ca.pem").read_bytes()


@dataclass
class UsbToken:
    """Plays the signing tool on the user's computer: holds the key, signs what it is given."""

    p12: bytes

    def __post_init__(self) -> None:
        key, cert, chain = pkcs12.load_key_and_certificates(self.p12, PASSPHRASE.encode())
        assert isinstance(key, ec.EllipticCurvePrivateKey) and cert is not None
        self._key = key
        self.certificate_pem = b"".join(c.public_bytes(Encoding.PEM) for c in (cert, *chain))

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def sign_b64(self, data_b64: str) -> str:
        return base64.b64encode(self.sign(base64.b64decode(data_b64))).decode("ascii")


def config_for(trust: Path, **changes) -> SignatureConfig:
    return SignatureConfig(base_url="https://vanban.example.vn", trust_dir=trust, **changes)


def approved_draft(
    session: Session, policy: FilePolicy, sender: Org, receiver: Org, subject: str = "Thử ký số"
) -> Document:
    """A draft from ``sender`` to ``receiver``, submitted, reviewed and approved."""
    form = DraftForm(
        sender.agency.name,
        "",
        None,
        subject,
        "Nội dung văn bản.",
        (receiver.agency.name,),
        "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        sender.leader.full_name,
    )
    data = DraftInput(
        meta=DocumentMetadata(type_code="CV", subject=subject),
        signer_id=sender.leader.id,
        recipient_codes=(receiver.agency.code,),
    )
    upload = Upload("d.pdf", "application/pdf", build_draft_pdf(form))
    doc = create_draft(session, Actor(user=sender.specialist), data, upload, policy)
    submit_draft(session, Actor(user=sender.specialist), doc)
    review_draft(session, Actor(user=sender.unit_head), doc)
    approve_draft(session, Actor(user=sender.leader), doc)
    return doc


def pdfsig_valid_count(pdf: bytes, pki: DemoPki, tmp_path: Path) -> int:
    """Check ``pdf`` with qpdf and poppler's pdfsig (demo root trusted in an NSS database);
    return how many signatures pdfsig finds valid."""
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    nss = tmp_path / "nss"
    nss.mkdir(exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "demo-root", "-t", "CT,C,C",
         "-i", str(pki.root_cert_path)],
        check=True,
    )  # fmt: skip
    out = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True
    )
    return out.stdout.count("Signature Validation: Signature is Valid.")


def install_usb_tokens(session: Session, org: Org, leader: UsbToken, agency: UsbToken) -> None:
    """Register the leader's and the agency's USB tokens (certificates only) with their images."""
    from eoffice.documents.demo import seal_image, signature_image
    from eoffice.org.credentials import install_external

    for owner, token, image in (
        ({"user": org.leader}, leader, signature_image(org.leader.full_name)),
        ({"agency": org.agency}, agency, seal_image(org.agency.name)),
    ):
        install_external(
            session,
            Actor.system(),
            certificate_data=token.certificate_pem,
            image_png=image,
            **owner,
        )
