"""Trust anchors and the network services signatures rely on (TSA, OCSP, CRL)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import ValidationContext

from signing.errors import InvalidKeyFile
from signing.keys import load_certificates

__all__ = [
    "Level",
    "SigningServices",
    "load_trust_dir",
    "validation_context",
    "validation_kwargs",
]


class Level(StrEnum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    """Basic signature."""
    B_T = "B-T"
    """Plus an RFC 3161 signature timestamp from a trusted authority."""
    B_LT = "B-LT"
    """Plus the certificates and revocation information needed to validate it later (DSS)."""
    B_LTA = "B-LTA"
    """Plus an archive document timestamp, renewed before it expires."""

    @property
    def rank(self) -> int:
        return list(Level).index(self)


def load_trust_dir(directory: Path) -> tuple[bytes, ...]:
    """Load the trusted root certificates (``*.pem``, ``*.crt``, ``*.cer``) of a directory as DER.

    Only the top level is read, so a demo PKI directory (which keeps its root there and everything
    else in subdirectories) can serve as a trust directory.

    :raises InvalidKeyFile: when a file there is not a certificate.
    """
    roots: list[bytes] = []
    if not directory.is_dir():
        return ()
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in {".pem", ".crt", ".cer"} and path.is_file():
            try:
                certs = load_certificates(path.read_bytes())
            except InvalidKeyFile as e:
                raise InvalidKeyFile(f"{path.name}: {e.detail}") from e
            roots.extend(c.public_bytes(Encoding.DER) for c in certs)
    return tuple(roots)


@dataclass(frozen=True)
class SigningServices:
    """Where to get timestamps and whom to trust; defaults mean "offline, trust nobody"."""

    tsa_url: str | None = None
    """RFC 3161 timestamp authority; needed for B-T and above."""
    trust_roots: tuple[bytes, ...] = ()
    """Trusted root certificates (DER); needed to validate chains for B-LT and for reports."""
    allow_fetching: bool = True
    """Fetch OCSP responses, CRLs and missing issuer certificates over the network."""
    timeout: float = 10.0
    """Seconds to wait for the TSA, OCSP responders and CRL servers."""

    @classmethod
    def from_trust_dir(cls, directory: Path, **kwargs: object) -> SigningServices:
        """Build services trusting the roots found in ``directory``.

        :raises InvalidKeyFile: when a file there is not a certificate.
        """
        return cls(trust_roots=load_trust_dir(directory), **kwargs)  # type: ignore[arg-type]

    def timestamper(self):
        """Return a pyHanko timestamp client for :attr:`tsa_url` (``None`` when not configured)."""
        return _timestamper(self.tsa_url, self.timeout) if self.tsa_url else None


@functools.lru_cache(maxsize=8)
def _timestamper(url: str, timeout: float):
    """Share one client per TSA: pyHanko caches in it the sample token it sizes signatures with."""
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(url, timeout=timeout)


def validation_kwargs(
    services: SigningServices,
    *,
    extra_certs: tuple[bytes, ...] = (),
    hard_fail: bool = False,
    moment: datetime | None = None,
    fetch: bool | None = None,
    retroactive: bool = False,
) -> dict[str, object]:
    """Return keyword arguments for a pyHanko validation context trusting ``services``' roots.

    Revocation is checked "soft-fail" (missing information is not an error) unless ``hard_fail``.
    ``retroactive`` accepts revocation data issued after ``moment`` (validating at a past time
    proven by a timestamp: "not revoked today" or "revoked later" both hold then).
    """
    from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

    allow = services.allow_fetching if fetch is None else fetch
    kwargs: dict[str, object] = {
        "trust_roots": [asn1_x509.Certificate.load(r) for r in services.trust_roots],
        "other_certs": [asn1_x509.Certificate.load(c) for c in extra_certs],
        "allow_fetching": allow,
        "revocation_mode": "hard-fail" if hard_fail else "soft-fail",
        "moment": moment,
        "retroactive_revinfo": retroactive,
    }
    if allow:
        kwargs["fetcher_backend"] = RequestsFetcherBackend(
            per_request_timeout=max(1, int(services.timeout))
        )
    return kwargs


def validation_context(services: SigningServices, **kwargs: object) -> ValidationContext:
    """Return a pyHanko validation context (see :func:`validation_kwargs` for the options)."""
    return ValidationContext(**validation_kwargs(services, **kwargs))  # type: ignore[arg-type]
