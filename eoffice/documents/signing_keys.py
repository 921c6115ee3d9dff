"""Find and unlock the signing key of a leader or an agency for one signature.

A PKCS#12 file opens with its passphrase; a PKCS#11 token or HSM with its PIN (the module is
the deployment's ``signing_pkcs11_module``). An external key (a USB token on the user's
computer) never reaches the server: those signatures go through
:mod:`eoffice.documents.external`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

import signing
from eoffice.documents.models import Document
from eoffice.errors import Conflict, EofficeError, InvalidInput, NotFound
from eoffice.org.credentials import active_credential, credential_certificates
from eoffice.org.models import CredentialKind, SigningCredential

SECRET_FIELD = "passphrase"  # noqa: S105  # a field name, not a password
"""The form and API field that carries a PKCS#12 passphrase or a PKCS#11 PIN."""


class SigningFailed(EofficeError):
    """A signing or validation step failed; the message comes from ``signing/`` in Vietnamese."""

    code = "signing_failed"
    http_status = 422


class ExternalSigningRequired(Conflict):
    """The key is on the user's USB token: the two-step external flow must be used."""

    code = "external_signing_required"


@contextmanager
def signing_errors() -> Iterator[None]:
    """Turn ``signing`` errors into :class:`SigningFailed` naming the field at fault."""
    try:
        yield
    except signing.SigningError as e:
        field = SECRET_FIELD if isinstance(e, signing.errors.KeyAccessError) else "file"
        raise SigningFailed(e.vi, code=e.code, fields={field: e.message_vi}) from e


def find_credential(
    session: Session, *, user_id: int | None = None, agency_id: int | None = None
) -> SigningCredential:
    """Return the active credential of a person or an agency.

    :raises NotFound: when the administrator has not installed one.
    """
    credential = active_credential(session, user_id=user_id, agency_id=agency_id)
    if credential is None:
        owner = "người ký" if user_id else "cơ quan"
        raise NotFound(
            "Chưa có chứng thư số của {owner}; đề nghị quản trị cài đặt", params={"owner": owner}
        )
    return credential


@contextmanager
def unlocked_key(
    credential: SigningCredential, secret: str, pkcs11_module: str
) -> Iterator[signing.SigningKey]:
    """Yield the key of a PKCS#12 or PKCS#11 credential, unlocked with ``secret``.

    :raises InvalidInput: no passphrase or PIN. :raises ExternalSigningRequired: a USB token.
    :raises SigningFailed: wrong passphrase or PIN, token absent, key not found.
    """
    if credential.kind == CredentialKind.EXTERNAL:
        raise ExternalSigningRequired(
            "Khóa ký số nằm trên USB token của người ký: dùng chức năng ký bằng USB token"
        )
    if not secret:
        message = (
            "Nhập mã PIN của thiết bị ký số"
            if credential.kind == CredentialKind.PKCS11
            else "Nhập mật khẩu khóa ký số"
        )
        raise InvalidInput(message, fields={SECRET_FIELD: "Bắt buộc"})
    if credential.kind == CredentialKind.PKCS12:
        assert credential.pkcs12 is not None
        with signing_errors():
            key = signing.load_pkcs12(credential.pkcs12, secret)
        yield key
        return
    # the token holds the signer's certificate; the intermediates kept at install go with it
    chain = credential_certificates(credential)[1] if credential.certificate_pem else ()
    spec = signing.Pkcs11Spec(
        module_path=pkcs11_module,
        token_label=credential.pkcs11_token_label,
        pin=secret,
        key_label=credential.pkcs11_key_label,
        chain=chain,
    )
    with signing_errors(), signing.open_pkcs11(spec) as key:
        yield key


def lock_document(session: Session, document: Document) -> None:
    """Lock the document's row to the end of the transaction and reload it.

    Signing steps and the archive worker both replace the main PDF: holding the row while
    reading the current file means neither builds on a version the other has replaced
    (PostgreSQL; on SQLite the transaction already holds the database).
    """
    session.refresh(document, with_for_update=True)
