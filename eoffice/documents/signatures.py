"""The registry's signing steps, through ``signing/``: draft fields, leader signature, issue with
the agency seal, and validation of every signed PDF that arrives."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

import signing
from eoffice import clock
from eoffice.documents.blobs import FilePolicy
from eoffice.documents.files import read_file
from eoffice.documents.models import Document, Recipient
from eoffice.documents.numbering import date_line
from eoffice.documents.outgoing import assign_number, mark_sealed, mark_signed
from eoffice.documents.recipients import ensure_stays_inside, issue_document
from eoffice.documents.signing_keys import (
    SigningFailed,
    find_credential,
    lock_document,
    signing_errors,
    unlocked_key,
)
from eoffice.documents.workflow import Status
from eoffice.org.actor import Actor
from eoffice.org.models import SigningCredential

__all__ = [
    "REQUEST_LEVEL",
    "SignatureConfig",
    "SigningFailed",
    "issue_with_seal",
    "record_validation",
    "sign_as_leader",
]

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


REQUEST_LEVEL = signing.Level.B_B
"""What a signature made inside a web request reaches: no TSA call belongs in a request's
transaction. With a TSA configured the worker then raises the document (see ``archive.py``)."""


@dataclass(frozen=True)
class SignatureConfig:
    """What signing needs from the deployment's settings."""

    base_url: str
    trust_dir: Path
    tsa_url: str = ""
    online: bool = False
    """Fetch OCSP/CRL while validating. Off inside web requests (no network calls in a request's
    transaction: revocation then soft-fails to amber, and the worker checks again online)."""
    pkcs11_module: str = ""
    """The PKCS#11 module through which tokens and HSMs are reached (``signing_pkcs11_module``)."""

    @property
    def services(self) -> signing.SigningServices:
        return signing.SigningServices(
            tsa_url=self.tsa_url or None,
            trust_roots=signing.load_trust_dir(self.trust_dir),
            allow_fetching=self.online,
            timeout=10.0,
        )


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
    with signing_errors():
        return signing.prepare_draft(pdf, layout)


def sign_as_leader(
    session: Session,
    actor: Actor,
    document: Document,
    passphrase: str,
    policy: FilePolicy,
    config: SignatureConfig,
) -> None:
    """Sign the approved draft with the leader's personal key (PAdES B-B, visible signature).

    ``passphrase`` opens a PKCS#12 key or is the PIN of a PKCS#11 token; a USB-token key goes
    through :mod:`eoffice.documents.external` instead.

    :raises PermissionDenied: not the signer. :raises InvalidTransition: not approved yet.
    :raises SigningFailed: wrong passphrase or PIN, token absent, certificate problems, a
        broken PDF. :raises ExternalSigningRequired: the key is on the user's USB token.
    """
    # The person who signs uses their own key, also when signing for a delegator (TUQ/KT).
    user = actor.user
    assert user is not None
    credential = find_credential(session, user_id=user.id)
    lock_document(session, document)
    with unlocked_key(credential, passphrase, config.pkcs11_module) as key:
        pdf = prepare_for_leader(session, document, policy, config)
        spec = leader_spec(document, user.full_name, credential)
        with signing_errors():
            result = signing.sign_leader(pdf, key, spec, level=REQUEST_LEVEL)
    mark_signed(session, actor, document, result.pdf, policy)
    after_signature(document, config)


def prepare_for_leader(
    session: Session, document: Document, policy: FilePolicy, config: SignatureConfig
) -> bytes:
    """Return the draft with the fields and the QR code, ready for the leader's signature.

    They go in just before the first signature, so reviewers see the draft as uploaded and
    nothing is drawn on the page after anyone signs.
    """
    _, pdf = read_file(policy, document)
    if document.verify_code is None:
        document.verify_code = new_verify_code()
        session.flush()
    return prepare_draft_pdf(pdf, config, document.verify_code)


def leader_spec(
    document: Document, signer_name: str, credential: SigningCredential
) -> signing.LeaderSignature:
    return signing.LeaderSignature(
        signer_name=signer_name,
        signature_image=credential.image_png,
        location=document.agency.name,
    )


def after_signature(document: Document, config: SignatureConfig) -> None:
    """Leave the network part to the worker: with a TSA, the document is due for validation
    data and a document timestamp (B-B now; B-T and B-LTA once the worker has run)."""
    if config.tsa_url:
        document.archive_due_at = clock.now()


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
    A document left "numbered" by an unfinished USB-token seal keeps its number.

    :raises InvalidTransition: unless signed or numbered. :raises SigningFailed: key or PDF
        problems. :raises ExternalSigningRequired: the agency's key is on a USB token.
    :raises InvalidInput: a secret document with recipients.
    """
    ensure_stays_inside(document)  # before a number is taken or the seal applied
    credential = find_credential(session, agency_id=document.agency_id)
    lock_document(session, document)
    with unlocked_key(credential, passphrase, config.pkcs11_module) as key:
        pdf, code, line = number_for_issue(session, actor, document, policy, place)
        seal = seal_spec(document, credential)
        with signing_errors():
            result = signing.issue_document(
                pdf, key, number=code, issue_date=line, seal=seal, level=REQUEST_LEVEL
            )
    return finish_issue(session, actor, document, result.pdf, policy, config)


def number_for_issue(
    session: Session, actor: Actor, document: Document, policy: FilePolicy, place: str = ""
) -> tuple[bytes, str, str]:
    """Give a signed document its number and date (a numbered one keeps its own); return the
    current PDF, số/ký hiệu and the date line to fill in.

    :raises InvalidTransition: unless signed or numbered.
    """
    if document.status != Status.NUMBERED:  # numbered: an earlier seal step was not finished
        assign_number(session, actor, document)
    _, pdf = read_file(policy, document)
    assert document.issued_date is not None
    return pdf, document.code, date_line(place or _place(document), document.issued_date)


def seal_spec(document: Document, credential: SigningCredential) -> signing.SealSignature:
    return signing.SealSignature(
        seal_image=credential.image_png or b"", location=document.agency.name
    )


def finish_issue(
    session: Session,
    actor: Actor,
    document: Document,
    sealed_pdf: bytes,
    policy: FilePolicy,
    config: SignatureConfig,
) -> list[Recipient]:
    """Store the sealed PDF, validate it (offline), and deliver it to the recipients."""
    mark_sealed(session, actor, document, sealed_pdf, policy)
    record_validation(document, sealed_pdf, config)
    after_signature(document, config)
    return issue_document(session, actor, document)


def _place(document: Document) -> str:
    """The place name of the date line: the agency's address' last part, or its name."""
    address = document.agency.address
    return (
        address.rsplit(",", 1)[-1].strip().removeprefix("tỉnh ").strip()
        if address
        else document.agency.name
    )


RECHECK_AFTER = (timedelta(0), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6))
"""When the worker validates online again while OCSP/CRL cannot be reached: at once after a
request's offline validation, then after these waits; after the last the amber badge stays."""


def record_validation(
    document: Document, pdf: bytes, config: SignatureConfig
) -> signing.ValidationReport:
    """Validate the signatures of ``pdf`` and keep the report with the document (never raises
    for a bad signature: "modified after signing" and the like are flagged, not rejected).

    A signature whose revocation status stayed unknown (offline, or the responder did not
    answer) makes the document due for an online re-validation by the worker.
    """
    report = validate(pdf, config)
    apply_validation(document, report, online=config.online)
    return report


def validate(pdf: bytes, config: SignatureConfig) -> signing.ValidationReport:
    """Return the report on ``pdf``'s signatures; an unreadable file gives a red report."""
    try:
        return signing.validate_pdf(pdf, config.services, at=clock.now())
    except signing.SigningError as e:
        return signing.ValidationReport((), signing.BottomLine.RED, (e.vi,), clock.now())


def apply_validation(document: Document, report: signing.ValidationReport, *, online: bool) -> None:
    """Keep ``report`` as the document's badge and report; plan the next online check."""
    document.signature_status = report.bottom_line.value
    document.signature_report = report.to_dict()
    _schedule_recheck(document, report, online=online)


def _schedule_recheck(document: Document, report: signing.ValidationReport, online: bool) -> None:
    unknown = any(
        s.kind == "signature" and s.intact and s.revocation is signing.Revocation.UNKNOWN
        for s in report.signatures
    )
    if not unknown:
        document.signature_recheck_at = None
        return
    tries = (document.signature_rechecks or 0) + 1 if online else 0
    document.signature_rechecks = tries
    document.signature_recheck_at = (
        clock.now() + RECHECK_AFTER[tries] if tries < len(RECHECK_AFTER) else None
    )
