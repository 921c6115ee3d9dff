"""Long-term validation: embed revocation data (B-LT) and keep archive timestamps fresh (B-LTA).

A B-LTA document ends with a document timestamp. Its TSA certificate expires; before it does, a
new timestamp over the document (and the validation data of the previous one) must be added.
:func:`renewal_due_at` tells a worker when, :func:`renew_archive_timestamp` does it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import async_add_validation_info

from signing import _pdf
from signing._engine import VN_TZ, vn_now
from signing.errors import (
    FieldMissing,
    LevelUnavailable,
    NotSignedPdf,
    SigningError,
    TimestampUnavailable,
)
from signing.trust import Level, SigningServices, validation_context

__all__ = [
    "archive_timestamp_expiry",
    "extend_signature",
    "renew_archive_timestamp",
    "renewal_due_at",
]

DEFAULT_RENEW_BEFORE = timedelta(days=180)


def archive_timestamp_expiry(pdf: bytes) -> datetime | None:
    """Return when the last document timestamp's TSA certificate expires (``None``: no timestamp).

    :raises MalformedPdf: when the PDF does not parse.
    """
    reader = _pdf.open_reader(pdf)
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return None
    return stamps[-1].signer_cert.not_valid_after.astimezone(VN_TZ)


def renewal_due_at(pdf: bytes, renew_before: timedelta = DEFAULT_RENEW_BEFORE) -> datetime | None:
    """Return when the archive timestamp should be renewed (``None`` when it has none).

    :raises MalformedPdf: when the PDF does not parse.
    """
    expiry = archive_timestamp_expiry(pdf)
    return None if expiry is None else expiry - renew_before


def renew_archive_timestamp(
    pdf: bytes,
    services: SigningServices,
    *,
    renew_before: timedelta = DEFAULT_RENEW_BEFORE,
    now: datetime | None = None,
    force: bool = False,
) -> bytes | None:
    """Add validation data and a fresh archive timestamp when the last one is due for renewal.

    Returns the new PDF, or ``None`` when nothing is due. Signatures made after the last
    document timestamp (or all of them, when there is none) first get their certificates and
    revocation data in the DSS (B-LT); the new timestamp then covers them (B-LTA). So a B-B
    signature made where no network call belongs (a web request) reaches B-T, B-LT and B-LTA
    in one later call: ETSI EN 319 142-1 lets a document timestamp be the B-T timestamp.

    :raises NotSignedPdf: when the document has no signature at all.
    :raises BrokenSignature: when an existing signature no longer matches the document.
    :raises LevelUnavailable: when no timestamp authority is configured.
    :raises TimestampUnavailable: when the authority does not answer.
    """
    reader = _pdf.open_reader(pdf)
    if _pdf.ensure_signatures_intact(reader) == 0:
        raise NotSignedPdf()
    due = renewal_due_at(pdf, renew_before)
    if not force and due is not None and (now or vn_now()) < due:
        return None
    stamper = _pdf_timestamper(services)
    pdf = _embed_new_signatures_validation(reader, pdf, services)
    vc = validation_context(services)
    try:
        return asyncio.run(_chain_timestamp(pdf, stamper, vc))
    except (TimestampRequestError, OSError) as e:
        raise TimestampUnavailable(str(e)) from e


async def _chain_timestamp(pdf: bytes, stamper: PdfTimeStamper, vc) -> bytes:
    """Embed the last document timestamp's validation data, add a new timestamp, then embed the
    new one's.

    Two departures from pyHanko's ``update_archival_timestamp_chain``. It writes the /VRI entry
    of the last timestamp again when that timestamp already has one, and pyHanko's own
    difference analysis then judges the earlier signatures "modified beyond what is allowed";
    VRI entries are optional (ETSI EN 319 142-1), so none is written here. And it takes the
    new timestamp's certificate path from the sample token the client cached, which is the
    old certificate once the authority has re-keyed; here the path comes from the new token.
    """
    stamps = _pdf.open_reader(pdf).embedded_timestamp_signatures
    if stamps:
        pdf = await _add_validation(stamps[-1], vc)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=True)
    stamped = await stamper.async_timestamp_pdf(writer, "sha256", output=BytesIO())
    newest = _pdf.open_reader(stamped.getvalue()).embedded_timestamp_signatures[-1]
    return await _add_validation(newest, vc)


async def _add_validation(embedded, vc) -> bytes:
    out = await async_add_validation_info(embedded, vc, add_vri_entry=False, output=BytesIO())
    return out.getvalue()


def _embed_new_signatures_validation(reader, pdf: bytes, services: SigningServices) -> bytes:
    """Return ``pdf`` with DSS data for each signature no document timestamp covers yet."""
    stamps = reader.embedded_timestamp_signatures
    covered = stamps[-1].signed_revision if stamps else -1
    fields = [
        e.field_name for e in reader.embedded_regular_signatures if e.signed_revision > covered
    ]
    for name in fields:
        try:
            pdf = extend_signature(pdf, name, Level.B_LT, services)
        except SigningError:
            raise
        except Exception as e:  # the chain or its revocation data could not be established
            raise LevelUnavailable(f"dữ liệu kiểm tra chữ ký {name}: {e}") from e
    return pdf


def _pdf_timestamper(services: SigningServices) -> PdfTimeStamper:
    timestamper = services.timestamper()
    if timestamper is None:
        raise LevelUnavailable("chưa cấu hình máy chủ cấp dấu thời gian (TSA)")
    return PdfTimeStamper(timestamper)


def extend_signature(pdf: bytes, field_name: str, level: Level, services: SigningServices) -> bytes:
    """Raise a finished signature to B-LT (validation data in the DSS) or B-LTA (plus timestamp).

    :raises FieldMissing: when no signature is in ``field_name``.
    :raises LevelUnavailable: when the TSA is not configured (B-LTA).
    :raises TimestampUnavailable: when the authority does not answer.
    """
    if level.rank < Level.B_LT.rank:
        return pdf
    reader = _pdf.open_reader(pdf)
    matches = [e for e in reader.embedded_signatures if e.field_name == field_name]
    if not matches:
        raise FieldMissing(f"trường chữ ký {field_name!r}")
    vc = validation_context(services)
    out = asyncio.run(async_add_validation_info(matches[0], vc, output=BytesIO()))
    extended = out.getvalue()
    if level is Level.B_LTA:
        stamper = _pdf_timestamper(services)
        writer = IncrementalPdfFileWriter(BytesIO(extended), strict=True)
        try:
            stamped = asyncio.run(
                stamper.async_timestamp_pdf(
                    writer, "sha256", validation_context=vc, output=BytesIO()
                )
            )
        except (TimestampRequestError, OSError) as e:
            raise TimestampUnavailable(str(e)) from e
        extended = stamped.getvalue()
    return extended
