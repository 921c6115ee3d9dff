"""Signing where the private key never reaches the server (a USB token on the user's computer).

The server half of pyHanko's interrupted signing, in two calls with storable state in between:

1. :func:`prepare_external` puts the appearance and a signature placeholder into the PDF and
   returns a :class:`PendingSignature`. Send ``pending.data_to_sign`` (or ``digest_to_sign``,
   for tokens that sign a SHA-256 hash) to the user's signing tool; keep ``pending.to_json()``.
2. The tool returns the raw signature value (RSA PKCS#1 v1.5 or ECDSA, SHA-256);
   :func:`finish_external` checks it against the certificate, builds the CMS container, adds the
   timestamp (B-T) and validation data (B-LT/B-LTA), and returns the signed PDF.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing._engine import VN_TZ, check_chain, reserved_bytes, vn_now
from signing.archive import extend_signature
from signing.errors import ExternalSignatureInvalid, LevelUnavailable, TimestampUnavailable
from signing.keys import (
    SigningKey,
    check_certificate_usable,
    load_certificates,
    signature_size_of,
)
from signing.pades import LeaderSignature, SealSignature, leader_style, open_field, seal_style
from signing.trust import Level, SigningServices

__all__ = ["PendingSignature", "finish_external", "prepare_external"]

_TIMESTAMP_ALLOWANCE = 2 * 8192  # hex characters for a signature timestamp token and its chain


@dataclass(frozen=True)
class PendingSignature:
    """A PDF waiting for a signature value from the user's device; store it between requests."""

    prepared_pdf: bytes
    """The PDF with the appearance and an empty signature placeholder."""
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attributes: bytes
    """DER-encoded CMS signed attributes: the exact bytes the user's key must sign."""
    certificate: bytes
    """Signer's certificate (DER)."""
    chain: tuple[bytes, ...]
    field_name: str
    level: Level
    signing_time: datetime

    @property
    def data_to_sign(self) -> bytes:
        """Return the bytes to sign with SHA-256 (RSA PKCS#1 v1.5 or ECDSA)."""
        return self.signed_attributes

    @property
    def digest_to_sign(self) -> bytes:
        """Return SHA-256 of :attr:`data_to_sign`, for tools that sign a precomputed hash."""
        return hashlib.sha256(self.signed_attributes).digest()

    def to_json(self) -> str:
        """Serialise to JSON (binary fields in base64) for storage between requests."""
        b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731  # local shorthand
        return json.dumps(
            {
                "prepared_pdf": b64(self.prepared_pdf),
                "document_digest": b64(self.document_digest),
                "reserved": [self.reserved_start, self.reserved_end],
                "signed_attributes": b64(self.signed_attributes),
                "certificate": b64(self.certificate),
                "chain": [b64(c) for c in self.chain],
                "field_name": self.field_name,
                "level": self.level.value,
                "signing_time": self.signing_time.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PendingSignature:
        """Load what :meth:`to_json` wrote."""
        data = json.loads(text)
        raw = base64.b64decode
        return cls(
            prepared_pdf=raw(data["prepared_pdf"]),
            document_digest=raw(data["document_digest"]),
            reserved_start=int(data["reserved"][0]),
            reserved_end=int(data["reserved"][1]),
            signed_attributes=raw(data["signed_attributes"]),
            certificate=raw(data["certificate"]),
            chain=tuple(raw(c) for c in data["chain"]),
            field_name=str(data["field_name"]),
            level=Level(data["level"]),
            signing_time=datetime.fromisoformat(data["signing_time"]),
        )


def _external_key(certificate: bytes, chain: tuple[bytes, ...], value: bytes | None = None):
    cert = load_certificates(certificate)[0]
    chain_certs = tuple(c for data in chain for c in load_certificates(data))
    registry = SimpleCertificateStore()
    registry.register_multiple(
        [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in chain_certs]
    )
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    size = signature_size_of(cert)
    signer = signers.ExternalSigner(asn1_cert, registry, signature_value=value or bytes(size))
    return SigningKey(cert, chain_certs, signer)


def prepare_external(
    pdf: bytes,
    certificate: bytes,
    spec: LeaderSignature | SealSignature,
    *,
    chain: tuple[bytes, ...] = (),
    level: Level = Level.B_T,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
    at: datetime | None = None,
) -> PendingSignature:
    """Prepare ``pdf`` for a signature made elsewhere with ``certificate`` (PEM or DER).

    :raises FieldMissing: when the field of ``spec`` is missing.
    :raises FieldAlreadyUsed: when it is already signed.
    :raises BrokenSignature: when an existing signature no longer matches the document.
    :raises CertificateError: (subclasses) expired, not yet valid, revoked, wrong key usage.
    :raises LevelUnavailable: when the level needs a TSA that is not configured.
    """
    moment = (at or vn_now()).astimezone(VN_TZ).replace(microsecond=0)
    reader, existing = open_field(pdf, spec.field_name)
    key = _external_key(certificate, chain)
    check_certificate_usable(key.certificate, moment)
    if level.rank >= Level.B_T.rank and not services.tsa_url:
        raise LevelUnavailable("chưa cấu hình máy chủ cấp dấu thời gian (TSA)")
    if level.rank >= Level.B_LT.rank:
        check_chain(key, services)  # refuse a revoked certificate before the user signs
    leader = isinstance(spec, LeaderSignature)
    style = leader_style(spec, moment) if leader else seal_style(spec, moment)  # type: ignore[arg-type]
    meta = signers.PdfSignatureMetadata(
        field_name=spec.field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=leader and spec.certify and existing == 0,  # type: ignore[union-attr]
        docmdp_permissions=MDPPerm.FILL_FORMS,
        reason=spec.reason,
        location=spec.location,
    )
    reserved = reserved_bytes(key) + (_TIMESTAMP_ALLOWANCE if level.rank >= Level.B_T.rank else 0)
    prepared, output, attrs = asyncio.run(_prepare(reader, key, meta, style, moment, reserved))
    return PendingSignature(
        prepared_pdf=output,
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        signed_attributes=attrs,
        certificate=key.certificate.public_bytes(Encoding.DER),
        chain=tuple(c.public_bytes(Encoding.DER) for c in key.chain),
        field_name=spec.field_name,
        level=level,
        signing_time=moment,
    )


async def _prepare(reader, key: SigningKey, meta, style, moment: datetime, reserved: int):
    pdf_signer = signers.PdfSigner(meta, key._signer, stamp_style=style)
    writer = IncrementalPdfFileWriter.from_reader(reader)
    session = pdf_signer.init_signing_session(writer, existing_fields_only=True)
    session.system_time = moment
    tbs = session.prepare_tbs_document(validation_info=None, bytes_reserved=reserved)
    prepared, output = tbs.digest_tbs_document()
    attrs = await key._signer.signed_attrs(
        prepared.document_digest,
        "sha256",
        attr_settings=PdfCMSSignedAttributes(signing_time=moment),
        use_pades=True,
    )
    output.seek(0)
    return prepared, output.read(), attrs.dump()


def _verify(cert: x509.Certificate, data: bytes, signature: bytes) -> None:
    public = cert.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise ExternalSignatureInvalid(f"khóa {type(public).__name__} chưa được hỗ trợ")
    except InvalidSignature as e:
        raise ExternalSignatureInvalid() from e


def finish_external(
    pending: PendingSignature,
    signature_value: bytes,
    *,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
):
    """Embed the signature value returned by the user's device and finish the PDF.

    :raises ExternalSignatureInvalid: when the value does not verify with the certificate.
    :raises TimestampUnavailable: when the level needs a timestamp and the TSA fails.
    :raises LevelUnavailable: when the level needs a TSA that is not configured.
    """
    from signing.pades import SignResult

    key = _external_key(pending.certificate, pending.chain, signature_value)
    _verify(key.certificate, pending.signed_attributes, signature_value)
    timestamper = services.timestamper() if pending.level.rank >= Level.B_T.rank else None
    if pending.level.rank >= Level.B_T.rank and timestamper is None:
        raise LevelUnavailable("chưa cấu hình máy chủ cấp dấu thời gian (TSA)")
    try:
        pdf = asyncio.run(_finish(pending, key, timestamper))
    except (TimestampRequestError, OSError) as e:
        raise TimestampUnavailable(str(e)) from e
    pdf = extend_signature(pdf, pending.field_name, pending.level, services)
    return SignResult(pdf, pending.level, pending.field_name, pending.signing_time)


async def _finish(pending: PendingSignature, key: SigningKey, timestamper) -> bytes:
    attrs = cms.CMSAttributes.load(pending.signed_attributes)
    sig_cms = await key._signer.async_sign_prescribed_attributes(
        "sha256", signed_attrs=attrs, timestamper=timestamper
    )
    output = BytesIO(pending.prepared_pdf)
    prepared = PreparedByteRangeDigest(
        pending.document_digest, pending.reserved_start, pending.reserved_end
    )
    await PdfTBSDocument.async_finish_signing(output, prepared, sig_cms)
    return output.getvalue()
