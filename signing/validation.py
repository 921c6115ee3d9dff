"""Validate every signature of a PDF and judge it green, amber or red, with Vietnamese reasons.

"Modified after signing" is reported, never raised: only a file that is not a readable PDF
raises (:class:`~signing.errors.MalformedPdf`, :class:`~signing.errors.EncryptedPdf`).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext

from signing import _pdf
from signing._engine import VN_TZ
from signing.diffpolicy import POLICY
from signing.report import (
    BottomLine,
    Modification,
    Revocation,
    SignatureReport,
    TimestampInfo,
    ValidationReport,
)
from signing.trust import SigningServices, validation_kwargs

__all__ = ["validate_pdf"]

_OFFLINE = SigningServices(allow_fetching=False)
# Accept either usage: Vietnamese CAs issue signing certificates with both, foreign ones often
# with digitalSignature only.
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})
_MODIFICATION = {
    ModificationLevel.NONE: Modification.NONE,
    ModificationLevel.LTA_UPDATES: Modification.LTA_UPDATES,
    ModificationLevel.FORM_FILLING: Modification.FORM_FILLING,
    ModificationLevel.ANNOTATIONS: Modification.ANNOTATIONS,
    ModificationLevel.OTHER: Modification.OTHER,
}
_TRUST_PROBLEMS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "Chứng thư số không thuộc tổ chức chứng thực tin cậy.",
    "EXPIRED": "Chứng thư số đã hết hạn tại thời điểm kiểm tra.",
    "NOT_YET_VALID": "Chứng thư số chưa có hiệu lực tại thời điểm kiểm tra.",
    "REVOKED": "Chứng thư số đã bị thu hồi.",
    "REVOKED_NO_POE": "Chứng thư số đã bị thu hồi.",
    "SIG_CONSTRAINTS_FAILURE": "Chứng thư số không được phép dùng để ký văn bản.",
    "CHAIN_CONSTRAINTS_FAILURE": "Chuỗi chứng thư số vi phạm ràng buộc của tổ chức chứng thực.",
}


def validate_pdf(
    pdf: bytes, services: SigningServices = _OFFLINE, *, at: datetime | None = None
) -> ValidationReport:
    """Validate every signature and document timestamp of ``pdf`` against ``services``' roots.

    Revocation is checked soft-fail: OCSP/CRL embedded in the document first, then fetched when
    ``services.allow_fetching``; when neither is available the signature is amber, not red.

    Signatures are validated at ``at`` (default now). One that cannot be trusted then (typically
    its certificate has expired since) but which a trusted timestamp proves to be older (its own
    signature timestamp, or a later document timestamp, as in an archived B-LTA file) is
    validated again at that proven time, accepting revocation data issued later; when it is
    trusted there, its report says so (``proven_at``). Document timestamps are treated the same
    way, the newer proving the older. A revoked certificate is never re-judged.

    :raises MalformedPdf: when the file is not a readable PDF.
    :raises EncryptedPdf: when it is encrypted.
    """
    reader = _pdf.open_reader(pdf, strict=False)
    moment = at or datetime.now(VN_TZ)
    try:
        signatures = reader.embedded_signatures
        dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    except _pdf.PARSE_ERRORS:
        return ValidationReport((), BottomLine.RED, ("Chữ ký số trong tệp bị hỏng.",), moment)
    if not signatures:
        return ValidationReport((), BottomLine.RED, ("Tệp không có chữ ký số.",), moment)
    reports = asyncio.run(_validate_all(signatures, services, dss, moment))
    worst = max((r.bottom_line for r in reports), key=lambda b: b.rank)
    reasons = tuple(f"{r.field}: {reason}" for r in reports for reason in r.reasons)
    return ValidationReport(tuple(reports), worst, reasons, moment)


async def _validate_all(signatures, services, dss, moment) -> list[SignatureReport]:
    reports = [await _validate_one(emb, services, dss, moment) for emb in signatures]
    # newest first: a document timestamp revalidated at its proven time may prove older ones
    for i in sorted(range(len(signatures)), key=lambda k: -signatures[k].signed_revision):
        if not _worth_proving(reports[i]):
            continue
        proven = _proven_time(i, signatures, reports)
        if proven is None or proven >= moment:
            continue
        again = await _validate_one(signatures[i], services, dss, proven, retroactive=True)
        if again.trusted:
            reports[i] = replace(again, proven_at=proven)
    return reports


def _worth_proving(report: SignatureReport) -> bool:
    """An intact signature whose certificate could not be trusted at the validation time, for
    a reason other than revocation (a revoked certificate stays red whatever the time)."""
    return (
        report.intact
        and report.valid
        and not report.trusted
        and report.revocation is not Revocation.REVOKED
    )


def _proven_time(i: int, signatures, reports: list[SignatureReport]) -> datetime | None:
    """Return the earliest time a trusted timestamp proves signature ``i`` existed."""
    own = reports[i].timestamp
    times = [own.time] if own is not None and own.trusted and reports[i].kind == "signature" else []
    revision = signatures[i].signed_revision
    for emb, report in zip(signatures, reports, strict=True):
        later = emb.signed_revision > revision
        if later and report.kind == "timestamp" and report.trusted and report.timestamp:
            times.append(report.timestamp.time)
    return min(times, default=None)


def _context(
    services: SigningServices, dss, moment: datetime, retroactive: bool = False
) -> ValidationContext:
    kwargs = validation_kwargs(services, moment=moment, retroactive=retroactive)
    if dss is None:
        return ValidationContext(**kwargs)  # type: ignore[arg-type]
    # documents with B-LT data carry their own OCSP responses, CRLs and certificates
    return dss.as_validation_context(kwargs)


async def _validate_one(
    emb: EmbeddedPdfSignature,
    services: SigningServices,
    dss,
    moment: datetime,
    retroactive: bool = False,
) -> SignatureReport:
    vc = _context(services, dss, moment, retroactive)
    timestamp_kind = emb.sig_object_type == "/DocTimeStamp"
    status: PdfSignatureStatus | DocumentTimestampStatus
    try:
        if timestamp_kind:
            status = await async_validate_pdf_timestamp(
                emb, validation_context=vc, diff_policy=POLICY
            )
        else:
            status = await async_validate_pdf_signature(
                emb,
                signer_validation_context=vc,
                key_usage_settings=_KEY_USAGE,
                diff_policy=POLICY,
            )
    except Exception as e:  # any failure here means "cannot be verified": red
        return _unreadable(emb, e)
    return _report(emb, status, vc, timestamp_kind)


def _name(cert: asn1_x509.Certificate) -> str:
    cn = cert.subject.native.get("common_name")
    return cn if isinstance(cn, str) else cert.subject.human_friendly


def _unreadable(emb: EmbeddedPdfSignature, error: Exception) -> SignatureReport:
    try:
        cert = emb.signer_cert
        signer, subject, issuer = (
            _name(cert),
            cert.subject.human_friendly,
            cert.issuer.human_friendly,
        )
        serial = format(cert.serial_number, "x")
    except Exception:  # the CMS itself may be unreadable
        signer = subject = issuer = serial = ""
    return SignatureReport(
        field=str(emb.field_name),
        kind="signature",
        signer=signer,
        signer_subject=subject,
        issuer=issuer,
        serial=serial,
        signing_time=None,
        intact=False,
        valid=False,
        trusted=False,
        chain=(),
        revocation=Revocation.UNKNOWN,
        timestamp=None,
        modification_level=Modification.OTHER,
        docmdp_ok=None,
        certified=False,
        bottom_line=BottomLine.RED,
        reasons=(f"Không kiểm tra được chữ ký ({type(error).__name__}).",),
    )


def _revocation(status, vc: ValidationContext) -> Revocation:
    if status.revoked:
        return Revocation.REVOKED
    cert = status.signing_cert
    serial, issuer = cert.serial_number, cert.issuer
    for response in vc.ocsps:
        try:
            basic = response["response_bytes"]["response"].parsed
            singles = basic["tbs_response_data"]["responses"]
        except (KeyError, TypeError, ValueError):
            continue
        for single in singles:
            same = single["cert_id"]["serial_number"].native == serial
            if same and single["cert_status"].name == "good":
                return Revocation.GOOD
    for crl in vc.crls:
        if crl["tbs_cert_list"]["issuer"] == issuer:
            return Revocation.GOOD  # revoked serials were caught by the validator above
    return Revocation.UNKNOWN


def _timestamp(status, timestamp_kind: bool) -> TimestampInfo | None:
    ts = status if timestamp_kind else status.timestamp_validity
    if ts is None:
        return None
    trusted = bool(ts.intact and ts.valid and ts.trusted)
    return TimestampInfo(time=ts.timestamp, trusted=trusted, authority=_name(ts.signing_cert))


def _modification(status) -> Modification:
    if status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return Modification.OTHER
    level = status.modification_level
    return Modification.OTHER if level is None else _MODIFICATION[level]


def _report(emb, status, vc: ValidationContext, timestamp_kind: bool) -> SignatureReport:
    cert = status.signing_cert
    path = status.validation_path
    chain = tuple(c.subject.human_friendly for c in reversed(list(path))) if path else ()
    revocation = _revocation(status, vc)
    modification = _modification(status)
    timestamp = _timestamp(status, timestamp_kind)
    line, reasons = _judge(status, revocation, modification, timestamp, timestamp_kind)
    return SignatureReport(
        field=str(emb.field_name),
        kind="timestamp" if timestamp_kind else "signature",
        signer=_name(cert),
        signer_subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        serial=format(cert.serial_number, "x"),
        signing_time=None if timestamp_kind else status.signer_reported_dt,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        chain=chain or (cert.subject.human_friendly,),
        revocation=revocation,
        timestamp=timestamp,
        modification_level=modification,
        docmdp_ok=status.docmdp_ok,
        certified=not timestamp_kind and emb.docmdp_level is not None,
        bottom_line=line,
        reasons=tuple(reasons),
    )


def _judge(status, revocation, modification, timestamp, timestamp_kind):
    red: list[str] = []
    amber: list[str] = []
    if not status.intact:
        red.append("Nội dung đã bị thay đổi sau khi ký (chữ ký không còn toàn vẹn).")
    elif not status.valid:
        red.append("Chữ ký không hợp lệ về mặt mật mã.")
    if revocation is Revocation.REVOKED:
        red.append("Chứng thư số của người ký đã bị thu hồi.")
    if modification is Modification.OTHER:
        red.append("Văn bản đã bị sửa đổi sau khi ký ngoài phạm vi cho phép.")
    elif status.docmdp_ok is False:
        red.append("Thay đổi sau khi ký vi phạm quyền sửa đổi mà người chứng thực cho phép.")
    elif modification is Modification.ANNOTATIONS:
        amber.append("Đã có thêm chú thích (annotation) sau khi ký.")
    if (
        status.intact
        and status.valid
        and not status.trusted
        and revocation is not Revocation.REVOKED
    ):
        indic = status.trust_problem_indic
        amber.append(
            _TRUST_PROBLEMS.get(indic.name if indic else "", "Không xác thực được chứng thư số.")
        )
    if revocation is Revocation.UNKNOWN and not timestamp_kind and status.trusted:
        amber.append("Chưa kiểm tra được tình trạng thu hồi của chứng thư số (không có OCSP/CRL).")
    if timestamp is not None and not timestamp.trusted and not timestamp_kind:
        amber.append("Dấu thời gian không được xác thực bởi tổ chức cấp dấu thời gian tin cậy.")
    if red:
        return BottomLine.RED, red + amber
    return (BottomLine.AMBER, amber) if amber else (BottomLine.GREEN, [])
