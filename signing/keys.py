"""Signing keys: PKCS#12 files, PKCS#11 tokens and HSMs.

A :class:`SigningKey` is loaded once and reused for many signatures: pyHanko's own in-memory signer
re-parses (and re-validates) the private key on every signature, which dominates the cost of a
signature with RSA keys, so :class:`_InMemorySigner` keeps the parsed key object instead.

Keys that never reach the server (a USB token on the user's computer) go through
:mod:`signing.external` instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from asn1crypto.core import Asn1Value
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.attributes import CMSAttributeProvider
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    InvalidKeyFile,
    KeyUsageNotAllowed,
    TokenKeyNotFound,
    TokenLoginFailed,
    TokenUnavailable,
    WrongPassphrase,
)

__all__ = [
    "Pkcs11Spec",
    "SigningKey",
    "check_certificate_usable",
    "load_certificates",
    "load_pkcs12",
    "open_pkcs11",
    "signature_size_of",
]

_SIGNING_USAGES = ("digital_signature", "non_repudiation")


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _CachedAttribute(CMSAttributeProvider):
    """A constant signed attribute, kept as DER.

    asn1crypto re-serialises a freshly built signing-certificate-v2 value on every dump (about
    1.5 ms, and a signature dumps its attributes several times); a value parsed from DER keeps
    its encoding.
    """

    def __init__(self, attribute_type: str, der: bytes, spec: type[Asn1Value]) -> None:
        self.attribute_type = attribute_type
        self._der = der
        self._spec = spec

    async def build_attr_value(self, dry_run: bool = False):
        return self._spec.load(self._der)


class _InMemorySigner(Signer):
    """A pyHanko signer that holds an already parsed private key."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
    ) -> None:
        registry = SimpleCertificateStore()
        registry.register_multiple([_to_asn1(c) for c in chain])
        super().__init__(signing_cert=_to_asn1(cert), cert_registry=registry)
        self._key = key
        value = as_signing_certificate_v2(self.signing_cert)
        self._signing_cert_attr = _CachedAttribute(
            "signing_certificate_v2", value.dump(), tsp.SigningCertificateV2
        )

    def _signed_attr_providers(self, *args, **kwargs):
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if provider.attribute_type == "signing_certificate_v2":
                yield self._signing_cert_attr
            else:
                yield provider

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False):
        hash_algo = getattr(hashes, digest_algorithm.upper())()
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hash_algo)
        return self._key.sign(data, ec.ECDSA(hash_algo))


@dataclass(frozen=True)
class SigningKey:
    """A certificate with its chain and the means to sign with the matching private key.

    Build one with :func:`load_pkcs12` or :func:`open_pkcs11`; keep it for many signatures.
    """

    certificate: x509.Certificate
    """The signer's certificate."""
    chain: tuple[x509.Certificate, ...]
    """Intermediate (and possibly root) certificates to embed with the signature."""
    _signer: Signer
    """The pyHanko signer doing the work (internal)."""

    @property
    def subject_name(self) -> str:
        """Return the certificate's common name (the signer's name)."""
        return _common_name(self.certificate)

    @property
    def signature_size(self) -> int:
        """Return the size in bytes of one raw signature made with this key."""
        return signature_size_of(self.certificate)


def signature_size_of(cert: x509.Certificate) -> int:
    """Return the (maximum) size in bytes of a raw signature by the key of ``cert``."""
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return public.key_size // 8
    if isinstance(public, ec.EllipticCurvePublicKey):
        return 2 * ((public.key_size + 7) // 8) + 9  # DER SEQUENCE of two INTEGERs
    return 512


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = names[0].value if names else cert.subject.rfc4514_string()
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Parse one or more certificates from PEM (possibly concatenated) or DER bytes.

    :raises InvalidKeyFile: when nothing parses.
    """
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as e:
        raise InvalidKeyFile(f"certificate: {e}") from e


def load_pkcs12(data: bytes, passphrase: str) -> SigningKey:
    """Load a passphrase-protected PKCS#12 file (key, certificate and chain) once.

    :raises WrongPassphrase: when the passphrase does not open the file.
    :raises InvalidKeyFile: when the data is not PKCS#12 or lacks a key or certificate.
    """
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
    except ValueError as e:
        message = str(e).lower()
        if "password" in message or "mac" in message or "decrypt" in message:
            raise WrongPassphrase() from e
        raise InvalidKeyFile(str(e)) from e
    if key is None or cert is None:
        raise InvalidKeyFile("the file holds no private key with its certificate")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidKeyFile(f"unsupported key type {type(key).__name__}")
    chain = tuple(others)
    return SigningKey(cert, chain, _InMemorySigner(key, cert, chain))


def check_certificate_usable(cert: x509.Certificate, at: datetime) -> None:
    """Check that a certificate may sign documents at ``at``: validity period and key usage.

    :raises CertificateExpired: after its validity period.
    :raises CertificateNotYetValid: before its validity period.
    :raises KeyUsageNotAllowed: when neither digitalSignature nor nonRepudiation is allowed.
    """
    if at > cert.not_valid_after_utc:
        until = cert.not_valid_after_utc.strftime("%d/%m/%Y")
        raise CertificateExpired(f"hết hạn ngày {until}")
    if at < cert.not_valid_before_utc:
        since = cert.not_valid_before_utc.strftime("%d/%m/%Y")
        raise CertificateNotYetValid(f"có hiệu lực từ ngày {since}")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # no restriction stated: every usage is allowed (RFC 5280 §4.2.1.3)
    if not (usage.digital_signature or usage.content_commitment):
        raise KeyUsageNotAllowed("cần digitalSignature hoặc nonRepudiation")


@dataclass(frozen=True)
class Pkcs11Spec:
    """Where to find a key on a PKCS#11 token or HSM."""

    module_path: str
    """PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so, or the token vendor's library)."""
    token_label: str
    pin: str
    key_label: str
    """Label of the private key object; the certificate is looked up with the same label."""
    cert_label: str | None = None
    chain: tuple[bytes, ...] = ()
    """Intermediate certificates (PEM or DER) when the token does not hold them."""


@contextlib.contextmanager
def open_pkcs11(spec: Pkcs11Spec) -> Iterator[SigningKey]:
    """Open a session on a PKCS#11 token and yield its signing key; close the session after.

    :raises TokenUnavailable: when the module cannot be loaded or the token is absent.
    :raises TokenLoginFailed: when the PIN is refused.
    :raises TokenKeyNotFound: when the key or certificate is not on the token.
    """
    session = _open_session(spec)
    try:
        yield _pkcs11_key(session, spec)
    finally:
        with contextlib.suppress(Exception):  # closing a session on a removed token may fail
            session.close()


def _open_session(spec: Pkcs11Spec):
    import pkcs11
    from pkcs11 import exceptions as p11_errors
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    try:
        return open_pkcs11_session(
            spec.module_path,
            token_criteria=TokenCriteria(label=spec.token_label),
            user_pin=spec.pin,
        )
    except (p11_errors.PinIncorrect, p11_errors.PinLocked, p11_errors.PinInvalid) as e:
        raise TokenLoginFailed(type(e).__name__) from e
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as e:  # module missing or token absent
        raise TokenUnavailable(f"{spec.module_path}, {spec.token_label!r}: {e}") from e


def _pkcs11_key(session, spec: Pkcs11Spec) -> SigningKey:
    from pyhanko.sign.pkcs11 import PKCS11Signer

    chain = tuple(c for data in spec.chain for c in load_certificates(data))
    signer = PKCS11Signer(
        session,
        cert_label=spec.cert_label or spec.key_label,
        key_label=spec.key_label,
        ca_chain=[_to_asn1(c) for c in chain],
    )
    try:
        signer._load_objects()  # load now, so a missing key fails here and not mid-signature
    except Exception as e:
        raise TokenKeyNotFound(f"{spec.key_label!r}: {e}") from e
    cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    if isinstance(cert.public_key(), ec.EllipticCurvePublicKey):
        # hash here and ask the token for plain CKM_ECDSA: every token has it, while many
        # (SoftHSM2 among them) lack the hash-then-sign CKM_ECDSA_SHA256
        signer.use_raw_mechanism = True
    return SigningKey(cert, chain, signer)
