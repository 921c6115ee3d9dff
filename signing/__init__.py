"""PAdES signing and validation of PDFs over pyHanko; knows nothing of eoffice.

Bytes in, bytes out, plus validation reports. The document workflow (NĐ 30/2020):

1. :func:`prepare_draft` adds the signature, number and date fields and the QR code.
2. :func:`sign_leader` (or :func:`prepare_external` / :func:`finish_external` when the key stays
   on the user's USB token) adds the competent person's signature.
3. :func:`issue_document` fills số/ký hiệu and the date, then applies the agency seal;
   :func:`sign_attachment` signs attachments in separate files.
4. :func:`validate_pdf` judges what arrives (at the time a timestamp proves, when the signer's
   certificate has expired since); :func:`renew_archive_timestamp` raises signatures made at
   B-B to B-LTA (validation data + document timestamp) and keeps B-LTA alive.

Keys: :func:`load_pkcs12` and :func:`open_pkcs11` give a :class:`SigningKey` to reuse.
Errors: every failure is a :class:`SigningError` subclass with a Vietnamese ``vi`` message.
"""

from signing.archive import (
    archive_timestamp_expiry,
    extend_signature,
    renew_archive_timestamp,
    renewal_due_at,
)
from signing.draft import (
    AGENCY_FIELD,
    DATE_FIELD,
    LEADER_FIELD,
    NUMBER_FIELD,
    DraftLayout,
    Rect,
    prepare_draft,
    seal_rect,
    seal_size_of,
)
from signing.errors import SigningError
from signing.external import PendingSignature, finish_external, prepare_external
from signing.forms import fill_fields, read_field_values
from signing.keys import Pkcs11Spec, SigningKey, load_pkcs12, open_pkcs11
from signing.pades import (
    AttachmentStamp,
    LeaderSignature,
    SealSignature,
    SignResult,
    apply_seal,
    issue_document,
    sign_attachment,
    sign_invisible,
    sign_leader,
)
from signing.report import BottomLine, Modification, Revocation, SignatureReport, ValidationReport
from signing.trust import Level, SigningServices, load_trust_dir
from signing.validation import validate_pdf

__all__ = [
    "AGENCY_FIELD",
    "DATE_FIELD",
    "LEADER_FIELD",
    "NUMBER_FIELD",
    "AttachmentStamp",
    "BottomLine",
    "DraftLayout",
    "LeaderSignature",
    "Level",
    "Modification",
    "PendingSignature",
    "Pkcs11Spec",
    "Rect",
    "Revocation",
    "SealSignature",
    "SignResult",
    "SignatureReport",
    "SigningError",
    "SigningKey",
    "SigningServices",
    "ValidationReport",
    "apply_seal",
    "archive_timestamp_expiry",
    "extend_signature",
    "fill_fields",
    "finish_external",
    "issue_document",
    "load_pkcs12",
    "load_trust_dir",
    "open_pkcs11",
    "prepare_draft",
    "prepare_external",
    "read_field_values",
    "renew_archive_timestamp",
    "renewal_due_at",
    "seal_rect",
    "seal_size_of",
    "sign_attachment",
    "sign_invisible",
    "sign_leader",
    "validate_pdf",
]
