"""PAdES signatures for the document workflow: leader, agency seal, attachments, invisible.

Each function takes the PDF as bytes and returns a :class:`SignResult` with the new bytes; the
input is never modified, and a failure raises a :class:`~signing.errors.SigningError` subclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec

from signing import _pdf
from signing._engine import VN_TZ, SignRequest, run, vn_now
from signing.appearance import Align, BlockStampStyle
from signing.draft import (
    AGENCY_FIELD,
    LEADER_FIELD,
    LEADER_FONT_SIZE,
    SEAL_FONT_SIZE,
)
from signing.errors import FieldAlreadyUsed, NotSignedPdf
from signing.fonts import nfc, text_width
from signing.forms import fill_checked
from signing.keys import SigningKey
from signing.trust import Level, SigningServices

__all__ = [
    "AttachmentStamp",
    "LeaderSignature",
    "SealSignature",
    "SignResult",
    "apply_seal",
    "issue_document",
    "sign_attachment",
    "sign_invisible",
    "sign_leader",
]

MM = 72 / 25.4


@dataclass(frozen=True)
class SignResult:
    """A signed PDF and what was achieved."""

    pdf: bytes
    level: Level
    """The PAdES level reached (may be lower than requested unless ``strict_level``)."""
    field_name: str
    signing_time: datetime
    """Signing time as written in the signature and its appearance (Asia/Ho_Chi_Minh)."""


@dataclass(frozen=True)
class LeaderSignature:
    """The competent person's personal signature in the draft's leader field."""

    signer_name: str
    """Name shown under the image (normally the certificate's holder)."""
    signature_image: bytes | None = None
    """Handwritten signature: blue ink, transparent PNG."""
    field_name: str = LEADER_FIELD
    certify: bool = True
    """Certify the document allowing form filling (DocMDP P=2) when it is the first signature,
    so filling the number and date and adding the agency signature keep it valid."""
    reason: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class SealSignature:
    """The agency's signature with the red seal image, in the draft's agency field."""

    seal_image: bytes
    """Red seal, transparent PNG; drawn at the field's size (set at actual size in the draft)."""
    field_name: str = AGENCY_FIELD
    reason: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class AttachmentStamp:
    """The agency's signature on an attachment in a separate file (no image)."""

    number: str
    """Số và ký hiệu of the main document, e.g. ``12/QĐ-UBND``."""
    field_name: str = AGENCY_FIELD
    font_size: int = 10
    top_margin: float = 10 * MM
    right_margin: float = 20 * MM


def leader_style(spec: LeaderSignature, at: datetime) -> BlockStampStyle:
    """Return the leader's appearance: signature image above the signer's name and the time."""
    lines = (nfc(f"Ký bởi: {spec.signer_name}"), f"Thời gian: {at:%d/%m/%Y %H:%M:%S}")
    return BlockStampStyle(image=spec.signature_image, lines=lines, font_size=LEADER_FONT_SIZE)


def seal_style(spec: SealSignature, at: datetime) -> BlockStampStyle:
    """Return the agency's appearance: the seal image above the ISO 8601 signing time."""
    return BlockStampStyle(image=spec.seal_image, lines=(at.isoformat(),), font_size=SEAL_FONT_SIZE)


def _request(
    field_name: str,
    *,
    level: Level,
    strict_level: bool,
    services: SigningServices,
    at: datetime | None,
    **kwargs: object,
) -> SignRequest:
    moment = (at or vn_now()).astimezone(VN_TZ).replace(microsecond=0)
    return SignRequest(
        field_name=field_name,
        at=moment,
        level=level,
        strict_level=strict_level,
        services=services,
        **kwargs,  # type: ignore[arg-type]  # SignRequest's own fields
    )


def open_field(pdf: bytes, field_name: str) -> tuple[PdfFileReader, int]:
    """Check the PDF and an empty signature field; return its reader and its signature count."""
    reader = _pdf.open_reader(pdf)
    count = _pdf.ensure_signatures_intact(reader)
    filled, _ = _pdf.signature_field(reader, field_name)
    if filled:
        raise FieldAlreadyUsed(f"trường chữ ký {field_name!r} đã được ký")
    return reader, count


def sign_leader(
    pdf: bytes,
    key: SigningKey,
    spec: LeaderSignature,
    *,
    level: Level = Level.B_T,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
    strict_level: bool = False,
    at: datetime | None = None,
) -> SignResult:
    """Sign with the leader's personal key: image, name and signing time in the leader field.

    :raises FieldMissing: when the draft has no such signature field.
    :raises FieldAlreadyUsed: when it is already signed.
    :raises BrokenSignature: when an existing signature no longer matches the document.
    :raises CertificateError: (subclasses) expired, not yet valid, revoked, wrong key usage.
    :raises LevelUnavailable: when ``strict_level`` and the level cannot be reached.
    """
    reader, existing = open_field(pdf, spec.field_name)
    req = _request(
        spec.field_name,
        level=level,
        strict_level=strict_level,
        services=services,
        at=at,
        certify=spec.certify and existing == 0,
        reason=spec.reason,
        location=spec.location,
    )
    out, reached = run(reader, key, _with(req, style=leader_style(spec, req.at)))
    return SignResult(out, reached, spec.field_name, req.at)


def apply_seal(
    pdf: bytes,
    key: SigningKey,
    spec: SealSignature,
    *,
    level: Level = Level.B_LTA,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
    strict_level: bool = False,
    at: datetime | None = None,
) -> SignResult:
    """Sign with the agency key: the seal image and the ISO 8601 signing time (+07:00).

    The agency signs only documents the competent person has already signed (NĐ 30, Đ32).

    :raises NotSignedPdf: when the document has no signature yet.
    :raises FieldMissing: when the draft has no agency field.
    :raises FieldAlreadyUsed: when it is already signed.
    :raises BrokenSignature: when an existing signature no longer matches the document.
    :raises CertificateError: (subclasses) expired, not yet valid, revoked, wrong key usage.
    """
    reader, existing = open_field(pdf, spec.field_name)
    if existing == 0:
        raise NotSignedPdf("văn bản chưa có chữ ký của người có thẩm quyền")
    req = _request(
        spec.field_name,
        level=level,
        strict_level=strict_level,
        services=services,
        at=at,
        reason=spec.reason,
        location=spec.location,
    )
    out, reached = run(reader, key, _with(req, style=seal_style(spec, req.at)))
    return SignResult(out, reached, spec.field_name, req.at)


def issue_document(
    pdf: bytes,
    key: SigningKey,
    *,
    number: str,
    issue_date: str,
    seal: SealSignature,
    level: Level = Level.B_LTA,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
    strict_level: bool = False,
    at: datetime | None = None,
    number_field: str | None = None,
    date_field: str | None = None,
) -> SignResult:
    """Do the clerk's issue step: fill số/ký hiệu and the date line, then apply the agency seal.

    :raises FieldMissing: when the number, date or agency field is missing.
    :raises FieldAlreadyUsed: when a field is already filled or signed.
    :raises NotSignedPdf: when the leader has not signed yet.
    """
    from signing.draft import DATE_FIELD, NUMBER_FIELD

    reader = _pdf.open_reader(pdf)
    if _pdf.ensure_signatures_intact(reader) == 0:
        raise NotSignedPdf("văn bản chưa có chữ ký của người có thẩm quyền")
    filled = fill_checked(
        reader, {number_field or NUMBER_FIELD: number, date_field or DATE_FIELD: issue_date}
    )
    return apply_seal(
        filled, key, seal, level=level, services=services, strict_level=strict_level, at=at
    )


def sign_attachment(
    pdf: bytes,
    key: SigningKey,
    spec: AttachmentStamp,
    *,
    level: Level = Level.B_LTA,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
    strict_level: bool = False,
    at: datetime | None = None,
) -> SignResult:
    """Sign an attachment file with the agency key: số/ký hiệu and time, top right of page 1.

    :raises FieldAlreadyUsed: when the file already has a field with that name.
    :raises BrokenSignature: when an existing signature no longer matches the document.
    """
    reader = _pdf.open_reader(pdf)
    _pdf.ensure_signatures_intact(reader)
    if any(name == spec.field_name for name, _ in _pdf.iter_fields(reader)):
        raise FieldAlreadyUsed(f"trường {spec.field_name!r} đã có")
    req = _request(
        spec.field_name, level=level, strict_level=strict_level, services=services, at=at
    )
    lines = (nfc(spec.number), req.at.isoformat())
    width = max(text_width(line, spec.font_size) for line in lines) + 6
    height = len(lines) * spec.font_size * 1.2 + 2
    x0, _y0, x1, y1 = _pdf.page_box(reader, 0)
    right, top = x1 - spec.right_margin, y1 - spec.top_margin
    box = (max(x0, right - width), top - height, right, top)
    style = BlockStampStyle(lines=lines, font_size=spec.font_size, align=Align.RIGHT)
    new_field = SigFieldSpec(spec.field_name, on_page=0, box=box)  # type: ignore[arg-type]
    out, reached = run(reader, key, _with(req, style=style, new_field=new_field))
    return SignResult(out, reached, spec.field_name, req.at)


def sign_invisible(
    pdf: bytes,
    key: SigningKey,
    *,
    field_name: str = "signature",
    level: Level = Level.B_B,
    services: SigningServices = SigningServices(),  # noqa: B008  # frozen, shared safely
    strict_level: bool = False,
    at: datetime | None = None,
    reason: str | None = None,
) -> SignResult:
    """Add an approval signature without appearance in a new field (or an empty existing one).

    :raises FieldAlreadyUsed: when that field is already signed.
    :raises BrokenSignature: when an existing signature no longer matches the document.
    """
    reader = _pdf.open_reader(pdf)
    _pdf.ensure_signatures_intact(reader)
    names = {name for name, _ in _pdf.iter_fields(reader)}
    new_field = None
    if field_name in names:
        if _pdf.signature_field(reader, field_name)[0]:
            raise FieldAlreadyUsed(f"trường chữ ký {field_name!r} đã được ký")
    else:
        new_field = SigFieldSpec(field_name)
    req = _request(
        field_name,
        level=level,
        strict_level=strict_level,
        services=services,
        at=at,
        reason=reason,
        new_field=new_field,
    )
    out, reached = run(reader, key, req)
    return SignResult(out, reached, field_name, req.at)


def _with(req: SignRequest, **changes: object) -> SignRequest:
    from dataclasses import replace

    return replace(req, **changes)  # type: ignore[arg-type]  # SignRequest's own fields
