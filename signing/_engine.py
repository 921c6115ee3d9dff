"""The signing pipeline shared by every kind of signature (internal).

It mirrors pyHanko's ``PdfSigner.async_sign_pdf`` with three changes: the signing time is ours
(Asia/Ho_Chi_Minh, the same instant shown in the appearance), the signature container size is
reserved from the key instead of a dry-run signature, and the achieved PAdES level degrades
gracefully when a timestamp authority or revocation information is unavailable.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.stamp import BaseStampStyle
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator import errors as cv_errors

from signing import _pdf
from signing.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    LevelUnavailable,
    SigningError,
    TimestampUnavailable,
    TokenUnavailable,
)
from signing.keys import SigningKey, check_certificate_usable
from signing.trust import Level, SigningServices, validation_context

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_ATTRS_OVERHEAD = 1024  # signed attributes (~300 bytes), algorithm identifiers, CMS structure
_TIMESTAMP_SLACK = 2048  # hex characters: 1 KB for tokens larger than the sample


def vn_now() -> datetime:
    """Return the current time in Asia/Ho_Chi_Minh, to the second (as shown in stamps)."""
    return datetime.now(VN_TZ).replace(microsecond=0)


@dataclass(frozen=True)
class SignRequest:
    """Everything :func:`run` needs for one signature (internal)."""

    field_name: str
    at: datetime
    level: Level
    strict_level: bool
    services: SigningServices
    style: BaseStampStyle | None = None
    new_field: SigFieldSpec | None = None
    certify: bool = False
    reason: str | None = None
    location: str | None = None


class _Degrade(Exception):
    """The requested level cannot be reached; try the next one down."""

    def __init__(self, error: SigningError) -> None:
        super().__init__(error.detail)
        self.error = error


def reserved_bytes(key: SigningKey) -> int:
    """Return the hex-encoded size to reserve for a signature container without a timestamp."""
    certs = sum(len(c.public_bytes(Encoding.DER)) for c in (key.certificate, *key.chain))
    return 2 * (certs + key.signature_size + _ATTRS_OVERHEAD)


def check_chain(key: SigningKey, services: SigningServices) -> object:
    """Validate the signer's chain with revocation information; return the validation context.

    :raises CertificateRevoked: when the certificate is revoked.
    :raises _Degrade: when the chain or its revocation information cannot be established.
    """
    vc = validation_context(
        services,
        extra_certs=tuple(c.public_bytes(Encoding.DER) for c in key.chain),
        hard_fail=True,
    )
    asn1_cert = key._signer.signing_cert
    validator = CertificateValidator(
        asn1_cert, intermediate_certs=key._signer.cert_registry, validation_context=vc
    )
    try:
        asyncio.run(validator.async_validate_usage(set()))
    except cv_errors.RevokedError as e:
        raise CertificateRevoked(str(e)) from e
    except cv_errors.ExpiredError as e:
        raise CertificateExpired(str(e)) from e
    except cv_errors.NotYetValidError as e:
        raise CertificateNotYetValid(str(e)) from e
    except cv_errors.PathBuildingError as e:
        raise _Degrade(CertificateUntrusted(str(e))) from e
    except (cv_errors.PathValidationError, cv_errors.ValidationError) as e:
        raise _Degrade(LevelUnavailable(f"thông tin thu hồi: {e}")) from e
    return vc


def _metadata(req: SignRequest, level: Level, vc: object | None) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=req.field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=req.certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        reason=req.reason,
        location=req.location,
        embed_validation_info=level.rank >= Level.B_LT.rank,
        use_pades_lta=level is Level.B_LTA,
        validation_context=vc,  # type: ignore[arg-type]  # a pyHanko ValidationContext
        signer_key_usage=set(),  # checked by check_certificate_usable, with clearer errors
    )


async def _sign_async(
    reader: PdfFileReader, key: SigningKey, req: SignRequest, level: Level, vc: object | None
) -> bytes:
    timestamper = req.services.timestamper() if level.rank >= Level.B_T.rank else None
    pdf_signer = signers.PdfSigner(
        _metadata(req, level, vc),
        key._signer,
        timestamper=timestamper,
        stamp_style=req.style,
        new_field_spec=req.new_field,
    )
    # sharing the caller's reader means each object (notably earlier signatures' large
    # /Contents strings, slow to parse) is read once per operation
    writer = IncrementalPdfFileWriter.from_reader(reader)
    session = pdf_signer.init_signing_session(writer, existing_fields_only=req.new_field is None)
    session.system_time = req.at
    validation_info = await session.perform_presign_validation(writer)
    if timestamper is None:
        reserved = reserved_bytes(key)
    else:
        # a timestamp token's size depends on the TSA: measure one (pyHanko caches it per
        # timestamper) and allow for serial numbers and nonces of other lengths; pyHanko's own
        # 50% margin would only make every later reader parse a longer /Contents string
        tight = await session.estimate_signature_container_size(validation_info, tight=True)
        reserved = tight + _TIMESTAMP_SLACK
    tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=reserved)
    prepared, output = tbs.digest_tbs_document()
    attrs = PdfCMSSignedAttributes(
        signing_time=req.at,
        adobe_revinfo_attr=None if validation_info is None else validation_info.adobe_revinfo_attr,
    )
    post = await tbs.perform_signature(prepared.document_digest, attrs)
    await post.post_signature_processing(output)
    output.seek(0)
    return output.read()


def _attempt(reader: PdfFileReader, key: SigningKey, req: SignRequest, level: Level) -> bytes:
    vc = None
    if level.rank >= Level.B_T.rank and not req.services.tsa_url:
        raise _Degrade(LevelUnavailable("chưa cấu hình máy chủ cấp dấu thời gian (TSA)"))
    if level.rank >= Level.B_LT.rank:
        vc = check_chain(key, req.services)
    try:
        return asyncio.run(_sign_async(reader, key, req, level, vc))
    except TimestampRequestError as e:
        raise _Degrade(TimestampUnavailable(str(e))) from e
    except PyhankoSigningError as e:
        cause = e.__cause__ or e.__context__
        if isinstance(cause, TimestampRequestError | OSError):
            raise _Degrade(TimestampUnavailable(str(cause))) from e
        if level.rank >= Level.B_LT.rank:
            raise _Degrade(LevelUnavailable(str(e))) from e
        raise SigningError(str(e)) from e
    except Exception as e:
        if type(e).__module__.startswith("pkcs11"):  # e.g. the token was pulled out mid-way
            raise TokenUnavailable(type(e).__name__) from e
        raise


def run(reader: PdfFileReader, key: SigningKey, req: SignRequest) -> tuple[bytes, Level]:
    """Sign, reaching the highest level up to ``req.level``; return the PDF and the level reached.

    ``reader`` is the caller's already checked reader of the input.

    :raises SigningError: (a subclass) when signing fails, or the level is short and strict.
    """
    check_certificate_usable(key.certificate, req.at)
    levels = [lvl for lvl in reversed(Level) if lvl.rank <= req.level.rank]
    for attempt, level in enumerate(levels):
        if attempt:  # a failed attempt may have changed objects cached in the reader
            reader = _pdf.open_reader(_pdf.input_bytes(reader))
        try:
            return _attempt(reader, key, req, level), level
        except _Degrade as degrade:
            if req.strict_level or level is Level.B_B:
                raise degrade.error from degrade
    raise AssertionError("B-B never degrades")  # pragma: no cover
