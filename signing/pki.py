"""Demo PKI: root CA, intermediate CA, TSA, OCSP responder, leaders' and agencies' certificates.

Everything is written into one directory so the local services (:mod:`signing.services`) and the
CLI can use it without internet:

    DIR/root-ca.pem                 trust anchor (the only PEM at the top level: DIR is a trust dir)
    DIR/pki.json                    manifest: base URL, identities, revocations
    DIR/ca/*.pem, DIR/ca/*.p12      CA, TSA and OCSP certificates and their keys
    DIR/crl/*.crl                   CRLs (DER) served by the local services
    DIR/leaders/*.p12, DIR/seals/*.p12   personal and agency keys with their chains

All private keys are PKCS#12 files protected by the passphrase given at build time.
This is demo material: never use it for real documents.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from signing import _x509
from signing._x509 import Issuer, KeyAlgorithm, PrivateKey
from signing.errors import PkiError, WrongPassphrase

__all__ = [
    "DEFAULT_BASE_URL",
    "DemoPki",
    "Identity",
    "build_demo_pki",
    "issue_identity",
    "load_ca_key",
    "renew_tsa",
    "revoke",
    "write_crls",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8780"
Kind = Literal["leader", "seal"]


@dataclass(frozen=True)
class Identity:
    """A signer (leader) or agency seal certificate issued by the demo PKI."""

    name: str
    """Common name: the leader's full name or the agency's name."""
    kind: Kind
    p12_path: str
    """PKCS#12 file (relative to the PKI directory) with the key, certificate and chain."""
    cert_path: str
    """PEM certificate (relative to the PKI directory)."""
    serial: int


@dataclass(frozen=True)
class DemoPki:
    """A demo PKI written in :attr:`directory` (see the module docstring for the layout)."""

    directory: Path
    base_url: str
    identities: tuple[Identity, ...] = ()
    revoked: tuple[tuple[int, str], ...] = field(default=())
    """(serial, ISO revocation time) of every revoked certificate."""

    @property
    def root_cert_path(self) -> Path:
        return self.directory / "root-ca.pem"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/tsa"

    def path(self, relative: str) -> Path:
        """Return the absolute path of a file named in the manifest."""
        return self.directory / relative

    def identity(self, name: str, kind: Kind | None = None) -> Identity:
        """Return the identity with this name.

        :raises PkiError: when there is none.
        """
        for ident in self.identities:
            if ident.name == name and (kind is None or ident.kind == kind):
                return ident
        raise PkiError(f"no identity named {name!r}")

    @classmethod
    def load(cls, directory: Path) -> DemoPki:
        """Read the manifest of a demo PKI directory.

        :raises PkiError: when the directory holds no demo PKI.
        """
        try:
            data = json.loads((directory / "pki.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise PkiError(f"no demo PKI in {directory}") from e
        return cls(
            directory=directory,
            base_url=data["base_url"],
            identities=tuple(Identity(**i) for i in data["identities"]),
            revoked=tuple((int(s), t) for s, t in data["revoked"]),
        )

    def _save(self) -> None:
        data = {
            "base_url": self.base_url,
            "identities": [asdict(i) for i in self.identities],
            "revoked": [[str(s), t] for s, t in self.revoked],
        }
        text = json.dumps(data, ensure_ascii=False, indent=2)
        (self.directory / "pki.json").write_text(text, encoding="utf-8")


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c))
    cleaned = "".join(c.lower() if c.isalnum() else "-" for c in ascii_name)
    return "-".join(p for p in cleaned.split("-") if p) or "identity"


def load_ca_key(pki: DemoPki, name: str, passphrase: str) -> tuple[PrivateKey, x509.Certificate]:
    """Load a CA-side key (``root-ca``, ``intermediate-ca``, ``tsa`` or ``ocsp``) and its certificate.

    :raises WrongPassphrase: when the passphrase does not open the file.
    """
    data = (pki.directory / "ca" / f"{name}.p12").read_bytes()
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
    except ValueError as e:
        raise WrongPassphrase(str(e)) from e
    if key is None or cert is None:
        raise PkiError(f"{name}.p12 holds no key")
    return key, cert  # type: ignore[return-value]  # demo keys are RSA or EC


def _build_cas(
    directory: Path, passphrase: str, base_url: str, algorithm: KeyAlgorithm, start: datetime
) -> None:
    root_key = _x509.new_key(algorithm)
    root_cert = _x509.build_cert(
        _x509.name("eoffice Demo Root CA"),
        root_key,
        None,
        base_url=base_url,
        validity=(start, start + timedelta(days=7300)),
        extensions=_x509.ca_extensions(1),
    )
    root = Issuer(root_cert, root_key, "root-ca")
    inter_key = _x509.new_key(algorithm)
    inter_cert = _x509.build_cert(
        _x509.name("eoffice Demo Issuing CA"),
        inter_key,
        root,
        base_url=base_url,
        validity=(start, start + timedelta(days=3650)),
        extensions=_x509.ca_extensions(0),
    )
    inter = Issuer(inter_cert, inter_key, "intermediate-ca")
    (directory / "root-ca.pem").write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
    _x509.write_p12(directory / "ca/root-ca.p12", "root-ca", root_key, root_cert, [], passphrase)
    _x509.write_p12(
        directory / "ca/intermediate-ca.p12",
        "intermediate-ca",
        inter_key,
        inter_cert,
        [root_cert],
        passphrase,
    )
    for profile, cn in (("tsa", "eoffice Demo TSA"), ("ocsp", "eoffice Demo OCSP Responder")):
        key = _x509.new_key("rsa2048")  # pyHanko's test timestamper signs with RSA only
        cert = _x509.build_cert(
            _x509.name(cn),
            key,
            inter,
            base_url=base_url,
            validity=(start, start + timedelta(days=1825)),
            extensions=_x509.end_entity_extensions(profile, base_url),  # type: ignore[arg-type]
        )
        _x509.write_p12(
            directory / f"ca/{profile}.p12", profile, key, cert, [inter_cert, root_cert], passphrase
        )


def build_demo_pki(
    directory: Path,
    *,
    leaders: Sequence[str],
    agencies: Sequence[str],
    passphrase: str,
    base_url: str = DEFAULT_BASE_URL,
    key_algorithm: KeyAlgorithm = "rsa2048",
    now: datetime | None = None,
) -> DemoPki:
    """Build a demo PKI with certificates for the given leaders and agencies into ``directory``.

    :raises PkiError: when the directory already holds a PKI or cannot be written.
    """
    if (directory / "pki.json").exists():
        raise PkiError(f"{directory} already holds a demo PKI")
    try:
        (directory / "ca").mkdir(parents=True, exist_ok=True)
        (directory / "crl").mkdir(exist_ok=True)
        start = _x509.now_utc(now) - timedelta(days=1)
        _build_cas(directory, passphrase, base_url, key_algorithm, start)
        pki = DemoPki(directory=directory, base_url=base_url)
        pki._save()
        groups: tuple[tuple[Kind, Sequence[str]], ...] = (("leader", leaders), ("seal", agencies))
        for kind, names in groups:
            for name in names:
                pki = issue_identity(
                    pki,
                    name,
                    kind=kind,
                    passphrase=passphrase,
                    now=now,
                    key_algorithm=key_algorithm,
                )
        write_crls(pki, passphrase, now)
    except OSError as e:
        raise PkiError(str(e)) from e
    return pki


def issue_identity(
    pki: DemoPki,
    name: str,
    *,
    kind: Kind,
    passphrase: str,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: bool = True,
    file_stem: str | None = None,
    key_algorithm: KeyAlgorithm = "rsa2048",
    now: datetime | None = None,
) -> DemoPki:
    """Issue a leader or agency certificate and key; return the updated PKI.

    ``not_before``/``not_after`` and ``key_usage=False`` make the faulty certificates tests need.

    :raises WrongPassphrase: when the passphrase does not open the CA key.
    """
    inter_key, inter_cert = load_ca_key(pki, "intermediate-ca", passphrase)
    root_cert = x509.load_pem_x509_certificate(pki.root_cert_path.read_bytes())
    start = not_before or (_x509.now_utc(now) - timedelta(hours=1))
    key = _x509.new_key(key_algorithm)
    cert = _x509.build_cert(
        _x509.name(name, name if kind == "seal" else "eoffice demo"),
        key,
        Issuer(inter_cert, inter_key, "intermediate-ca"),
        base_url=pki.base_url,
        validity=(start, not_after or (start + timedelta(days=730))),
        extensions=_x509.end_entity_extensions(kind, pki.base_url, signing_usage=key_usage),
    )
    folder = "leaders" if kind == "leader" else "seals"
    stem = file_stem or _slug(name)
    rel = f"{folder}/{stem}.p12"
    _x509.write_p12(pki.directory / rel, name, key, cert, [inter_cert, root_cert], passphrase)
    ident = Identity(name, kind, rel, f"{folder}/{stem}.pem", cert.serial_number)
    others = tuple(i for i in pki.identities if i.p12_path != rel)
    updated = DemoPki(pki.directory, pki.base_url, (*others, ident), pki.revoked)
    updated._save()
    return updated


def renew_tsa(
    pki: DemoPki, *, passphrase: str, not_after: datetime, now: datetime | None = None
) -> x509.Certificate:
    """Give the timestamp authority a new key and certificate valid until ``not_after``.

    What an authority does before its certificate expires; archive timestamps made earlier
    must then be renewed with the new one (tests use a short-lived certificate to get there).

    :raises WrongPassphrase: when the passphrase does not open the CA key.
    """
    inter_key, inter_cert = load_ca_key(pki, "intermediate-ca", passphrase)
    root_cert = x509.load_pem_x509_certificate(pki.root_cert_path.read_bytes())
    key = _x509.new_key("rsa2048")  # pyHanko's test timestamper signs with RSA only
    cert = _x509.build_cert(
        _x509.name("eoffice Demo TSA"),
        key,
        Issuer(inter_cert, inter_key, "intermediate-ca"),
        base_url=pki.base_url,
        validity=(_x509.now_utc(now) - timedelta(hours=1), not_after),
        extensions=_x509.end_entity_extensions("tsa", pki.base_url),
    )
    path = pki.directory / "ca" / "tsa.p12"
    _x509.write_p12(path, "tsa", key, cert, [inter_cert, root_cert], passphrase)
    return cert


def revoke(pki: DemoPki, serial: int, *, passphrase: str, when: datetime | None = None) -> DemoPki:
    """Revoke a certificate issued by the intermediate CA and rewrite the CRLs.

    :raises WrongPassphrase: when the passphrase does not open the CA keys.
    """
    moment = _x509.now_utc(when)
    updated = DemoPki(
        pki.directory, pki.base_url, pki.identities, (*pki.revoked, (serial, moment.isoformat()))
    )
    updated._save()
    write_crls(updated, passphrase)
    return updated


def write_crls(pki: DemoPki, passphrase: str, now: datetime | None = None) -> None:
    """Sign fresh CRLs for both CAs into DIR/crl/.

    :raises WrongPassphrase: when the passphrase does not open the CA keys.
    """
    moment = _x509.now_utc(now)
    revoked = [(serial, datetime.fromisoformat(when)) for serial, when in pki.revoked]
    for name, entries in (("root-ca", []), ("intermediate-ca", revoked)):
        key, cert = load_ca_key(pki, name, passphrase)
        crl = _x509.build_crl(Issuer(cert, key, name), entries, moment)
        (pki.directory / "crl" / f"{name}.crl").write_bytes(
            crl.public_bytes(serialization.Encoding.DER)
        )
