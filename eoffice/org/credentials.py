"""Install the signing keys and images of people (leaders) and agencies (seals).

Three kinds of key (``CredentialKind``): a PKCS#12 file kept here, encrypted; a key on a PKCS#11
token or HSM the server reaches through its module; a USB token on the user's own computer
("external": the server keeps only the certificate). No passphrase or PIN is ever stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import signing
from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from eoffice.org.models import Agency, CredentialKind, SigningCredential, User
from eoffice.org.services import ensure_can_manage
from signing.keys import check_certificate_usable, load_certificates

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_LABEL = 100


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
    _check_owner(session, actor, user, agency)
    certificate = _read_certificate(pkcs12_data, passphrase)
    credential = SigningCredential(kind=CredentialKind.PKCS12.value, pkcs12=pkcs12_data)
    return _store(session, actor, credential, certificate, image_png, user, agency)


def install_pkcs11(
    session: Session,
    actor: Actor,
    *,
    module_path: str,
    token_label: str,
    key_label: str,
    pin: str,
    chain_pem: bytes | None,
    image_png: bytes | None,
    user: User | None = None,
    agency: Agency | None = None,
) -> SigningCredential:
    """Point at a key on a PKCS#11 token or HSM, after checking it with the PIN once.

    The certificate is read from the token (under the key's label); ``chain_pem`` adds the
    intermediate certificates when the token lacks them. The PIN is not stored: the signer
    types it at each signature.

    :raises InvalidInput: no module configured, empty label, token absent, PIN refused, no such
        key, unreadable chain, image not a PNG.
    """
    _check_owner(session, actor, user, agency)
    fields = _label_errors(token_label=token_label, key_label=key_label)
    if not pin:
        fields["pin"] = "Bắt buộc"
    if fields:
        raise InvalidInput("Thông tin thiết bị ký số chưa đủ", fields=fields)
    if not module_path:
        raise InvalidInput(
            "Chưa cấu hình thư viện PKCS#11 (EOFFICE_SIGNING_PKCS11_MODULE)",
            code="pkcs11_not_configured",
            fields={"token_label": "Chưa cấu hình thư viện PKCS#11"},
        )
    chain = _parse_certificates(chain_pem, "chain") if chain_pem else []
    spec = signing.Pkcs11Spec(
        module_path=module_path,
        token_label=token_label.strip(),
        pin=pin,
        key_label=key_label.strip(),
        chain=tuple(c.public_bytes(Encoding.DER) for c in chain),
    )
    with _token_errors(), signing.open_pkcs11(spec) as key:
        certificate, token_chain = key.certificate, key.chain
    credential = SigningCredential(
        kind=CredentialKind.PKCS11.value,
        pkcs11_token_label=spec.token_label,
        pkcs11_key_label=spec.key_label,
        certificate_pem=_pem(certificate, *token_chain),
    )
    return _store(session, actor, credential, certificate, image_png, user, agency)


def install_external(
    session: Session,
    actor: Actor,
    *,
    certificate_data: bytes,
    image_png: bytes | None,
    user: User | None = None,
    agency: Agency | None = None,
) -> SigningCredential:
    """Register the certificate of a USB token that stays on the user's computer.

    ``certificate_data`` is PEM (the signer's certificate first, then its chain) or one DER
    certificate. Signatures are then made by the user's signing tool (interrupted signing).

    :raises InvalidInput: not a certificate, expired or not yet valid, no signing key usage,
        image not a PNG.
    """
    _check_owner(session, actor, user, agency)
    certificates = _parse_certificates(certificate_data, "certificate")
    try:
        check_certificate_usable(certificates[0], clock.now())
    except signing.errors.CertificateError as e:
        raise InvalidInput(e.vi, code=e.code, fields={"certificate": e.message_vi}) from e
    credential = SigningCredential(
        kind=CredentialKind.EXTERNAL.value, certificate_pem=_pem(*certificates)
    )
    return _store(session, actor, credential, certificates[0], image_png, user, agency)


def credential_certificates(credential: SigningCredential) -> tuple[bytes, tuple[bytes, ...]]:
    """Return the signer's certificate and its chain (DER) kept with a PKCS#11/external key."""
    certificates = load_certificates(credential.certificate_pem.encode("ascii"))
    der = [c.public_bytes(Encoding.DER) for c in certificates]
    return der[0], tuple(der[1:])


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


def _check_owner(session: Session, actor: Actor, user: User | None, agency: Agency | None) -> None:
    if (user is None) == (agency is None):
        raise ValueError("give exactly one owner")
    ensure_can_manage(session, actor, user.agency if user else agency)  # type: ignore[union-attr]


def _store(
    session: Session,
    actor: Actor,
    credential: SigningCredential,
    certificate: x509.Certificate,
    image_png: bytes | None,
    user: User | None,
    agency: Agency | None,
) -> SigningCredential:
    """Check the image, replace the owner's active credential by ``credential``, audit it."""
    if image_png is not None and (
        not image_png.startswith(PNG_MAGIC) or len(image_png) > MAX_IMAGE_BYTES
    ):
        raise InvalidInput(
            "Ảnh chữ ký hoặc con dấu phải là tệp PNG (tối đa 2 MB)",
            fields={"image": "Không phải PNG"},
        )
    owner = (
        SigningCredential.user_id == user.id if user else SigningCredential.agency_id == agency.id  # type: ignore[union-attr]
    )
    session.execute(update(SigningCredential).where(owner).values(is_active=False))
    credential.user_id = user.id if user else None
    credential.agency_id = agency.id if agency else None
    credential.image_png = image_png
    credential.certificate_subject = certificate.subject.rfc4514_string()[:300]
    credential.certificate_not_after = certificate.not_valid_after_utc
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
            "owner": user.username if user else agency.code,  # type: ignore[union-attr]
            "kind": credential.kind,
        },
    )
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


def _parse_certificates(data: bytes, field: str) -> list[x509.Certificate]:
    try:
        certificates = load_certificates(data)
    except signing.errors.InvalidKeyFile:
        certificates = []
    if not certificates:
        raise InvalidInput(
            "Tệp chứng thư số không hợp lệ (cần PEM hoặc DER)",
            fields={field: "Không đọc được chứng thư số"},
        )
    return certificates


def _label_errors(**labels: str) -> dict[str, str]:
    fields = {}
    for name, value in labels.items():
        if not value.strip():
            fields[name] = "Bắt buộc"
        elif len(value.strip()) > MAX_LABEL:
            fields[name] = "Tối đa 100 ký tự"  # MAX_LABEL; a fixed msgid for translation
    return fields


@contextmanager
def _token_errors() -> Iterator[None]:
    fields = {
        signing.errors.TokenLoginFailed: "pin",
        signing.errors.TokenKeyNotFound: "key_label",
    }
    try:
        yield
    except signing.errors.KeyAccessError as e:
        field = fields.get(type(e), "token_label")
        raise InvalidInput(e.vi, code=e.code, fields={field: e.message_vi}) from e


def _pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(Encoding.PEM).decode("ascii") for c in certificates)
