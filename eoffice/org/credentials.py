"""Install the signing keys and images of people (leaders) and agencies (seals)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from eoffice.org.models import Agency, CredentialKind, SigningCredential, User
from eoffice.org.services import ensure_can_manage

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def install_pkcs12(
    session: Session,
    actor: Actor,
    *,
    pkcs12_data: bytes,
    passphrase: str,
    image_png: bytes | None,
    user: User | None = None,
    agency: Agency | None = None,
) -> SigningCredential:
    """Store a PKCS#12 file (as it came, still encrypted) and the signature or seal image.

    The passphrase is used once to check the file and read the certificate; it is never stored.

    :raises InvalidInput: wrong passphrase, not PKCS#12, no certificate, image not a PNG.
    """
    if (user is None) == (agency is None):
        raise ValueError("give exactly one owner")
    ensure_can_manage(session, actor, user.agency if user else agency)  # type: ignore[union-attr]
    certificate = _read_certificate(pkcs12_data, passphrase)
    if image_png is not None and (
        not image_png.startswith(PNG_MAGIC) or len(image_png) > MAX_IMAGE_BYTES
    ):
        raise InvalidInput(
            "Ảnh chữ ký hoặc con dấu phải là tệp PNG (tối đa 2 MB)",
            fields={"image": "Không phải PNG"},
        )
    owner = (
        SigningCredential.user_id == user.id if user else SigningCredential.agency_id == agency.id
    )  # type: ignore[union-attr]
    session.execute(update(SigningCredential).where(owner).values(is_active=False))
    credential = SigningCredential(
        user_id=user.id if user else None,
        agency_id=agency.id if agency else None,
        kind=CredentialKind.PKCS12.value,
        pkcs12=pkcs12_data,
        image_png=image_png,
        certificate_subject=certificate.subject.rfc4514_string()[:300],
        certificate_not_after=certificate.not_valid_after_utc,
    )
    session.add(credential)
    session.flush()
    record_event(
        session,
        actor,
        "credential.install",
        "signing_credential",
        credential.id,
        agency_id=user.agency_id if user else agency.id,  # type: ignore[union-attr]
        details={
            "subject": credential.certificate_subject,
            "owner": user.username if user else agency.code,
        },
    )  # type: ignore[union-attr]
    return credential


def _read_certificate(data: bytes, passphrase: str) -> x509.Certificate:
    try:
        _key, certificate, _chain = pkcs12.load_key_and_certificates(
            data, passphrase.encode("utf-8")
        )
    except ValueError as e:
        raise InvalidInput(
            "Không mở được tệp khóa: sai mật khẩu hoặc không phải PKCS#12",
            fields={"passphrase": "Sai mật khẩu hoặc tệp không hợp lệ"},
        ) from e
    if certificate is None:
        raise InvalidInput(
            "Tệp PKCS#12 không có chứng thư số", fields={"pkcs12": "Thiếu chứng thư"}
        )
    return certificate


def active_credential(
    session: Session, *, user_id: int | None = None, agency_id: int | None = None
) -> SigningCredential | None:
    stmt = select(SigningCredential).where(SigningCredential.is_active)
    stmt = (
        stmt.where(SigningCredential.user_id == user_id)
        if user_id is not None
        else stmt.where(SigningCredential.agency_id == agency_id)
    )
    return session.execute(stmt.order_by(SigningCredential.id.desc())).scalars().first()
