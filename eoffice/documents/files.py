"""Attach files to documents and read them back."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eoffice.documents.blobs import (
    FilePolicy,
    Upload,
    check_pdf,
    extract_pdf_text,
    safe_filename,
    store_blob,
)
from eoffice.documents.models import Document, DocumentFile
from eoffice.errors import InvalidInput, NotFound


def check_main_pdf(upload: Upload, policy: FilePolicy) -> int:
    """Check size and content of a main file; return its page count.

    :raises InvalidInput: too large, not a PDF, encrypted or malformed.
    """
    if len(upload.data) > policy.max_main_bytes:
        raise InvalidInput(
            "Tệp vượt quá dung lượng cho phép ({limit} MB)",
            code="file_too_large",
            fields={"file": "Tệp quá lớn"},
            params={"limit": policy.max_main_bytes // (1024 * 1024)},
        )
    if not upload.data:
        raise InvalidInput("Tệp rỗng", code="file_empty", fields={"file": "Tệp rỗng"})
    return check_pdf(upload.data)


def check_attachment(upload: Upload, policy: FilePolicy) -> None:
    """Check a further attachment before anything is stored.

    :raises InvalidInput: when it is empty or too large.
    """
    if not upload.data or len(upload.data) > policy.max_attachment_bytes:
        raise InvalidInput(
            "Tệp đính kèm rỗng hoặc vượt quá dung lượng cho phép",
            code="file_too_large",
            fields={"attachments": "Tệp không hợp lệ"},
        )


def attach_main_pdf(
    session: Session, document: Document, upload: Upload, policy: FilePolicy, kind: str = "original"
) -> str:
    """Store ``upload`` as the document's main PDF (new version); return its extracted text."""
    blob = store_blob(session, policy.store, upload.data, "application/pdf")
    for existing in document.files:
        if existing.is_main:
            existing.is_main = False
    document.files.append(
        DocumentFile(
            sha256=blob.sha256,
            filename=safe_filename(upload.filename),
            content_type="application/pdf",
            size=blob.size,
            is_main=True,
            kind=kind,
        )
    )
    document.main_file_sha256 = blob.sha256
    session.flush()
    return extract_pdf_text(upload.data)


def attach_file(
    session: Session, document: Document, upload: Upload, policy: FilePolicy
) -> DocumentFile:
    """Store a further attachment (any office format) on the document.

    :raises InvalidInput: when it is empty or too large.
    """
    check_attachment(upload, policy)
    blob = store_blob(
        session, policy.store, upload.data, upload.content_type or "application/octet-stream"
    )
    row = DocumentFile(
        sha256=blob.sha256,
        filename=safe_filename(upload.filename),
        content_type=blob.content_type,
        size=blob.size,
        is_main=False,
        kind="attachment",
    )
    document.files.append(row)
    session.flush()
    return row


def read_file(
    policy: FilePolicy, document: Document, file_id: int | None = None
) -> tuple[DocumentFile, bytes]:
    """Return a file of the document (default: the main PDF) with its verified bytes.

    :raises NotFound: when the document has no such file. :raises BlobCorrupted: on tampering.
    """
    for row in document.files:
        if (file_id is None and row.is_main) or row.id == file_id:
            return row, policy.store.get(row.sha256)
    raise NotFound("Văn bản không có tệp này")
