"""Certificate, CRL and PKCS#12 builders for the demo PKI (internal; see :mod:`signing.pki`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

KeyAlgorithm = Literal["rsa2048", "ec-p256"]
Profile = Literal["leader", "seal", "tsa", "ocsp"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
CRL_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class Issuer:
    """A CA that signs certificates, and the name of the CRL it publishes."""

    cert: x509.Certificate
    key: PrivateKey
    crl_name: str


def now_utc(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def new_key(algorithm: KeyAlgorithm) -> PrivateKey:
    if algorithm == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(common_name: str, organisation: str = "eoffice demo") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def key_usage(*, signing: bool, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing and not ca,
        key_encipherment=not signing,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def ca_extensions(path_length: int) -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=True, path_length=path_length), True),
        (key_usage(signing=True, ca=True), True),
    ]


def end_entity_extensions(
    profile: Profile, base_url: str, *, signing_usage: bool = True
) -> list[tuple[x509.ExtensionType, bool]]:
    """Extensions of an end-entity certificate; ``signing_usage=False`` makes a faulty one."""
    exts: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (key_usage(signing=signing_usage), True),  # without it: encryption only
    ]
    if profile == "tsa":
        exts.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True))
    if profile == "ocsp":
        exts.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False))
        exts.append((x509.OCSPNoCheck(), False))
    else:
        urls = (
            (AuthorityInformationAccessOID.OCSP, "ocsp"),
            (AuthorityInformationAccessOID.CA_ISSUERS, "certs/intermediate-ca.cer"),
        )
        access = [
            x509.AccessDescription(oid, x509.UniformResourceIdentifier(f"{base_url}/{path}"))
            for oid, path in urls
        ]
        exts.append((x509.AuthorityInformationAccess(access), False))
    return exts


def build_cert(
    subject: x509.Name,
    key: PrivateKey,
    issuer: Issuer | None,
    *,
    validity: tuple[datetime, datetime],
    extensions: Iterable[tuple[x509.ExtensionType, bool]],
    base_url: str,
) -> x509.Certificate:
    """Issue a certificate for ``key`` (self-signed when ``issuer`` is None)."""
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
        crl_url = x509.UniformResourceIdentifier(f"{base_url}/crl/{issuer.crl_name}.crl")
        points = x509.CRLDistributionPoints([x509.DistributionPoint([crl_url], None, None, None)])
        builder = builder.add_extension(aki, critical=False).add_extension(points, critical=False)
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(issuer.key if issuer else key, hashes.SHA256())


def write_p12(
    path: Path,
    friendly_name: str,
    key: PrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    passphrase: str,
) -> None:
    """Write a passphrase-protected PKCS#12 file, and the certificate as PEM next to it."""
    encryption = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    data = pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, cert, list(chain), encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def build_crl(
    issuer: Issuer, revoked: Iterable[tuple[int, datetime]], now: datetime
) -> x509.CertificateRevocationList:
    """Sign a CRL valid for a week listing ``revoked`` (serial, revocation time)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    for serial, when in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(issuer.key, hashes.SHA256())
