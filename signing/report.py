"""The validation report: one entry per signature, an overall bottom line, JSON out."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "BottomLine",
    "Modification",
    "Revocation",
    "SignatureReport",
    "TimestampInfo",
    "ValidationReport",
]


class BottomLine(StrEnum):
    """Traffic light shown as the document's signature badge."""

    GREEN = "green"
    """Intact, trusted, nothing but allowed changes after signing."""
    AMBER = "amber"
    """Intact, but something could not be confirmed (trust, revocation, annotations added)."""
    RED = "red"
    """Broken, revoked, modified beyond what the signature allows, or not signed at all."""

    @property
    def rank(self) -> int:
        return list(BottomLine).index(self)


class Modification(StrEnum):
    """What changed in the document after a signature (pyHanko's difference analysis)."""

    NONE = "none"
    LTA_UPDATES = "lta_updates"
    """Only validation data (DSS) and document timestamps were added."""
    FORM_FILLING = "form_filling"
    """Form fields were filled and/or further signatures added."""
    ANNOTATIONS = "annotations"
    """Annotations (comments, highlights) were added or changed."""
    OTHER = "other"
    """Anything else: content changed; the signature no longer vouches for what is shown."""


class Revocation(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    """No OCSP response or CRL could be obtained (offline: soft-fail)."""


@dataclass(frozen=True)
class TimestampInfo:
    """An RFC 3161 timestamp on a signature (or a document timestamp)."""

    time: datetime
    trusted: bool
    """Intact, cryptographically valid and issued by a trusted authority."""
    authority: str


@dataclass(frozen=True)
class SignatureReport:
    """Validation result of one signature or document timestamp."""

    field: str
    kind: str
    """``signature`` or ``timestamp`` (a document timestamp, e.g. PAdES B-LTA)."""
    signer: str
    """Common name of the signer's (or TSA's) certificate."""
    signer_subject: str
    issuer: str
    serial: str
    signing_time: datetime | None
    """Time claimed by the signer (not proof; see :attr:`timestamp`)."""
    intact: bool
    """The signed bytes are unchanged."""
    valid: bool
    """The cryptographic signature verifies with the signer's certificate."""
    trusted: bool
    """The certificate chains to a trusted root and was usable at validation time."""
    chain: tuple[str, ...]
    """Subjects from the signer up to the trust anchor (just the signer when untrusted)."""
    revocation: Revocation
    timestamp: TimestampInfo | None
    modification_level: Modification
    docmdp_ok: bool | None
    """Changes after signing comply with the document's modification policy."""
    certified: bool
    """A certification (DocMDP) signature."""
    bottom_line: BottomLine
    reasons: tuple[str, ...] = ()
    """Why the bottom line is not green (Vietnamese)."""
    proven_at: datetime | None = None
    """When the certificate could not be trusted at the validation time (e.g. it has expired
    since): the earlier time, proven by a trusted timestamp, at which it was validated instead."""

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ValidationReport:
    """Every signature of a PDF, judged together."""

    signatures: tuple[SignatureReport, ...]
    bottom_line: BottomLine
    reasons: tuple[str, ...] = field(default=())
    validated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def to_json(self, **kwargs: Any) -> str:
        """Return the report as JSON (UTF-8 text, times in ISO 8601)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
