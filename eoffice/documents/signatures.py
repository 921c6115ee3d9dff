"""The registry's signing steps, through ``signing/``: draft fields, leader signature, issue with
the agency seal, and validation of every signed PDF that arrives."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

import signing
from eoffice import clock
from eoffice.documents.blobs import FilePolicy
from eoffice.documents.files import read_file
from eoffice.documents.models import Document, Recipient
from eoffice.documents.numbering import date_line
from eoffice.documents.outgoing import assign_number, mark_sealed, mark_signed
from eoffice.documents.recipients import issue_document
from eoffice.errors import EofficeError, InvalidInput, NotFound
from eoffice.org.actor import Actor
from eoffice.org.credentials import active_credential
from eoffice.org.models import CredentialKind, SigningCredential

MM = 72 / 25.4
# Where the fields go on an uploaded A4 draft (NĐ 30 Phụ lục I layout): số/ký hiệu under the
# agency name at the top left, the date line at the top right, the signature block at the bottom
# right of the last page, the verification QR code at the bottom left.
DEFAULT_LAYOUT = {
    "number": signing.Rect(20 * MM, 247 * MM, 75 * MM, 8 * MM, page=0),
    "issue_date": signing.Rect(105 * MM, 247 * MM, 90 * MM, 8 * MM, page=0),
    "leader": signing.Rect(115 * MM, 30 * MM, 75 * MM, 40 * MM, page=-1),
    "qr": signing.Rect(20 * MM, 20 * MM, 22 * MM, 22 * MM, page=-1),
}


class SigningFailed(EofficeError):
    """A signing or validation step failed; the message comes from ``signing/`` in Vietnamese."""

    code = "signing_failed"
    http_status = 422


@dataclass(frozen=True)
class SignatureConfig:
    """What signing needs from the deployment's settings."""

    base_url: str
    trust_dir: Path
    tsa_url: str = ""
    online: bool = False
    """Fetch OCSP/CRL while validating. Off inside web requests (no network calls in a request's
    transaction: revocation then soft-fails to amber); on in the worker."""

    @property
    def services(self) -> signing.SigningServices:
        return signing.SigningServices(
            tsa_url=self.tsa_url or None,
            trust_roots=signing.load_trust_dir(self.trust_dir),
            allow_fetching=self.online,
            timeout=10.0,
        )

    @property
    def level(self) -> signing.Level:
        return signing.Level.B_T if self.tsa_url else signing.Level.B_B


@contextmanager
def _signing_errors() -> Iterator[None]:
    try:
        yield
    except signing.SigningError as e:
        field = "passphrase" if isinstance(e, signing.errors.KeyAccessError) else "file"
        raise SigningFailed(e.vi, code=e.code, fields={field: e.message_vi}) from e


def new_verify_code() -> str:
    return secrets.token_urlsafe(12)


def verify_url(config: SignatureConfig, code: str) -> str:
    return f"{config.base_url}/verify/{code}"


def prepare_draft_pdf(pdf: bytes, config: SignatureConfig, code: str) -> bytes:
    """Add the number, date, leader, agency fields and the QR code to a draft before signing.

    :raises SigningFailed: when the PDF cannot take the fields (already signed, malformed…).
    """
    layout = signing.DraftLayout(
        leader=DEFAULT_LAYOUT["leader"],
        number=DEFAULT_LAYOUT["number"],
        issue_date=DEFAULT_LAYOUT["issue_date"],
        qr=DEFAULT_LAYOUT["qr"],
        verify_url=verify_url(config, code),
    )
    with _signing_errors():
        return signing.prepare_draft(pdf, layout)


def _credential(
    session: Session, *, user_id: int | None = None, agency_id: int | None = None
) -> SigningCredential:
    credential = active_credential(session, user_id=user_id, agency_id=agency_id)
    if credential is None or credential.kind != CredentialKind.PKCS12 or not credential.pkcs12:
        owner = "người ký" if user_id else "cơ quan"
        raise NotFound(
            "Chưa có chứng thư số của {owner}; đề nghị quản trị cài đặt", params={"owner": owner}
        )
    return credential


def _load_key(credential: SigningCredential, passphrase: str) -> signing.SigningKey:
    if not passphrase:
        raise InvalidInput("Nhập mật khẩu khóa ký số", fields={"passphrase": "Bắt buộc"})
    assert credential.pkcs12 is not None
    with _signing_errors():
        return signing.load_pkcs12(credential.pkcs12, passphrase)


def sign_as_leader(
    session: Session,
    actor: Actor,
    document: Document,
    passphrase: str,
    policy: FilePolicy,
    config: SignatureConfig,
) -> None:
    """Sign the approved draft with the leader's personal key (PAdES, visible signature).

    :raises PermissionDenied: not the signer. :raises InvalidTransition: not approved yet.
    :raises SigningFailed: wrong passphrase, certificate problems, a broken PDF.
    """
    # The person who signs uses their own key, also when signing for a delegator (TUQ/KT).
    user = actor.user
    assert user is not None
    credential = _credential(session, user_id=user.id)
    key = _load_key(credential, passphrase)
    _, pdf = read_file(policy, document)
    # The fields and the QR code go in just before the first signature, so reviewers see the
    # draft as uploaded and nothing is drawn on the page after anyone signs.
    if document.verify_code is None:
        document.verify_code = new_verify_code()
    pdf = prepare_draft_pdf(pdf, config, document.verify_code)
    spec = signing.LeaderSignature(
        signer_name=user.full_name,
        signature_image=credential.image_png,
        location=document.agency.name,
    )
    with _signing_errors():
        result = signing.sign_leader(pdf, key, spec, level=config.level, services=config.services)
    mark_signed(session, actor, document, result.pdf, policy)


def issue_with_seal(
    session: Session,
    actor: Actor,
    document: Document,
    passphrase: str,
    policy: FilePolicy,
    config: SignatureConfig,
    place: str = "",
) -> list[Recipient]:
    """The clerk's issue step: number and date, the agency's signature with the seal, delivery.

    Runs in the caller's transaction: if any part fails, the number is given back on rollback.

    :raises InvalidTransition: unless signed. :raises SigningFailed: key or PDF problems.
    """
    credential = _credential(session, agency_id=document.agency_id)
    key = _load_key(credential, passphrase)
    code = assign_number(session, actor, document)
    _, pdf = read_file(policy, document)
    assert document.issued_date is not None
    line = date_line(place or _place(document), document.issued_date)
    seal = signing.SealSignature(
        seal_image=credential.image_png or b"", location=document.agency.name
    )
    with _signing_errors():
        result = signing.issue_document(
            pdf,
            key,
            number=code,
            issue_date=line,
            seal=seal,
            level=config.level,
            services=config.services,
        )
    mark_sealed(session, actor, document, result.pdf, policy)
    record_validation(document, result.pdf, config)
    if config.tsa_url:  # B-LTA is added by the worker (eoffice.documents.archive), not here
        document.archive_due_at = clock.now()
    return issue_document(session, actor, document)


def _place(document: Document) -> str:
    """The place name of the date line: the agency's address' last part, or its name."""
    address = document.agency.address
    return (
        address.rsplit(",", 1)[-1].strip().removeprefix("tỉnh ").strip()
        if address
        else document.agency.name
    )


def record_validation(
    document: Document, pdf: bytes, config: SignatureConfig
) -> signing.ValidationReport:
    """Validate the signatures of ``pdf`` and keep the report with the document (never raises
    for a bad signature: "modified after signing" and the like are flagged, not rejected)."""
    try:
        report = signing.validate_pdf(pdf, config.services, at=clock.now())
    except signing.SigningError as e:
        document.signature_status = "red"
        document.signature_report = {"bottom_line": "red", "reasons": [e.vi], "signatures": []}
        return signing.ValidationReport((), signing.BottomLine.RED, (e.vi,), clock.now())
    document.signature_status = report.bottom_line.value
    document.signature_report = report.to_dict()
    return report
