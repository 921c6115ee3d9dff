"""Signing with a USB token on the user's computer: the key never reaches the server.

Two requests, with pyHanko's interrupted signing in between (``signing.prepare_external`` /
``signing.finish_external``):

1. :func:`start_external` prepares the PDF (the leader's draft with its fields, or for the seal
   the PDF with số/ký hiệu and date filled in) and stores the state in ``external_signatures``
   with an expiry. The client receives the bytes to sign (and their SHA-256).
2. The user's signing tool signs them with the token; :func:`finish_external` checks the value
   against the certificate, completes the PDF and takes the workflow step.

The seal step numbers the document in the first request (status "numbered", committed): the
number stays with it even when the signature never comes back, so numbers keep no gaps; a new
preparation reuses it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

import signing
from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.blobs import FilePolicy
from eoffice.documents.models import Document, ExternalSignature, Recipient
from eoffice.documents.outgoing import check_can_seal, check_can_sign, mark_signed
from eoffice.documents.recipients import ensure_stays_inside
from eoffice.documents.signatures import (
    REQUEST_LEVEL,
    SignatureConfig,
    after_signature,
    finish_issue,
    leader_spec,
    number_for_issue,
    prepare_for_leader,
    seal_spec,
)
from eoffice.documents.signing_keys import (
    find_credential,
    lock_document,
    signing_errors,
)
from eoffice.errors import Conflict, InvalidInput, NotFound
from eoffice.org.actor import Actor
from eoffice.org.credentials import credential_certificates
from eoffice.org.models import CredentialKind, SigningCredential

EXPIRY = timedelta(minutes=15)
"""How long a prepared signature waits for the user's token."""


class Step(StrEnum):
    SIGN = "sign"
    """The leader's personal signature on the approved draft."""
    SEAL = "seal"
    """The clerk's issue step: number, date and the agency's signature, then delivery."""


def start_external(
    session: Session,
    actor: Actor,
    document: Document,
    step: Step,
    policy: FilePolicy,
    config: SignatureConfig,
) -> ExternalSignature:
    """Prepare ``step``'s signature for the user's USB token; return the stored request.

    A new preparation replaces an earlier one of the same document.

    :raises PermissionDenied: not the signer (sign) or not a clerk (seal).
    :raises InvalidTransition: the document is not at that step.
    :raises NotFound: no credential installed. :raises Conflict: the credential is a key file
        or a token on the server (signed in one step instead).
    :raises SigningFailed: the PDF cannot take the signature, the certificate is unusable.
    """
    if step is Step.SIGN:
        check_can_sign(actor, document)
        user = actor.user
        assert user is not None
        credential = _external_credential(session, user_id=user.id)
        lock_document(session, document)
        pdf = prepare_for_leader(session, document, policy, config)
        spec: signing.LeaderSignature | signing.SealSignature = leader_spec(
            document, user.full_name, credential
        )
    else:
        check_can_seal(actor, document)
        ensure_stays_inside(document)  # the seal step numbers it: refuse before that
        credential = _external_credential(session, agency_id=document.agency_id)
        lock_document(session, document)
        pdf, code, line = number_for_issue(session, actor, document, policy)
        with signing_errors():
            pdf = signing.fill_fields(pdf, {signing.NUMBER_FIELD: code, signing.DATE_FIELD: line})
        spec = seal_spec(document, credential)
    certificate, chain = credential_certificates(credential)
    with signing_errors():
        pending = signing.prepare_external(pdf, certificate, spec, chain=chain, level=REQUEST_LEVEL)
    now = clock.now()
    session.execute(
        delete(ExternalSignature).where(
            or_(ExternalSignature.document_id == document.id, ExternalSignature.expires_at <= now)
        )
    )
    assert document.main_file_sha256 is not None
    assert actor.user_id is not None
    row = ExternalSignature(
        document_id=document.id,
        user_id=actor.user_id,
        credential_id=credential.id,
        step=step.value,
        base_sha256=document.main_file_sha256,
        state=pending.to_json(),
        created_at=now,
        expires_at=now + EXPIRY,
    )
    session.add(row)
    session.flush()
    record_event(
        session, actor, "document.external_prepare", "document", document.id, details={"step": step}
    )
    return row


def get_external(
    session: Session, actor: Actor, document: Document, external_id: int
) -> ExternalSignature:
    """Return the actor's pending signature of ``document``.

    :raises NotFound: none such for this user. :raises Conflict: it has expired.
    """
    row = session.get(ExternalSignature, external_id)
    if row is None or row.document_id != document.id or row.user_id != actor.user_id:
        raise NotFound("Không tìm thấy yêu cầu ký bằng USB token")
    if row.expires_at <= clock.now():
        raise Conflict("Yêu cầu ký đã hết hạn; chuẩn bị ký lại", code="external_signature_expired")
    return row


def finish_external(
    session: Session,
    actor: Actor,
    document: Document,
    row: ExternalSignature,
    signature_value: bytes,
    policy: FilePolicy,
    config: SignatureConfig,
) -> list[Recipient]:
    """Complete the PDF with the value from the user's token and take the workflow step.

    Returns the recipients it was delivered to (seal step), or an empty list (sign step).

    :raises InvalidInput: the value does not verify with the certificate.
    :raises Conflict: the document changed since the preparation.
    """
    lock_document(session, document)
    if document.main_file_sha256 != row.base_sha256:
        raise Conflict(
            "Văn bản đã thay đổi từ lúc chuẩn bị ký; chuẩn bị ký lại", code="document_changed"
        )
    step = Step(row.step)
    if step is Step.SIGN:
        check_can_sign(actor, document)
    else:
        check_can_seal(actor, document)
    pending = signing.PendingSignature.from_json(row.state)
    with signing_errors():
        try:
            result = signing.finish_external(pending, signature_value, services=config.services)
        except signing.errors.ExternalSignatureInvalid as e:
            raise InvalidInput(
                e.vi, code=e.code, fields={"signature": "Chữ ký không khớp với chứng thư số"}
            ) from e
    session.delete(row)
    if step is Step.SIGN:
        mark_signed(session, actor, document, result.pdf, policy)
        after_signature(document, config)
        return []
    return finish_issue(session, actor, document, result.pdf, policy, config)


def decode_signature(text: str) -> bytes:
    """Return the signature value a signing tool sent as Base64 (spaces and line breaks allowed).

    :raises InvalidInput: empty or not Base64.
    """
    compact = "".join(text.split())
    if not compact:
        raise InvalidInput("Dán chữ ký do USB token trả về", fields={"signature": "Bắt buộc"})
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidInput(
            "Chữ ký phải ở dạng Base64", fields={"signature": "Không phải Base64"}
        ) from e


def signature_algorithm(row: ExternalSignature) -> str:
    """Return what the token must compute: ``rsa-pkcs1v15-sha256`` or ``ecdsa-sha256``."""
    pending = signing.PendingSignature.from_json(row.state)
    public = x509.load_der_x509_certificate(pending.certificate).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return "rsa-pkcs1v15-sha256"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return "ecdsa-sha256"
    return "unsupported"


def _external_credential(
    session: Session, *, user_id: int | None = None, agency_id: int | None = None
) -> SigningCredential:
    credential = find_credential(session, user_id=user_id, agency_id=agency_id)
    if credential.kind != CredentialKind.EXTERNAL:
        raise Conflict(
            "Chứng thư số này không nằm trên USB token của người dùng: ký bằng mật khẩu hoặc "
            "mã PIN",
            code="not_external_credential",
        )
    return credential
